package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.audit.AuditProofs;
import io.bulwark.audit.SignedTreeHead;
import io.bulwark.federation.FederationTls;
import io.bulwark.federation.PeerPins;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import io.bulwark.store.RecordState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/** What three peered nodes write to their audit logs, read back through the client API and checked by a partner. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditTest {

    private static final Duration SHARE = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private final HttpClient http = HttpClient.newHttpClient();
    Federated nations;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA", "USA"));
        LocalUsers users = LocalUsers.open(nations.homes.get("DEU").dir(), PolicySet.defaults());
        users.add(new User("olga", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    private String token(String user) throws Exception {
        NodeHome home = nations.homes.get("DEU");
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
        return new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(nations.node("DEU").url() + path));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** DEU's entries through the API, once at least {@code atLeast} are durable (appends are queued). */
    /** The log's entries once it holds at least {@code atLeast} and every event described in {@code awaited} (events are written in batches). */
    private List<JsonNode> entries(String officer, int atLeast, String... awaited) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        nations.await(atLeast + " audit entries including " + List.of(awaited), SHARE, () -> {
            try {
                JsonNode body = JSON.readTree(get("/api/v1/audit/entries?limit=1000", officer).body());
                all.clear();
                body.get("entries").forEach(all::add);
                List<String> seen = all.stream().map(AuditTest::describe).toList();
                return all.size() >= atLeast && seen.containsAll(List.of(awaited));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return all;
    }

    private static String describe(JsonNode entry) {
        JsonNode e = entry.get("event");
        return e.get("type").asText() + " " + e.get("actor").asText() + " " + e.path("subject").asText("-");
    }

    @Test
    void everySecurityRelevantActIsAuditedInOrderAndReadableByOfficersOnly() throws Exception {
        RecordService records = nations.node("DEU").records();
        Principal isr = analyst("DEU", "ISR");
        Principal plain = analyst("DEU");
        var secret = records.publish(isr, "NATO SECRET//REL TO DEU//COI ISR", "", "text/plain", "isr".getBytes(StandardCharsets.UTF_8));
        assertThat(records.read(isr, secret.id())).isPresent();
        assertThat(records.read(plain, secret.id())).isEmpty(); // denied, answered as missing
        var other = records.publish(plain, "NATO SECRET//REL TO DEU", "", "text/plain", "x".getBytes(StandardCharsets.UTF_8));
        records.relabel(plain, other.id(), "NATO CONFIDENTIAL//REL TO DEU");
        assertThat(records.retract(plain, other.id())).isTrue();
        assertThat(get("/api/v1/audit/head", "not-a-token").statusCode()).isEqualTo(401);
        var fromFra = nations.node("FRA").records().publish(analyst("FRA"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain",
                "fra".getBytes(StandardCharsets.UTF_8));
        nations.await("DEU holds FRA's record", SHARE, () -> nations.node("DEU").metadata().find(fromFra.id())
                .filter(m -> m.state() == RecordState.ACTIVE).isPresent());

        String officer = token("olga");
        assertThat(get("/api/v1/audit/head", token("ana")).statusCode()).isEqualTo(403);
        List<JsonNode> entries = entries(officer, 8, "record.received peer:FRA " + fromFra.id(), "auth.failed anonymous -",
                "record.retract analyst-deu@DEU " + other.id());
        // This test's own acts (the other test's, and sharing between the nodes, interleave).
        List<String> local = entries.stream().map(AuditTest::describe)
                .filter(d -> d.startsWith("auth.failed") || (!d.startsWith("record.shared")
                        && (d.endsWith(secret.id()) || d.endsWith(other.id())))).toList();
        assertThat(local).containsExactly(
                "record.publish analyst-deu@DEU " + secret.id(),
                "record.read analyst-deu@DEU " + secret.id(),
                "record.read_denied analyst-deu@DEU " + secret.id(),
                "record.publish analyst-deu@DEU " + other.id(),
                "record.relabel analyst-deu@DEU " + other.id(),
                "record.retract analyst-deu@DEU " + other.id(),
                "auth.failed anonymous -");
        assertThat(entries).map(AuditTest::describe).contains("record.received peer:FRA " + fromFra.id(),
                "admin node:DEU/deu-1 peer:FRA", "admin node:DEU/deu-1 peer:USA"); // the links started
        JsonNode relabel = entries.stream().filter(e -> e.at("/event/type").asText().equals("record.relabel")).findFirst().orElseThrow();
        assertThat(relabel.at("/event/details/old").asText()).isEqualTo("NATO SECRET//REL TO DEU");
        assertThat(relabel.at("/event/details/new").asText()).isEqualTo("NATO CONFIDENTIAL//REL TO DEU");
        JsonNode failed = entries.stream().filter(e -> e.at("/event/type").asText().equals("auth.failed")).findFirst().orElseThrow();
        assertThat(failed.get("leaf").asText()).doesNotContain("not-a-token");
        JsonNode published = entries.stream().filter(e -> describe(e).equals("record.publish analyst-deu@DEU " + secret.id()))
                .findFirst().orElseThrow();
        assertThat(published.get("leaf").asText()).contains("\"label\":\"NATO SECRET//REL TO DEU//COI ISR\"");

        // The head and proofs over what was read: inclusion of the publish entry, consistency of two heads.
        JsonNode head = JSON.readTree(get("/api/v1/audit/head", officer).body());
        long size = head.get("size").asLong();
        long index = published.get("index").asLong();
        JsonNode inclusion = JSON.readTree(get("/api/v1/audit/proof/inclusion?index=" + index + "&size=" + size, officer).body());
        AuditProofs.verifyInclusion(HEX.parseHex(published.get("leafHash").asText()), index, size,
                hashes(inclusion.get("path")), HEX.parseHex(head.get("root").asText()));
        JsonNode consistency = JSON.readTree(get("/api/v1/audit/proof/consistency?from=1&to=" + size, officer).body());
        assertThat(consistency.get("newSize").asLong()).isEqualTo(size);
        HttpResponse<String> bad = get("/api/v1/audit/proof/inclusion?index=" + size + "&size=" + size, officer);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(bad.body()).contains("index: entry " + size + " is not in a tree of " + size + " entries");
        assertThat(get("/api/v1/audit/proof/inclusion?index=0&size=" + (size + 1000), officer).body()).contains("size: tree size " + (size + 1000));
        assertThat(get("/api/v1/audit/proof/consistency?from=2&to=1", officer).body()).contains("from: sizes 2 and 1");
        assertThat(get("/api/v1/approvals?state=bogus", officer).body()).contains("pending, executing, executed");
    }

    @Test
    void aPartnerVerifiesWhatConcernsItAndLearnsNothingElse() throws Exception {
        RecordService deu = nations.node("DEU").records();
        var toFra = deu.publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain", "f".getBytes(StandardCharsets.UTF_8));
        var toUsa = deu.publish(analyst("DEU"), "NATO SECRET//REL TO DEU, USA", "", "text/plain", "u".getBytes(StandardCharsets.UTF_8));
        nations.await("FRA and USA hold theirs", SHARE, () -> nations.node("FRA").metadata().find(toFra.id()).isPresent()
                && nations.node("USA").metadata().find(toUsa.id()).isPresent());

        NodeHome fra = nations.homes.get("FRA");
        String deuFingerprint = nations.homes.get("DEU").tlsFingerprint();
        FederationTls tls = FederationTls.load(fra.tlsKeystore(), fra.passphrase(), PeerPins.of(() -> Set.of(deuFingerprint)),
                FederationTls.KeyExchange.HYBRID_PREFERRED);
        try (HttpClient client = HttpClient.newBuilder().sslContext(tls.clientContext()).sslParameters(tls.clientParameters()).build()) {
            String base = nations.federationUrls.get("DEU");
            var keys = nations.homes.get("DEU").openKeystore().signing().publicKeys();
            HttpResponse<String>[] proof = new HttpResponse[1];
            nations.await("DEU's record.shared event for FRA is durable", SHARE, () -> {
                try {
                    proof[0] = client.send(HttpRequest.newBuilder(URI.create(base + "/federation/v1/audit/proof?record=" + toFra.id())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return proof[0].statusCode() == 200;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            JsonNode body = JSON.readTree(proof[0].body());
            SignedTreeHead head = head(body.get("head"));
            head.verify(keys);
            assertThat(body.get("entries")).isNotEmpty();
            for (JsonNode e : body.get("entries")) {
                byte[] leaf = e.get("leaf").asText().getBytes(StandardCharsets.UTF_8);
                byte[] leafHash = AuditProofs.leafHash(leaf);
                assertThat(HEX.formatHex(leafHash)).isEqualTo(e.get("leafHash").asText());
                AuditProofs.verifyInclusion(leafHash, e.get("index").asLong(), head.treeSize(), hashes(e.at("/inclusion/path")), head.rootHash());
                JsonNode event = JSON.readTree(leaf);
                assertThat(event.get("type").asText()).isEqualTo("record.shared");
                assertThat(event.get("subject").asText()).isEqualTo(toFra.id());
                assertThat(event.at("/details/peer").asText()).isEqualTo("FRA");
            }

            // DEU's record shared with USA only, and a record that does not exist: the same answer.
            HttpResponse<String> usas = client.send(HttpRequest.newBuilder(URI.create(base + "/federation/v1/audit/proof?record=" + toUsa.id())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(usas.statusCode()).isEqualTo(404);
            String missing = "0".repeat(toUsa.id().length());
            HttpResponse<String> none = client.send(HttpRequest.newBuilder(URI.create(base + "/federation/v1/audit/proof?record=" + missing)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(none.statusCode()).isEqualTo(404);
            assertThat(usas.body().replace(toUsa.id(), "ID")).isEqualTo(none.body().replace(missing, "ID"));

            HttpResponse<String> latest = client.send(HttpRequest.newBuilder(URI.create(base + "/federation/v1/audit/head")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(latest.statusCode()).isEqualTo(200);
            head(JSON.readTree(latest.body())).verify(keys);
        }
    }

    private static SignedTreeHead head(JsonNode h) {
        return new SignedTreeHead(h.get("size").asLong(), HEX.parseHex(h.get("root").asText()),
                Instant.ofEpochMilli(h.get("timestampMillis").asLong()), Base64.getDecoder().decode(h.get("signature").asText()));
    }

    private static List<byte[]> hashes(JsonNode path) {
        List<byte[]> out = new ArrayList<>();
        path.forEach(p -> out.add(HEX.parseHex(p.asText())));
        return out;
    }
}
