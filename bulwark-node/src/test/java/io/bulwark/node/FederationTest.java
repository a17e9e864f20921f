package io.bulwark.node;

import io.bulwark.federation.FederationState;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.store.RecordState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/** Three real nodes in one JVM, each with its own home, ports and keys, peered over pinned mutual TLS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FederationTest {

    private static final Duration SHARE = Duration.ofSeconds(30);
    Federated nations;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA", "USA"));
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    private RecordService.Published publish(String origin, String label, String text) {
        return nations.node(origin).records().publish(analyst(origin), label, "", "text/plain", text.getBytes(StandardCharsets.UTF_8));
    }

    private boolean readable(String nation, String id) {
        return nations.node(nation).records().read(analyst(nation), id).isPresent();
    }

    private boolean held(String nation, String id) {
        return nations.node(nation).metadata().find(id).filter(m -> m.state() == RecordState.ACTIVE).isPresent();
    }

    private boolean knows(String nation, String id) {
        return nations.node(nation).metadata().find(id).isPresent();
    }

    @Test
    @Order(1)
    void aRecordReachesExactlyTheNationsItsLabelReleasesItTo() throws Exception {
        var p = publish("DEU", "NATO SECRET//REL TO DEU, FRA", "hello");
        var all = publish("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "to all");

        nations.await("FRA and USA read what they may", SHARE, () -> readable("FRA", p.id()) && readable("FRA", all.id()) && readable("USA", all.id()));
        assertThat(nations.node("FRA").records().read(analyst("FRA"), p.id()).orElseThrow().payload()).asString().isEqualTo("hello");
        // USA has received a later record from DEU, so the earlier one was passed over, not delayed.
        assertThat(knows("USA", p.id())).isFalse();
    }

    @Test
    @Order(2)
    void recordsFlowEveryWayAndCOIsStillDecideReading() throws Exception {
        var p = nations.node("USA").records().publish(analyst("USA", "ISR"), "NATO SECRET//REL TO DEU, FRA, USA//COI ISR", "",
                "text/plain", "isr".getBytes(StandardCharsets.UTF_8));
        nations.await("DEU and FRA hold it", SHARE, () -> held("DEU", p.id()) && held("FRA", p.id()));
        assertThat(readable("DEU", p.id())).isFalse(); // held, but the analyst lacks COI ISR
        Principal isr = analyst("DEU", "ISR");
        assertThat(nations.node("DEU").records().read(isr, p.id())).isPresent();
    }

    @Test
    @Order(2)
    void residencyKeepsARecordFromAPeerWhoseStorageBreaksIt() throws Exception {
        // Each node here stores in its own nation: FRA's storage breaks in=DEU,USA, USA's meets it.
        var p = nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA, USA", "in=DEU,USA",
                "text/plain", "resident".getBytes(StandardCharsets.UTF_8));
        var marker = publish("DEU", "NATO SECRET//REL TO DEU, FRA", "after it");
        nations.await("USA holds it and FRA the later record", SHARE, () -> held("USA", p.id()) && held("FRA", marker.id()));
        assertThat(knows("FRA", p.id())).isFalse();
    }

    @Test
    @Order(3)
    void aRetractionReachesEveryHolderAndIsConfirmed() throws Exception {
        var p = publish("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "to be retracted");
        nations.await("FRA and USA hold it", SHARE, () -> held("FRA", p.id()) && held("USA", p.id()));

        String deuBlob = nations.node("DEU").metadata().find(p.id()).orElseThrow().blob().key();
        assertThat(nations.node("DEU").storage().open(deuBlob)).isPresent();
        assertThat(nations.node("DEU").records().retract(analyst("DEU"), p.id())).isTrue();
        // The origin kept the newest published bytes in memory for its peers' feeds: they go with the blob.
        assertThat(nations.node("DEU").storage().open(deuBlob)).isEmpty();

        nations.await("FRA and USA drop it", SHARE, () -> !held("FRA", p.id()) && !held("USA", p.id()));
        for (String n : List.of("FRA", "USA")) {
            var meta = nations.node(n).metadata().find(p.id()).orElseThrow();
            // The row turns to a tombstone first, then the blob goes.
            nations.await(n + " deletes the blob", SHARE, () -> {
                try {
                    return !siteHolds(n, meta.blob().key());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(meta.state()).isEqualTo(RecordState.RETRACTED);
            assertThat(Files.exists(nations.homes.get(n).defaultSite())).isTrue();
            assertThat(siteHolds(n, meta.blob().key())).isFalse();
            assertThat(readable(n, p.id())).isFalse();
        }
        nations.await("both confirm", SHARE, () -> nations.node("DEU").confirmations(p.id()).stream()
                .filter(c -> c.confirmedAt().isPresent()).count() == 2);
        assertThat(nations.node("DEU").confirmations(p.id())).extracting(FederationState.Confirmation::nation, FederationState.Confirmation::kind)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("FRA", "retraction"), org.assertj.core.groups.Tuple.tuple("USA", "retraction"));
    }

    @Test
    @Order(4)
    void aRelabelThatDropsANationMakesItDeleteTheRecordAndConfirm() throws Exception {
        var p = publish("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "relabel me");
        nations.await("FRA and USA hold it", SHARE, () -> held("FRA", p.id()) && held("USA", p.id()));
        String oldBlob = nations.node("FRA").metadata().find(p.id()).orElseThrow().blob().key();
        String oldDigest = nations.node("DEU").metadata().find(p.id()).orElseThrow().contentDigest();
        // The metadata keeps the digest the signature binds (prefix and ciphertext), never the plaintext's (which would confirm a guess).
        assertThat(oldDigest).isNotEqualTo(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest("relabel me".getBytes(java.nio.charset.StandardCharsets.UTF_8))));

        nations.node("DEU").records().relabel(analyst("DEU"), p.id(), "NATO SECRET//REL TO DEU, USA");
        assertThat(nations.node("DEU").metadata().find(p.id()).orElseThrow().contentDigest())
                .as("a relabel seals anew, so the digest follows the new ciphertext").isNotEqualTo(oldDigest);

        nations.await("FRA deletes it", SHARE, () -> !held("FRA", p.id()));
        nations.await("USA holds the new label", SHARE, () -> nations.node("USA").metadata().find(p.id())
                .filter(m -> m.label().json().contains("USA") && !m.label().json().contains("FRA")).isPresent());
        assertThat(nations.node("USA").records().read(analyst("USA"), p.id()).orElseThrow().marking()).isEqualTo("NATO SECRET//REL TO DEU, USA");
        nations.await("FRA confirms", SHARE, () -> nations.node("DEU").confirmations(p.id()).stream()
                .anyMatch(c -> c.nation().equals("FRA") && c.kind().equals("withdrawal") && c.confirmedAt().isPresent()));
        // FRA deletes the metadata, then the blob, then confirms: once confirmed, the bytes are gone.
        assertThat(siteHolds("FRA", oldBlob)).as(() -> "FRA's site after the confirmation: " + whereSiteHolds("FRA", oldBlob)
                + "; FRA's row " + nations.node("FRA").metadata().find(p.id()) + "; DEU's confirmations " + nations.node("DEU").confirmations(p.id())).isFalse();
        assertThat(nations.node("DEU").confirmations(p.id())).extracting(FederationState.Confirmation::nation).containsExactly("FRA");

        // Released to FRA again: FRA holds it anew (its withdrawal is not the origin's retraction).
        nations.node("DEU").records().relabel(analyst("DEU"), p.id(), "NATO SECRET//REL TO DEU, FRA, USA");
        nations.await("FRA holds it again", SHARE, () -> held("FRA", p.id()));
        assertThat(nations.node("FRA").records().read(analyst("FRA"), p.id()).orElseThrow().marking())
                .isEqualTo("NATO SECRET//REL TO FRA, DEU, USA"); // the reader's own nation first
        assertThat(new String(nations.node("FRA").records().read(analyst("FRA"), p.id()).orElseThrow().payload(),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("relabel me");
    }

    @Test
    @Order(5)
    void removingAPeerStopsExchangeAtOnceAndReAddingCatchesUp() throws Exception {
        nations.unpeer("DEU", "FRA");
        Thread.sleep(500); // the node re-reads its peer list within one check
        var p = publish("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "while FRA is unpinned");
        nations.await("USA holds it", SHARE, () -> held("USA", p.id()));
        Thread.sleep(1000);
        assertThat(knows("FRA", p.id())).isFalse();
        assertThat(nations.node("DEU").peers()).extracting(s -> s.nation()).containsExactly("USA");

        nations.peer("DEU", "FRA");
        nations.await("FRA catches up", SHARE, () -> held("FRA", p.id()));
    }

    @Test
    @Order(6)
    void peerStatusShowsCursorLagAndDeliveries() throws Exception {
        var p = publish("FRA", "NATO SECRET//REL TO DEU, FRA", "status");
        nations.await("DEU holds it", SHARE, () -> held("DEU", p.id()));
        nations.await("DEU's acknowledgement reaches FRA", SHARE, () -> nations.node("FRA").peers().stream()
                .anyMatch(s -> s.nation().equals("DEU") && s.lagRecords().equals(java.util.OptionalLong.of(0)) && s.ackedSeq() > 0));
        var deuAtFra = nations.node("FRA").peers().stream().filter(s -> s.nation().equals("DEU")).findFirst().orElseThrow();
        assertThat(deuAtFra.state()).isEqualTo("connected");
        assertThat(deuAtFra.node()).contains("deu-1");
        var fraAtDeu = nations.node("DEU").peers().stream().filter(s -> s.nation().equals("FRA")).findFirst().orElseThrow();
        assertThat(fraAtDeu.received()).isGreaterThan(0);
        assertThat(fraAtDeu.lastDelivery()).isPresent();

        var http = java.net.http.HttpClient.newHttpClient();
        var metrics = metricsRequest("FRA");
        nations.await("FRA's metrics show DEU connected and caught up", SHARE, () -> {
            try {
                String body = http.send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                return body.contains("bulwark_federation_peer_connected{peer=\"DEU\"} 1.0")
                        && body.contains("bulwark_federation_peer_lag_records{peer=\"DEU\"} 0.0")
                        && body.contains("bulwark_federation_sent_total{peer=\"DEU\"}");
            } catch (Exception e) {
                return false;
            }
        });

        // Where the time goes: FRA's publishes by stage, and DEU's applying of what its peers (FRA among them) sent.
        String fra = http.send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String stage : List.of("prepare", "sign", "blob", "commit")) {
            assertThat(sample(fra, "bulwark_publish_stage_seconds_count{stage=\"" + stage + "\"}")).as(stage).isPositive();
        }
        String deu = http.send(metricsRequest("DEU"), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String stage : List.of("verify", "blob", "commit")) {
            assertThat(sample(deu, "bulwark_federation_apply_stage_seconds_count{stage=\"" + stage + "\"}")).as(stage).isPositive();
        }
        assertThat(deu).contains("bulwark_federation_apply_wait_seconds_count{peer=\"FRA\"}");
    }

    /** GET /metrics at a nation's node, as an operator (metrics are for operators and officers). */
    private java.net.http.HttpRequest metricsRequest(String nation) throws Exception {
        String node = nation.toLowerCase(java.util.Locale.ROOT) + "-1";
        var users = io.bulwark.node.identity.LocalUsers.open(nations.homes.get(nation).dir(), io.bulwark.label.PolicySet.defaults());
        if (users.find("otto").isEmpty()) {
            users.add(new io.bulwark.node.identity.User("otto", nation, List.of("NATO SECRET"), java.util.Set.of(), java.util.Set.of(Role.OPERATOR)));
        }
        String operator = new io.bulwark.node.identity.LocalTokens(nation, node, nations.homes.get(nation).tokenSecret()).issue(
                new Principal("otto", nation, List.of("NATO SECRET"), java.util.Set.of(), java.util.Set.of(Role.OPERATOR), "bulwark:" + nation + ":" + node),
                Duration.ofMinutes(10));
        return java.net.http.HttpRequest.newBuilder(java.net.URI.create(nations.node(nation).url() + "/metrics"))
                .header("Authorization", "Bearer " + operator).build();
    }

    /** The value of one sample in a Prometheus exposition; 0 if absent. */
    private static double sample(String exposition, String series) {
        return exposition.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElse(0);
    }

    @Test
    @Order(7)
    void aHolderRemovedFromThePeerListStillOwesItsConfirmationUntilItIsBackAndHasDropped() throws Exception {
        var p = publish("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "retracted while FRA is removed");
        nations.await("FRA and USA hold it", SHARE, () -> held("FRA", p.id()) && held("USA", p.id()));
        nations.unpeer("DEU", "FRA");
        nations.await("DEU no longer lists FRA", SHARE, () -> nations.node("DEU").peers().stream().noneMatch(s -> s.nation().equals("FRA")));

        nations.node("DEU").records().retract(analyst("DEU"), p.id());
        nations.await("USA confirms", SHARE, () -> nations.node("DEU").confirmations(p.id()).stream()
                .anyMatch(c -> c.nation().equals("USA") && c.confirmedAt().isPresent()));
        assertThat(nations.node("DEU").confirmations(p.id())).as("FRA holds the record, so it owes the retraction")
                .filteredOn(c -> c.nation().equals("FRA")).singleElement()
                .satisfies(c -> assertThat(c.confirmedAt()).isEmpty());
        assertThat(held("FRA", p.id())).isTrue();

        nations.peer("DEU", "FRA");
        nations.await("FRA drops it and confirms", SHARE, () -> !held("FRA", p.id()) && nations.node("DEU").confirmations(p.id()).stream()
                .anyMatch(c -> c.nation().equals("FRA") && c.confirmedAt().isPresent()));
    }

    @Test
    @Order(8)
    void aPeerNeverIntroducedHasNoLagFigureAndOneThatDoesNotAnswerIsNeverShownConnected() throws Exception {
        // Never introduced: what it may hold is unknown, so its lag is too — 0 would read as caught up.
        Path peers = nations.homes.get("DEU").peers();
        io.bulwark.federation.PeerList.read(peers).with(new io.bulwark.federation.Peer("GBR",
                io.bulwark.federation.Peer.url("https://127.0.0.1:" + Federated.freePort()), "ab".repeat(32), java.time.Instant.now()), "DEU")
                .write(peers);
        nations.await("DEU lists GBR", SHARE, () -> nations.node("DEU").peers().stream().anyMatch(s -> s.nation().equals("GBR")));
        var gbr = nations.node("DEU").peers().stream().filter(s -> s.nation().equals("GBR")).findFirst().orElseThrow();
        assertThat(gbr.lagRecords()).isEmpty();
        assertThat(gbr.lagSeconds()).isEmpty();
        assertThat(HttpApi.peer(gbr)).containsEntry("lagRecords", null).containsEntry("lagSeconds", null);
        nations.unpeer("DEU", "GBR");

        // A stopped node leaves no status behind for `bulwark peer list` to show as current.
        nations.stop("USA");
        assertThat(nations.homes.get("USA").peersStatus()).doesNotExist();
        // DEU restarts with USA's identity pinned from before, and USA's address accepting connections but
        // never answering (a hung host): a loaded identity and an open socket are no answer.
        nations.stop("DEU");
        var usa = io.bulwark.federation.PeerList.read(peers).byNation("USA").orElseThrow();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            io.bulwark.federation.PeerList.read(peers).without("USA").with(new io.bulwark.federation.Peer("USA",
                    io.bulwark.federation.Peer.url("https://127.0.0.1:" + silent.getLocalPort()), usa.fingerprint(), usa.added()), "DEU").write(peers);
            nations.restart("DEU");
            List<String> seen = new java.util.ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < end) {
                nations.node("DEU").peers().stream().filter(s -> s.nation().equals("USA")).forEach(s -> seen.add(s.state()));
                Thread.sleep(20);
            }
            assertThat(seen).isNotEmpty().doesNotContain("connected");
        }
        io.bulwark.federation.PeerList.read(peers).without("USA").with(usa, "DEU").write(peers);
        nations.restart("USA");
        nations.await("DEU shows USA connected once USA answers", SHARE, () -> nations.node("DEU").peers().stream()
                .anyMatch(s -> s.nation().equals("USA") && s.state().equals("connected")));
    }

    private boolean siteHolds(String nation, String key) throws java.io.IOException {
        return io.bulwark.store.blob.SiteContents.holds(nations.homes.get(nation).defaultSite(), key);
    }

    /** Where a site still holds a key, for a failure's message. */
    private String whereSiteHolds(String nation, String key) {
        try {
            return io.bulwark.store.blob.SiteContents.where(nations.homes.get(nation).defaultSite(), key).toString();
        } catch (java.io.IOException e) {
            return "(could not look: " + e + ")";
        }
    }

    /** A peer list that does not read stops all exchange but forgets no pin: fixed, it trusts the keys pinned before. */
    @Test
    @Order(9)
    void anUnreadablePeerListStopsExchangeButKeepsThePins() throws Exception {
        nations.await("FRA pins DEU", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
        Path peers = nations.homes.get("FRA").peers();
        String listed = Files.readString(peers);
        Files.writeString(peers, listed.substring(0, listed.length() / 2)); // a hand edit half-saved
        nations.await("FRA trusts no peer", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isEmpty());
        Thread.sleep(1000); // the supervisor acts on the list within one check (200 ms)
        assertThat(pinnedAt("FRA")).containsExactlyInAnyOrder("DEU", "USA");

        Files.writeString(peers, listed);
        nations.await("FRA trusts DEU again", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
        nations.unpeer("FRA", "USA"); // a peer absent from a list that reads is forgotten
        nations.await("FRA forgets USA's pin", SHARE, () -> pinnedAt("FRA").equals(List.of("DEU")));
    }

    /**
     * The federation API names what is wrong with a request's query, and never takes a bad ack for a
     * bad cursor. (A bad escape, '%zz', gets a 400 the same way; no client here sends one.)
     */
    @Test
    @Order(10)
    void aFeedRequestsBadQueryIs400NamingIt() throws Exception {
        nations.await("DEU and FRA pin each other", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent()
                && nations.node("DEU").peerIdentity("FRA").isPresent());
        assertThat(feedAsFra("cursor=&cursor=")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("query parameter 'cursor' is given 2 times");
        });
        // An ack that is not a cursor DEU issued to FRA: "Bad cursor" would make FRA forget its cursor and start over.
        assertThat(feedAsFra("cursor=&ack=bogus")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("\"title\":\"Bad request\"").contains("ack: not a cursor this node issued to you");
        });
        assertThat(feedAsFra("cursor=bogus").body()).contains("\"title\":\"Bad cursor\"");
        // A bad escape, which the JDK's client will not send: written on the TLS connection by hand.
        assertThat(rawFeedAsFra("cursor=%zz")).startsWith("HTTP/1.1 400 ")
                .contains("the query string is not valid: each '%' is followed by two hexadecimal digits");
    }

    /**
     * A certificate listed again under another nation is not the peer pinned for it: its old identity
     * (and so the old nation's records) does not carry over, and is forgotten.
     */
    @Test
    @Order(11)
    void aCertificateListedUnderAnotherNationKeepsNothingOfItsPin() throws Exception {
        nations.await("FRA pins DEU", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
        Path peers = nations.homes.get("FRA").peers();
        String listed = Files.readString(peers);
        var deu = io.bulwark.federation.PeerList.read(peers).byNation("DEU").orElseThrow();
        io.bulwark.federation.PeerList.read(peers).without("DEU")
                .with(new io.bulwark.federation.Peer("GBR", deu.url(), deu.fingerprint(), deu.added()), "FRA").write(peers);
        assertThat(nations.node("FRA").peerIdentity("GBR")).as("DEU's identity is not GBR's").isEmpty();
        nations.await("FRA forgets DEU's pin", SHARE, () -> !pinnedAt("FRA").contains("DEU"));
        Thread.sleep(1000); // DEU's node answers as DEU: it is not pinned as GBR either
        assertThat(nations.node("FRA").peerIdentity("GBR")).isEmpty();

        Files.writeString(peers, listed);
        nations.await("FRA pins DEU afresh", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
    }

    /** A peer removed while the node was down is forgotten once it runs: adding it again pins it afresh. */
    @Test
    @Order(12)
    void aPeerRemovedWhileTheNodeWasDownIsForgottenAtItsStart() throws Exception {
        nations.await("FRA pins DEU", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
        nations.stop("FRA");
        nations.unpeer("FRA", "DEU");
        assertThat(pinnedAt("FRA")).contains("DEU");
        nations.restart("FRA");
        nations.await("FRA forgets DEU's pin", SHARE, () -> !pinnedAt("FRA").contains("DEU"));
        nations.peer("FRA", "DEU");
        nations.await("FRA pins DEU afresh", SHARE, () -> nations.node("FRA").peerIdentity("DEU").isPresent());
    }

    /** A feed request to DEU with FRA's pinned certificate. */
    /** The whole answer to a feed request written byte for byte over FRA's pinned mutual-TLS connection to DEU. */
    private String rawFeedAsFra(String query) throws Exception {
        NodeHome fra = nations.homes.get("FRA");
        String deuPin = nations.homes.get("DEU").tlsFingerprint();
        var tls = io.bulwark.federation.FederationTls.load(fra.tlsKeystore(), fra.passphrase(),
                io.bulwark.federation.PeerPins.of(() -> java.util.Set.of(deuPin)), io.bulwark.federation.FederationTls.KeyExchange.HYBRID_ONLY);
        java.net.URI deu = java.net.URI.create(nations.federationUrls.get("DEU"));
        return RawTls.exchange(tls.clientContext(), tls.clientParameters(), deu.getHost(), deu.getPort(),
                "GET /federation/v1/feed?" + query + " HTTP/1.1\r\nHost: " + deu.getHost() + "\r\nConnection: close\r\n\r\n");
    }

    private java.net.http.HttpResponse<String> feedAsFra(String query) throws Exception {
        NodeHome fra = nations.homes.get("FRA");
        String deuPin = nations.homes.get("DEU").tlsFingerprint();
        var tls = io.bulwark.federation.FederationTls.load(fra.tlsKeystore(), fra.passphrase(),
                io.bulwark.federation.PeerPins.of(() -> java.util.Set.of(deuPin)), io.bulwark.federation.FederationTls.KeyExchange.HYBRID_ONLY);
        try (var http = java.net.http.HttpClient.newBuilder().sslContext(tls.clientContext()).sslParameters(tls.clientParameters())
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(nations.federationUrls.get("DEU") + "/federation/v1/feed?" + query))
                    .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The nations whose identities a node keeps pinned (data/federation.db), read beside the running node. */
    private List<String> pinnedAt(String nation) {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + nations.homes.get(nation).federationState());
             var rs = c.createStatement().executeQuery("SELECT nation FROM peer_identity WHERE length(identity) > 0 ORDER BY nation")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) out.add(rs.getString(1));
            return out;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
