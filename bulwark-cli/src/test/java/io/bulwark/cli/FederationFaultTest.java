package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static io.bulwark.cli.NodeCrashTest.sha256;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5, proof 2: federation under faults, with real node processes. Three nations (DEU, FRA,
 * USA), each a home made with the CLI, peered both ways with the CLI, started as child JVMs with
 * {@link NodeProcess}. The tests run in order on the same three nodes and leave all three running.
 *
 * <p>What a node holds is checked through its client API and, for "exactly once", in its SQLite
 * change log directly, over a read-only connection while the node runs. Waits are generous; no
 * assertion is on speed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FederationFaultTest {

    private static final List<String> NATIONS = List.of("DEU", "FRA", "USA");
    private static final String DEU_FRA = "NATO SECRET//REL TO DEU, FRA";
    private static final String ALL = "NATO SECRET//REL TO DEU, FRA, USA";
    private static final String DEU_USA = "NATO SECRET//REL TO DEU, USA";
    private static final int WRITERS = 4;
    /** A bound on every wait, never an assertion on speed. */
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();
    private final Map<String, Path> homes = new LinkedHashMap<>();
    private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
    private final Map<String, String> analysts = new HashMap<>();
    private final Map<String, String> operators = new HashMap<>();
    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);

    @BeforeAll
    void startThreePeeredNations(@TempDir Path dir) throws Exception {
        System.out.println("FederationFaultTest seed " + seed);
        Map<String, JsonNode> info = new HashMap<>();
        for (String n : NATIONS) {
            Path home = dir.resolve(n);
            homes.put(n, home);
            Cli.run("init", "--home", home.toString(), "--nation", n, "--node", n.toLowerCase() + "-1",
                    "--federation-listen", "127.0.0.1:" + freePort()).succeeds();
            info.put(n, JSON.readTree(Cli.run("node", "info", "--home", home.toString(), "--json").succeeds().out()));
            Cli.run("user", "add", "--home", home.toString(), "analyst", "--nationality", n, "--clearance", "NATO SECRET").succeeds();
            Cli.run("user", "add", "--home", home.toString(), "ops", "--nationality", n, "--role", "operator").succeeds();
            analysts.put(n, Cli.run("token", "--home", home.toString(), "analyst", "--ttl", "1d").succeeds().line());
            operators.put(n, Cli.run("token", "--home", home.toString(), "ops", "--ttl", "1d").succeeds().line());
        }
        for (String n : NATIONS) {
            for (String other : NATIONS) {
                if (other.equals(n)) continue;
                Cli.run("peer", "add", "--home", homes.get(n).toString(), "--nation", other,
                        "--url", info.get(other).path("federationUrl").asText(),
                        "--fingerprint", info.get(other).path("fingerprint").asText()).succeeds();
            }
        }
        for (String n : NATIONS) nodes.put(n, NodeProcess.start(homes.get(n)));
        for (String n : NATIONS) {
            await(n + " has introduced and connected to both its peers", () -> {
                JsonNode peers = peers(n);
                if (peers.size() != 2) return false;
                for (JsonNode p : peers) if (p.path("node").isNull() || !p.path("state").asText().equals("connected")) return false;
                return true;
            });
        }
    }

    @AfterAll
    void stopAll() {
        nodes.values().forEach(NodeProcess::close);
        http.close();
    }

    @Test
    @Order(1)
    void aReceiverKilledMidStreamGetsEveryRecordExactlyOnce() throws Exception {
        int total = 300;
        Driver stream = new Driver("DEU", DEU_FRA, total);
        stream.awaitAcknowledged(30 + random.nextInt(200));
        nodes.get("FRA").kill();
        nodes.put("FRA", NodeProcess.start(homes.get("FRA")));
        stream.join();
        assertThat(stream.unexpected).as("answers other than 201 from DEU").isEmpty();
        assertThat(stream.acknowledged).hasSize(total);

        Set<String> ids = stream.acknowledged.keySet();
        await("FRA holds every record of the stream", () -> activeIds("FRA").containsAll(ids));
        assertReadsWhole("FRA", ids, stream.acknowledged, Set.of());
        assertEachStoredOnce("FRA", ids);

        // USA is not released to: no row of any of them, and its API knows none of them.
        assertThat(changeLog("USA").keySet()).as("ids in USA's change log").doesNotContainAnyElementsOf(ids);
        for (String id : ids) assertThat(get("USA", id).statusCode()).as("GET %s at USA", id).isEqualTo(404);
    }

    @Test
    @Order(2)
    void aPeerThatWasUnreachableCatchesUpAndItsLagReturnsToZero() throws Exception {
        assertThat(nodes.get("USA").stop()).as("USA's exit status on SIGTERM").isIn(0, 143);
        Driver atDeu = new Driver("DEU", ALL, 20);
        Driver atFra = new Driver("FRA", ALL, 20);
        atDeu.join();
        atFra.join();
        assertThat(atDeu.unexpected).isEmpty();
        assertThat(atFra.unexpected).isEmpty();

        // No silent success: both origins show USA failing, with the reason and what it has not acknowledged.
        for (String origin : List.of("DEU", "FRA")) {
            await(origin + " shows USA failing and lagging", () -> {
                JsonNode usa = peer(origin, "USA");
                return usa.path("state").asText().equals("failing") && usa.path("lastError").asText().startsWith("unreachable")
                        && usa.path("lagRecords").isIntegralNumber() && usa.path("lagRecords").asLong() >= 20;
            });
        }
        // The CLI shows the same from the status file the node writes every 2 s.
        await("bulwark peer list --home DEU shows USA failing and unreachable", () -> {
            String out = Cli.run("peer", "list", "--home", homes.get("DEU").toString()).succeeds().out();
            String usa = out.lines().filter(l -> l.startsWith("USA")).findFirst().orElse("");
            return usa.contains("failing") && usa.contains("unreachable") && !out.contains("STALE"); // the node is running
        });

        nodes.put("USA", NodeProcess.start(homes.get("USA")));
        Map<String, String> both = new HashMap<>(atDeu.acknowledged);
        both.putAll(atFra.acknowledged);
        await("USA holds everything published while it was down", () -> activeIds("USA").containsAll(both.keySet()));
        assertReadsWhole("USA", both.keySet(), both, Set.of());
        assertEachStoredOnce("USA", both.keySet());
        for (String origin : List.of("DEU", "FRA")) {
            await(origin + " shows USA connected with no lag", () -> {
                JsonNode usa = peer(origin, "USA");
                return usa.path("state").asText().equals("connected") && usa.path("lagRecords").isIntegralNumber()
                        && usa.path("lagRecords").asLong() == 0; // null (not known) is not 0
            });
        }
    }

    @Test
    @Order(3)
    void anOriginKilledMidStreamDeliversExactlyWhatItCommitted() throws Exception {
        Set<String> deuBefore = activeIds("DEU");
        Set<String> fraBefore = activeIds("FRA");
        Driver first = new Driver("DEU", DEU_FRA, 200);
        first.awaitAcknowledged(20 + random.nextInt(130));
        first.originMayFail = true;
        nodes.get("DEU").kill();
        first.join();
        assertThat(first.unexpected).as("failures before DEU was killed").isEmpty();
        nodes.put("DEU", NodeProcess.start(homes.get("DEU")));
        Driver more = new Driver("DEU", DEU_FRA, 50);
        more.join();
        assertThat(more.unexpected).isEmpty();

        Map<String, String> acknowledged = new HashMap<>(first.acknowledged);
        acknowledged.putAll(more.acknowledged);
        Set<String> sent = new HashSet<>(first.sent);
        sent.addAll(more.sent);
        // What DEU committed: every acknowledged write, and perhaps some it could not acknowledge before it died.
        Set<String> committed = activeIds("DEU");
        committed.removeAll(deuBefore);
        assertThat(committed).as("DEU's records of this stream").containsAll(acknowledged.keySet());
        await("FRA holds everything DEU committed", () -> activeIds("FRA").containsAll(committed));
        Set<String> atFra = activeIds("FRA");
        atFra.removeAll(fraBefore);
        assertThat(atFra).as("FRA's new records: exactly DEU's").containsExactlyInAnyOrderElementsOf(committed);
        assertReadsWhole("FRA", committed, acknowledged, sent);
        assertEachStoredOnce("FRA", committed);
        System.out.printf("FederationFaultTest: DEU killed after %d acknowledged writes; %d of its records were committed "
                + "but not acknowledged%n", first.acknowledged.size(), committed.size() - acknowledged.size());
    }

    @Test
    @Order(4)
    void aRelabelAndARetractionMadeWhileAPeerIsDownReachItWhenItReturns() throws Exception {
        Driver two = new Driver("DEU", ALL, 2);
        two.join();
        assertThat(two.acknowledged).hasSize(2);
        List<String> ids = List.copyOf(two.acknowledged.keySet());
        String r1 = ids.get(0);
        String r2 = ids.get(1);
        await("FRA and USA hold R1 and R2", () -> activeIds("FRA").containsAll(ids) && activeIds("USA").containsAll(ids));
        String r1BlobAtFra = column("FRA", "SELECT blob_key FROM records WHERE id = ?", r1).orElseThrow();

        assertThat(nodes.get("FRA").stop()).as("FRA's exit status on SIGTERM").isIn(0, 143);
        String deu = nodes.get("DEU").url();
        Cli.run("relabel", "--url", deu, "--token", analysts.get("DEU"), "--label", DEU_USA, r1).succeeds();
        Cli.run("retract", "--url", deu, "--token", analysts.get("DEU"), r2).succeeds();
        // FRA is down: DEU shows its confirmations as owed, not given (no silent success).
        assertThat(confirmations("DEU", r1)).as("FRA's withdrawal of R1 while FRA is down").singleElement()
                .satisfies(c -> assertThat(c.path("confirmed").isNull()).as(c.toString()).isTrue());
        assertThat(confirmations("DEU", r2)).as("R2's retraction while FRA is down").filteredOn(c -> c.path("nation").asText().equals("FRA"))
                .singleElement().satisfies(c -> assertThat(c.path("confirmed").isNull()).as(c.toString()).isTrue());
        nodes.put("FRA", NodeProcess.start(homes.get("FRA")));

        await("FRA has withdrawn R1 and retracted R2", () -> state("FRA", r1).equals(Optional.of("RETRACTED"))
                && state("FRA", r2).equals(Optional.of("RETRACTED")));
        assertThat(get("FRA", r1).statusCode()).as("GET R1 at FRA").isEqualTo(404);
        assertThat(get("FRA", r2).statusCode()).as("GET R2 at FRA").isEqualTo(404);
        assertThat(siteHolds("FRA", r1BlobAtFra)).as("R1's blob at FRA").isFalse();

        await("USA has R2 retracted", () -> state("USA", r2).equals(Optional.of("RETRACTED")));
        assertThat(get("USA", r2).statusCode()).as("GET R2 at USA").isEqualTo(404);
        await("USA reads R1 with its new label", () -> get("USA", r1).headers().firstValue("Bulwark-Label").orElse("").equals(DEU_USA));
        assertThat(sha256(get("USA", r1).body())).isEqualTo(two.acknowledged.get(r1));

        await("DEU shows FRA's withdrawal of R1 confirmed", () -> {
            for (JsonNode c : confirmations("DEU", r1)) {
                if (c.path("nation").asText().equals("FRA") && c.path("kind").asText().equals("withdrawal")
                        && !c.path("confirmed").isNull()) return true;
            }
            return false;
        });
        assertThat(confirmations("DEU", r1).findValuesAsText("nation")).as("who owes DEU a confirmation for R1").containsExactly("FRA");
        await("DEU shows R2's retraction confirmed by FRA and USA", () -> {
            Set<String> confirmed = new HashSet<>();
            for (JsonNode c : confirmations("DEU", r2)) if (!c.path("confirmed").isNull()) confirmed.add(c.path("nation").asText());
            return confirmed.equals(Set.of("FRA", "USA"));
        });
    }

    // ---- the load driver ---------------------------------------------------------------------------

    /**
     * Publishes {@code total} records of random bytes at a node from a few writer threads (started at
     * once), and records the id and payload digest of each acknowledged one and the digest of every
     * payload sent. A failed request stops its writer; it is unexpected unless {@link #originMayFail}.
     */
    private final class Driver {
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final Set<String> sent = ConcurrentHashMap.newKeySet();
        final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
        volatile boolean originMayFail;
        private final AtomicInteger left;
        private final List<Thread> writers = new ArrayList<>();

        Driver(String nation, String label, int total) {
            left = new AtomicInteger(total);
            String url = nodes.get(nation).url();
            for (int w = 0; w < WRITERS; w++) {
                SplittableRandom payloads = new SplittableRandom(random.nextLong());
                writers.add(Thread.ofVirtual().name("writer-" + nation + "-" + w).start(() -> write(url, analysts.get(nation), label, payloads)));
            }
        }

        private void write(String url, String token, String label, SplittableRandom random) {
            while (left.getAndDecrement() > 0) {
                byte[] payload = new byte[1 + random.nextInt(2048)];
                random.nextBytes(payload);
                String digest = sha256(payload);
                sent.add(digest);
                HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/records"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token)
                        .header("Bulwark-Label", label)
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
                try {
                    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() == 201) {
                        acknowledged.put(JSON.readTree(r.body()).path("id").asText(), digest);
                    } else {
                        unexpected.add(r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    if (!originMayFail) unexpected.add("I/O failure while the node was up: " + e);
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        /** Returns once {@code n} writes are acknowledged (the stream is still running then, unless it is short). */
        void awaitAcknowledged(int n) throws InterruptedException {
            await(n + " writes acknowledged", () -> acknowledged.size() >= n || writers.stream().noneMatch(Thread::isAlive));
            assertThat(acknowledged.size()).as("acknowledged when the fault was due").isGreaterThanOrEqualTo(n);
        }

        void join() throws InterruptedException {
            for (Thread t : writers) t.join(WAIT);
            assertThat(writers).as("writers still running").noneMatch(Thread::isAlive);
        }
    }

    // ---- what a node holds -------------------------------------------------------------------------

    /**
     * Each id reads back whole through the nation's API: with the payload its write was acknowledged
     * with, or — for a write not acknowledged — with a payload that was sent, never anything else.
     */
    private void assertReadsWhole(String nation, Set<String> ids, Map<String, String> acknowledged, Set<String> sent) throws Exception {
        List<String> failures = new ArrayList<>();
        for (String id : ids) {
            HttpResponse<byte[]> r = get(nation, id);
            String expected = acknowledged.get(id);
            if (r.statusCode() != 200) failures.add(id + ": HTTP " + r.statusCode());
            else if (expected != null && !expected.equals(sha256(r.body()))) failures.add(id + ": digest " + sha256(r.body()) + ", acknowledged " + expected);
            else if (expected == null && !sent.contains(sha256(r.body()))) failures.add(id + ": a payload never sent (" + r.body().length + " bytes)");
        }
        assertThat(failures).as("records at %s that do not read back whole", nation).isEmpty();
    }

    /** Each id has exactly one change-log entry at the nation: its PUBLISHED one — it arrived once and was never redone. */
    private void assertEachStoredOnce(String nation, Set<String> ids) throws SQLException {
        Map<String, List<String>> log = changeLog(nation);
        List<String> wrong = ids.stream().filter(id -> !List.of("PUBLISHED").equals(log.get(id)))
                .map(id -> id + ": " + log.get(id)).toList();
        assertThat(wrong).as("ids at %s whose change log is not exactly one PUBLISHED entry", nation).isEmpty();
    }

    private HttpResponse<byte[]> get(String nation, String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(nodes.get(nation).url() + "/api/v1/records/" + id))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + analysts.get(nation)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode operatorGet(String nation, String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(nodes.get(nation).url() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + operators.get(nation)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as("GET %s at %s: %s", path, nation, new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode peers(String nation) throws IOException, InterruptedException {
        return operatorGet(nation, "/api/v1/federation/peers").path("peers");
    }

    private JsonNode peer(String nation, String peer) throws IOException, InterruptedException {
        for (JsonNode p : peers(nation)) if (p.path("nation").asText().equals(peer)) return p;
        throw new AssertionError(nation + " does not list peer " + peer);
    }

    private JsonNode confirmations(String nation, String record) throws IOException, InterruptedException {
        return operatorGet(nation, "/api/v1/federation/confirmations?record=" + record).path("confirmations");
    }

    /** A read-only connection to the nation's metadata database; the node may be running. */
    private Connection metadata(String nation) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:file:" + homes.get(nation).resolve("data/metadata.db") + "?mode=ro");
    }

    /** The ids of the records the nation holds (state ACTIVE). */
    private Set<String> activeIds(String nation) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = metadata(nation); ResultSet rs = c.createStatement().executeQuery("SELECT id FROM records WHERE state = 'ACTIVE'")) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
    }

    /** Every id in the nation's change log with the kinds of its entries, in order. */
    private Map<String, List<String>> changeLog(String nation) throws SQLException {
        Map<String, List<String>> log = new HashMap<>();
        try (Connection c = metadata(nation);
             ResultSet rs = c.createStatement().executeQuery("SELECT record_id, kind FROM change_log ORDER BY seq")) {
            while (rs.next()) log.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
        return log;
    }

    private Optional<String> state(String nation, String id) throws SQLException {
        return column(nation, "SELECT state FROM records WHERE id = ?", id);
    }

    private Optional<String> column(String nation, String sql, String id) throws SQLException {
        try (Connection c = metadata(nation); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private boolean siteHolds(String nation, String key) throws java.io.IOException {
        return io.bulwark.store.blob.SiteContents.holds(homes.get(nation).resolve("sites/default"), key);
    }

    // ---- waiting -----------------------------------------------------------------------------------

    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls until the condition holds; on timeout fails with each running node's view of its peers. */
    private void await(String what, Condition condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.holds()) return;
                last = null;
            } catch (Exception e) {
                last = e; // e.g. a node still starting: ask again
            }
            Thread.sleep(100);
        }
        StringBuilder state = new StringBuilder();
        for (String n : NATIONS) {
            NodeProcess p = nodes.get(n);
            if (p == null || !p.isAlive()) continue;
            try {
                state.append('\n').append(n).append(" peers: ").append(peers(n));
            } catch (Exception | AssertionError e) {
                state.append('\n').append(n).append(": ").append(e);
            }
        }
        throw new AssertionError("timed out after " + WAIT + " waiting until " + what + (last == null ? "" : " (last: " + last + ")") + state);
    }

    private static int freePort() throws IOException {
        return io.bulwark.node.LoopbackPorts.free();
    }
}
