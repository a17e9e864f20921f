package io.bulwark.store.site;

import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.blob.s3.S3ServerProcess;
import io.bulwark.store.site.ReplicatedBlobStore.Content;
import io.bulwark.store.site.ReplicatedBlobStore.Stored;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.bulwark.store.site.SiteFixture.BETA;
import static io.bulwark.store.site.SiteFixture.HOME;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Provider beta is a real S3 server in a child process, killed (SIGKILL) in the middle of reads and
 * writes: reads fail over, new writes go to compliant sites elsewhere, and repair restores each
 * record's minimum as soon as compliant capacity exists.
 */
class ProviderLossTest {

    private static final ResidencyPolicy TWO = new ResidencyPolicy(Set.of(), Set.of(), 2);
    private static final ResidencyPolicy THREE = new ResidencyPolicy(Set.of(), Set.of(), 3);

    @TempDir
    Path dir;
    private S3Server alphaServer;
    private S3ServerProcess betaProcess;
    private ReplicatedBlobStore replicas;
    private final InMemoryPlacementIndex index = new InMemoryPlacementIndex();
    private final Map<String, byte[]> contents = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        alphaServer = S3Server.start(dir.resolve("alpha"), 0);
        betaProcess = S3ServerProcess.start(dir.resolve("beta"));
        SiteFixture sites = new SiteFixture(dir, alphaServer.endpoint(), betaProcess.endpoint());
        replicas = new ReplicatedBlobStore(sites.stores(), new SiteHealth(Duration.ofMillis(300), Duration.ofSeconds(2), Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        replicas.close();
        alphaServer.close();
        betaProcess.close();
    }

    private void publish(String id, ResidencyPolicy policy) {
        byte[] content = new byte[2_000 + id.length() * 100];
        new Random(id.hashCode()).nextBytes(content);
        Stored s = (Stored) replicas.put(id, policy, Content.of(content));
        contents.put(id, content);
        index.put(new PlacementIndex.Entry(id, policy, s.placements()));
    }

    private byte[] read(String id) throws IOException {
        try (InputStream in = replicas.open(index.get(id).orElseThrow().placements()).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    @Test
    void readsAndWritesCarryOnThroughAKilledProviderAndRepairRestoresTheMinimum() throws Exception {
        for (int i = 0; i < 20; i++) publish("old-" + i, TWO); // alpha + beta
        publish("triple", THREE);                                 // alpha + beta + home

        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        Thread reader = Thread.ofVirtual().start(() -> {
            for (int i = 0; running.get(); i++) {
                String id = "old-" + (i % 20);
                try {
                    assertThat(read(id)).isEqualTo(contents.get(id));
                    reads.incrementAndGet();
                } catch (Throwable e) {
                    errors.add(e);
                }
            }
        });
        Thread writer = Thread.ofVirtual().start(() -> {
            while (running.get()) {
                try {
                    publish("new-" + writes.incrementAndGet(), TWO);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }
        });
        Thread.sleep(1_000);
        betaProcess.kill();
        int readsAtKill = reads.get();
        int writesAtKill = writes.get();
        Thread.sleep(3_000);
        running.set(false);
        reader.join();
        writer.join();

        assertThat(errors).as("no read or write failed").isEmpty();
        assertThat(reads.get()).as("reads went on after the kill").isGreaterThan(readsAtKill);
        assertThat(writes.get()).as("writes went on after the kill").isGreaterThan(writesAtKill + 1);
        assertThat(index.get("new-" + (writes.get() - 1)).orElseThrow().placements()).as("a write after the kill avoids beta")
                .doesNotContainKey(BETA).hasSize(2);

        // Repair: every record that had a replica on beta gets one on home, the only other provider.
        Repair.Report report = new Repair(replicas, index).run();
        assertThat(report.underReplicated()).isOne();
        assertThat(report.examples()).singleElement().asString()
                .isEqualTo("triple: providers>=3: 2 provider(s) hold a replica that answers; no compliant provider is available outside providers alpha, home; down: beta");
        assertThat(report.repaired()).isGreaterThanOrEqualTo(20);
        for (String id : List.of("old-0", "old-19")) {
            assertThat(index.get(id).orElseThrow().placements()).containsKey(HOME).containsKey(BETA);
            assertThat(read(id)).isEqualTo(contents.get(id));
        }

        // Beta comes back: nothing is under-replicated any more, and nothing needs repairing.
        betaProcess.restart();
        Thread.sleep(2_100); // the longest backoff
        Repair.Report after = new Repair(replicas, index).run();
        assertThat(after.underReplicated()).isZero();
        assertThat(after.repaired()).isZero();
    }

    @Test
    void repairWaitsForCompliantCapacity() {
        ResidencyPolicy deuAndFra = new ResidencyPolicy(Set.of("DEU", "FRA"), Set.of(), 2);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            publish("r-" + i, new ResidencyPolicy(Set.of("DEU"), Set.of(), 1)); // beta only
            ids.add("r-" + i);
        }
        publish("both", deuAndFra);
        betaProcess.kill();
        Repair.Report report = new Repair(replicas, index).run();
        assertThat(report.underReplicated()).isEqualTo(3);
        assertThat(report.examples()).hasSize(3).allSatisfy(s ->
                assertThat(s).endsWith("no replica answers; it can be restored only when a site holding one is back"));
        assertThat(report.repaired()).isEqualTo(1); // "both": alpha answers, home (FRA) gets a copy
    }

    @Test
    void repairRestoresAReplicaCutShort() throws IOException {
        ResidencyPolicy two = new ResidencyPolicy(Set.of(), Set.of(), 2);
        publish("short", two);
        PlacementIndex.Entry before = index.get("short").orElseThrow();
        String cut = before.placements().firstKey();
        String whole = before.placements().lastKey();
        io.bulwark.store.BlobStore there = replicas.store(cut);
        there.delete(before.ref().key());
        there.put(before.ref().key(), new java.io.ByteArrayInputStream(java.util.Arrays.copyOf(contents.get("short"), 10)));

        Repair.Report report = new Repair(replicas, index).run();

        assertThat(report.repaired()).as("the replica cut short does not count towards the minimum").isEqualTo(1);
        PlacementIndex.Entry after = index.get("short").orElseThrow();
        long wholeReplicas = after.placements().entrySet().stream().filter(p -> replicas.present(p.getKey(), p.getValue())).count();
        assertThat(wholeReplicas).as(after.placements() + " hold two whole replicas").isEqualTo(2);
        assertThat(replicas.present(whole, after.ref())).isTrue();
        assertThat(read("short")).isEqualTo(contents.get("short"));
    }
}
