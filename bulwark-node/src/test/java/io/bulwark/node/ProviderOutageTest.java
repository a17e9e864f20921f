package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.store.BlobEntry;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.blob.s3.S3ServerProcess;
import io.bulwark.store.site.PlacementIndex;
import io.bulwark.store.site.Site;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node (DEU) whose two S3 providers are real S3 servers in child processes — {@code alpha-1} and
 * {@code beta-1}, both in FRA — beside its directory {@code default} (provider {@code local}, DEU).
 * Provider alpha is killed with SIGKILL while records are published and read through the API:
 * reads fail over, writes go to the compliant sites that are left or are refused with 503 when
 * their minimum cannot be met, and nothing half-written remains. Alpha then comes back empty (it
 * lost its disks), and repair restores every record's minimum.
 */
class ProviderOutageTest {

    private static final String ANY_TWO = "providers>=2";       // alpha + beta; during the outage beta + local
    private static final String FRA_TWO = "in=FRA;providers>=2"; // alpha + beta only: refused while alpha is down

    @TempDir Path dir;
    S3ServerProcess alpha;
    S3ServerProcess beta;
    NodeHome home;
    Node node;
    NodeClient api;
    /** Every record stored (201): id → its payload and residency. */
    final Map<String, String[]> stored = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        alpha = S3ServerProcess.start(dir.resolve("alpha"));
        beta = S3ServerProcess.start(dir.resolve("beta"));
        S3Server.bucket(alpha.endpoint(), "alpha");
        S3Server.bucket(beta.endpoint(), "beta");
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0");
        NodeClient.writeS3Secret(home, S3Server.ACCESS, S3Server.SECRET);
        for (var s : List.of(new String[] {"alpha-1", "alpha", alpha.endpoint().toString()}, new String[] {"beta-1", "beta", beta.endpoint().toString()})) {
            StorageAdmin.add(home, new NodeConfig.SiteConfig(s[0], s[1], "FRA", "FRA", "s3", null, s[2], s[1], null, null, "secrets/s3.secret"));
        }
        NodeClient.addUsers(home);
        node = Node.start(home);
        api = new NodeClient(home, () -> node);
    }

    @AfterEach
    void stop() {
        node.close();
        alpha.close();
        beta.close();
    }

    @Test
    void aKilledProviderIsFailedOverWithoutHalfRecordsAndRepairRestoresEveryMinimumWhenItIsBack() throws Exception {
        for (int i = 0; i < 8; i++) {
            publish(ANY_TWO, "any " + i);
            publish(FRA_TWO, "fra " + i);
        }
        List<String> initial = List.copyOf(stored.keySet());
        assertThat(initial).allSatisfy(id -> assertThat(placements(id)).containsExactly("alpha-1", "beta-1"));

        // Traffic: a writer alternating both residencies, a reader going round the records stored so far.
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean killed = new AtomicBoolean();
        List<String> errors = new CopyOnWriteArrayList<>();
        AtomicInteger writes = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger refusedAfterKill = new AtomicInteger();
        AtomicInteger storedAfterKill = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            for (int i = 0; running.get(); i++) {
                String residency = i % 2 == 0 ? ANY_TWO : FRA_TWO;
                boolean after = killed.get(); // begun after the kill
                try {
                    NodeClient.Answer a = api.post(residency, "during " + i);
                    if (a.status() == 201) {
                        stored.put(a.json().path("id").asText(), new String[] {"during " + i, residency});
                        if (after) storedAfterKill.incrementAndGet();
                    } else if (a.status() == 503 && residency.equals(FRA_TWO) && killed.get()) {
                        refusedAfterKill.incrementAndGet(); // its minimum cannot be met while alpha is down
                    } else {
                        errors.add(residency + " -> " + a.status() + " " + a.text());
                    }
                    writes.incrementAndGet();
                } catch (Exception e) {
                    errors.add(residency + " -> " + e);
                }
            }
        });
        Thread reader = Thread.ofVirtual().start(() -> {
            for (int i = 0; running.get(); i++) {
                String id = initial.get(i % initial.size());
                try {
                    NodeClient.Answer a = api.read(id);
                    if (a.status() != 200 || !a.text().equals(stored.get(id)[0])) errors.add("read " + id + " -> " + a.status() + " " + a.text());
                    reads.incrementAndGet();
                } catch (Exception e) {
                    errors.add("read " + id + " -> " + e);
                }
            }
        });
        await("traffic is flowing", () -> writes.get() >= 6 && reads.get() >= 10);
        alpha.kill(); // SIGKILL: provider alpha is gone mid-operation
        killed.set(true);
        int readsAtKill = reads.get();
        await("reads and writes go on after the kill", () -> storedAfterKill.get() >= 6 && refusedAfterKill.get() >= 3
                && reads.get() >= readsAtKill + 20);
        running.set(false);
        writer.join();
        reader.join();
        assertThat(errors).as("every read succeeded, every write was stored or refused with 503").isEmpty();

        // No half-records: every record listed was stored (201) and is readable with its minimum on
        // compliant sites; the sites that stayed up hold exactly the replicas the index names.
        assertThat(listedIds()).isEqualTo(new TreeSet<>(stored.keySet()));
        for (var e : stored.entrySet()) {
            assertThat(providers(placements(e.getKey()))).as("record %s", e.getKey()).hasSizeGreaterThanOrEqualTo(2);
            if (e.getValue()[1].equals(FRA_TWO)) assertThat(placements(e.getKey())).containsExactly("alpha-1", "beta-1");
        }
        for (String site : List.of("beta-1", "default")) {
            assertThat(blobKeys(site)).as("site %s holds no replica the index does not name", site).isEqualTo(indexedKeys(site));
        }

        // Repair during the outage: records that may live anywhere get a replica on local; those
        // that must stay in FRA cannot be repaired while alpha is down, and are listed.
        node.storage().repair();
        Set<String> fra = stored.entrySet().stream().filter(e -> e.getValue()[1].equals(FRA_TWO)).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(underReplicated()).isEqualTo(fra);
        assertThat(api.storage().path("underReplicatedCount").asLong()).isEqualTo(fra.size());
        stored.forEach((id, v) -> {
            if (v[1].equals(ANY_TWO) && placements(id).contains("alpha-1")) assertThat(placements(id)).contains("default");
        });

        // A relabel of a record that must stay in FRA cannot be stored either: refused as a publish is
        // (503, retry later), not failed with a 500, and the record keeps its label and bytes.
        String fraRecord = fra.iterator().next();
        var relabel = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(node.url() + "/api/v1/records/" + fraRecord + "/label"))
                .header("Authorization", "Bearer " + api.token("ana")).header("Bulwark-Label", "NATO SECRET//REL TO DEU, FRA")
                .PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(relabel.statusCode()).as(relabel.body()).isEqualTo(503);
        assertThat(relabel.body()).contains("Storage unavailable");
        assertThat(api.read(fraRecord).text()).isEqualTo(stored.get(fraRecord)[0]);
        assertThat(node.metadata().find(fraRecord).orElseThrow().label().json()).doesNotContain("FRA");

        // Alpha comes back on the same port, empty: repair copies its replicas back from beta.
        try (Stream<Path> files = Files.walk(dir.resolve("alpha/data"))) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        alpha.restart();
        S3Server.bucket(alpha.endpoint(), "alpha");
        await("repair restores every record's minimum", () -> {
            node.storage().repair(); // it runs every 5 minutes on its own; alpha is used again once its backoff has passed
            return underReplicated().isEmpty();
        });
        assertThat(api.storage().path("underReplicated")).isEmpty();
        assertThat(blobKeys("alpha-1")).containsAll(fra.stream().map(id -> node.storage().index().get(id).orElseThrow().ref().key()).toList());
        for (var e : stored.entrySet()) {
            NodeClient.Answer a = api.read(e.getKey());
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.text()).isEqualTo(e.getValue()[0]);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    void publish(String residency, String payload) throws Exception {
        stored.put(api.publish(residency, payload), new String[] {payload, residency});
    }

    List<String> placements(String id) {
        return node.storage().index().get(id).map(PlacementIndex.Entry::placements).map(p -> List.copyOf(p.keySet())).orElse(List.of());
    }

    Set<String> providers(List<String> sites) {
        return sites.stream().map(s -> node.storage().replicas().site(s).map(Site::provider).orElseThrow()).collect(Collectors.toSet());
    }

    Set<String> blobKeys(String site) {
        try (Stream<BlobEntry> entries = node.storage().replicas().store(site).list()) {
            return entries.map(BlobEntry::key).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    Set<String> indexedKeys(String site) {
        return node.storage().index().page(Set.of(site), "", 10_000).stream().map(e -> e.ref().key())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The ids {@code GET /api/v1/storage} lists as under their minimum. */
    Set<String> underReplicated() {
        try {
            Set<String> ids = new TreeSet<>();
            api.storage().path("underReplicated").forEach(u -> ids.add(u.asText().substring(0, u.asText().indexOf(':'))));
            return ids;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    Set<String> listedIds() throws Exception {
        Set<String> ids = new TreeSet<>();
        String cursor = "";
        do {
            JsonNode page = api.call("GET", "/api/v1/records?limit=100" + (cursor.isEmpty() ? "" : "&cursor=" + cursor), "ana", null).json();
            page.path("items").forEach(i -> ids.add(i.path("id").asText()));
            cursor = page.path("next").asText("");
        } while (!cursor.isEmpty());
        return ids;
    }

    /** Waits for a condition; the deadline only keeps a broken build from hanging. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(100);
        }
    }
}
