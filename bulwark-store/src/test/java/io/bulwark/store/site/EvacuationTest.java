package io.bulwark.store.site;

import io.bulwark.store.BlobStore;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.TestRecords;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.site.EvacuationProgress.Outcome;
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
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static io.bulwark.store.site.SiteFixture.ALPHA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Evacuating provider alpha (a real S3 server) onto beta (another) and home (a directory), while the node keeps working. */
class EvacuationTest {

    /** Mostly two providers anywhere; some single-replica; some FRA-only (alpha and home are the FRA providers). */
    private static final List<ResidencyPolicy> POLICIES = List.of(
            new ResidencyPolicy(Set.of(), Set.of(), 2),
            new ResidencyPolicy(Set.of(), Set.of(), 1),
            new ResidencyPolicy(Set.of("FRA"), Set.of(), 1),
            new ResidencyPolicy(Set.of("FRA", "DEU"), Set.of("FRA", "DEU"), 2));
    /** Cannot leave alpha: the only FRA providers are alpha and home, and it needs two. */
    private static final ResidencyPolicy STUCK = new ResidencyPolicy(Set.of("FRA"), Set.of(), 2);

    @TempDir
    Path dir;
    private S3Server alphaServer;
    private S3Server betaServer;
    private SiteFixture sites;
    private ReplicatedBlobStore replicas;
    private final InMemoryPlacementIndex index = new InMemoryPlacementIndex();
    private final Map<String, byte[]> contents = new ConcurrentHashMap<>();
    private final Random random = new Random(7);

    @BeforeEach
    void start() {
        alphaServer = S3Server.start(dir.resolve("alpha"), 0);
        betaServer = S3Server.start(dir.resolve("beta"), 0);
        sites = new SiteFixture(dir, alphaServer.endpoint(), betaServer.endpoint());
        replicas = openReplicas();
    }

    private ReplicatedBlobStore openReplicas() {
        return new ReplicatedBlobStore(sites.stores(), new SiteHealth(Duration.ofMillis(200), Duration.ofSeconds(1), Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        replicas.close();
        alphaServer.close();
        betaServer.close();
    }

    /** Publishes a record as the node would: replicas first, then its placements in the index. */
    private void publish(ReplicatedBlobStore to, String id, ResidencyPolicy policy, int size) {
        byte[] content = new byte[size];
        synchronized (random) {
            random.nextBytes(content);
        }
        Stored s = (Stored) to.put(id, policy, Content.of(content));
        contents.put(id, content);
        index.put(new PlacementIndex.Entry(id, policy, s.placements()));
    }

    /** Reads a record as the node would: if its replicas moved under the read, read the placements again. */
    private byte[] read(ReplicatedBlobStore from, String id) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Optional<InputStream> in = from.open(index.get(id).orElseThrow().placements());
            if (in.isPresent()) {
                try (InputStream s = in.get()) {
                    return s.readAllBytes();
                }
            }
            if (attempt == 2) throw new AssertionError("record " + id + " has no replica");
        }
    }

    private List<String> publishInitial(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("rec-%03d", i);
            publish(replicas, id, i == 5 || i == 17 ? STUCK : POLICIES.get(i % POLICIES.size()), 1_000 + 4_000 * (i % 13));
            ids.add(id);
        }
        return ids;
    }

    private void assertEvacuated(ReplicatedBlobStore r, Set<String> stuck) throws IOException {
        for (String id : contents.keySet()) {
            PlacementIndex.Entry e = index.get(id).orElseThrow();
            assertThat(read(r, id)).as(id).isEqualTo(contents.get(id));
            if (!stuck.contains(id)) {
                assertThat(e.placements()).as(id).doesNotContainKey(ALPHA);
                long providers = e.placements().keySet().stream().map(s -> r.site(s).orElseThrow())
                        .filter(s -> e.residency().violation(s.jurisdiction(), s.operator()).isEmpty())
                        .map(Site::provider).distinct().count();
                assertThat(providers).as(id + " keeps its minimum").isGreaterThanOrEqualTo(e.residency().providers());
            }
        }
        assertThat(SiteFixture.keys(r.store(ALPHA))).as("only the records that cannot leave stay on alpha").containsExactlyElementsOf(stuck.stream().sorted().toList());
    }

    @Test
    void evacuatesUnderConcurrentReadsAndWritesAndReportsWhatCannotLeave() throws Exception {
        publishInitial(40);
        List<Evacuation.Progress> progress = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            load.add(Thread.ofVirtual().start(() -> {
                Random r = new Random();
                while (running.get()) {
                    String id = String.format("rec-%03d", r.nextInt(40));
                    try {
                        assertThat(read(replicas, id)).isEqualTo(contents.get(id));
                        reads.incrementAndGet();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }
            }));
        }
        load.add(Thread.ofVirtual().start(() -> {
            while (running.get()) {
                try {
                    publish(replicas, "new-" + writes.incrementAndGet(), POLICIES.get(writes.get() % 2), 3_000);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }
        }));

        Evacuation.Report report;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            report = new Evacuation(replicas, index, file, 4, progress::add).run("alpha");
        } finally {
            running.set(false);
            for (Thread t : load) t.join();
        }

        assertThat(errors).isEmpty();
        assertThat(reads.get()).isPositive();
        assertThat(report.complete()).isTrue();
        assertThat(report.impossible()).extracting(EvacuationProgress.Done::recordId).containsExactly("rec-005", "rec-017");
        assertThat(report.impossible().getFirst().reason())
                .isEqualTo("in=FRA;providers>=2: no compliant site outside providers alpha, home");
        // Every record on alpha had one outcome: the 40 published before, and the new ones written before alpha closed to writes.
        assertThat(report.moved() + report.alreadyElsewhere() + report.impossible().size()).isGreaterThanOrEqualTo(40);
        assertThat(report.moved()).isPositive();
        assertThat(report.bytesMoved()).isPositive();
        assertThat(progress.getLast().records()).isEqualTo(progress.getLast().totalRecords());
        assertThat(replicas.store(ALPHA).exists("new-" + writes.get())).as("no new writes go to an evacuated provider").isFalse();
        assertEvacuated(replicas, Set.of("rec-005", "rec-017"));
    }

    @Test
    void aCrashedEvacuationResumesWithoutRecopyingFinishedRecordsAndWithoutLoss() throws IOException {
        List<String> ids = publishInitial(30);
        Path progressFile = dir.resolve("evacuation.db");
        // Crash on the 8th source deletion (the third batch): after a switch of placements, before its source is gone — the worst moment.
        WrappedBlobStore alphaStore = (WrappedBlobStore) replicas.store(ALPHA);
        AtomicInteger deletes = new AtomicInteger();
        alphaStore.beforeDelete = () -> {
            if (deletes.incrementAndGet() == 8) throw new IllegalStateException("simulated crash");
        };
        EvacuationProgress first = new EvacuationProgress(progressFile);
        Evacuation crashing = new Evacuation(replicas, index, first, 2, p -> { });
        crashing.batchSize = 3;
        assertThatThrownBy(() -> crashing.run("alpha")).hasMessage("simulated crash");
        Set<String> finished = java.util.Arrays.stream(EvacuationProgress.Outcome.values()).flatMap(o -> first.done("alpha", o).stream())
                .map(EvacuationProgress.Done::recordId).collect(Collectors.toSet());
        assertThat(first.totals("alpha").records()).isEqualTo(finished.size());
        first.close();
        Map<String, Integer> copiesBefore = copies(replicas);
        replicas.close();
        assertThat(finished).isNotEmpty().hasSizeLessThan(ids.size());

        // A new process: new stores, the same progress file and index.
        replicas = openReplicas();
        Evacuation.Report report;
        try (EvacuationProgress again = new EvacuationProgress(progressFile)) {
            report = new Evacuation(replicas, index, again, 2, p -> { }).run("alpha");
        }
        Map<String, Integer> copiesAfter = copies(replicas);
        for (String id : finished) {
            assertThat(copiesAfter.getOrDefault(id, 0)).as(id + " was finished before the crash: not copied again").isZero();
        }
        assertThat(report.complete()).isTrue();
        assertThat(report.moved() + report.alreadyElsewhere() + report.impossible().size()).isEqualTo(ids.size());
        assertThat(copiesBefore.values().stream().mapToInt(Integer::intValue).sum() + copiesAfter.values().stream().mapToInt(Integer::intValue).sum())
                .isGreaterThanOrEqualTo((int) report.moved());
        assertEvacuated(replicas, Set.of("rec-005", "rec-017"));
    }

    @Test
    void copyWorkersKeepCopyingWhileABatchIsSwitchedAndItsSourcesDeleted() throws Exception {
        publishInitial(30);
        // Hold the first batch's source deletion until the workers have copied two more batches' worth.
        CountDownLatch release = new CountDownLatch(1);
        WrappedBlobStore alphaStore = (WrappedBlobStore) replicas.store(ALPHA);
        alphaStore.beforeDelete = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        Evacuation evacuation;
        Evacuation.Report[] report = new Evacuation.Report[1];
        Thread run;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            evacuation = new Evacuation(replicas, index, file, 2, p -> { });
            evacuation.batchSize = 3;
            run = Thread.ofVirtual().start(() -> report[0] = evacuation.run("alpha"));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (copies(replicas).values().stream().mapToInt(Integer::intValue).sum() < 9) {
                assertThat(System.nanoTime()).as("copies went on while the first batch's deletion was held").isLessThan(deadline);
                Thread.sleep(10);
            }
            assertThat(SiteFixture.keys(alphaStore)).as("no source deleted yet").hasSize(30);
            release.countDown();
            run.join();
        }
        assertThat(report[0].complete()).isTrue();
        assertEvacuated(replicas, Set.of("rec-005", "rec-017"));
    }

    @Test
    void aRecordIsNotAlreadyElsewhereOnTheStrengthOfAReplicaThatIsGone() throws IOException {
        publish(replicas, "rec-1", new ResidencyPolicy(Set.of(), Set.of(), 2), 100);
        PlacementIndex.Entry before = index.get("rec-1").orElseThrow();
        assertThat(before.placements()).containsKey(ALPHA).hasSize(2);
        String other = before.placements().keySet().stream().filter(s -> !s.equals(ALPHA)).findFirst().orElseThrow();
        replicas.store(other).delete(before.ref().key()); // lost there; the index still names it

        Evacuation.Report report;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            report = new Evacuation(replicas, index, file, 1, p -> { }).run("alpha");
        }
        assertThat(report.alreadyElsewhere()).isZero();
        assertThat(read(replicas, "rec-1")).as("the only copy that answered was not deleted").isEqualTo(contents.get("rec-1"));
    }

    @Test
    void aReplicaCutShortDoesNotCountAsAReplica() throws IOException {
        publish(replicas, "rec-1", new ResidencyPolicy(Set.of(), Set.of(), 2), 100);
        PlacementIndex.Entry before = index.get("rec-1").orElseThrow();
        String other = before.placements().keySet().stream().filter(s -> !s.equals(ALPHA)).findFirst().orElseThrow();
        BlobStore there = replicas.store(other);
        there.delete(before.ref().key());
        there.put(before.ref().key(), new java.io.ByteArrayInputStream(java.util.Arrays.copyOf(contents.get("rec-1"), 60))); // a partial copy under its key

        assertThat(replicas.present(other, before.ref())).isFalse();
        assertThat(replicas.present(ALPHA, before.ref())).isTrue();
        Evacuation.Report report;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            report = new Evacuation(replicas, index, file, 1, p -> { }).run("alpha");
        }
        assertThat(report.alreadyElsewhere()).as("the short replica does not make the record already elsewhere").isZero();
        // Two providers are needed, the short one does not count, and only home is left to copy to.
        assertThat(report.impossible()).extracting(EvacuationProgress.Done::recordId).containsExactly("rec-1");
        assertThat(index.get("rec-1").orElseThrow().placements()).containsKey(ALPHA);
        try (InputStream in = replicas.store(ALPHA).open(before.ref().key()).orElseThrow()) {
            assertThat(in.readAllBytes()).as("alpha's whole replica was kept").isEqualTo(contents.get("rec-1"));
        }
    }

    @Test
    void aRecordWhoseOtherReplicaIsOnASiteDownNowIsFailedNotImpossible() throws IOException {
        publish(replicas, "rec-1", new ResidencyPolicy(Set.of(), Set.of(), 2), 100);
        assertThat(index.get("rec-1").orElseThrow().placements()).containsOnlyKeys(ALPHA, SiteFixture.BETA);
        betaServer.close(); // beta is down: with it left out, only home remains for two providers

        Evacuation.Report report;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            report = new Evacuation(replicas, index, file, 1, p -> { }).run("alpha");
        }
        assertThat(report.impossible()).as("an outage, not a place that can never be met").isEmpty();
        assertThat(report.failed()).singleElement().asString().startsWith("rec-1").contains("a replica on beta-1 does not answer now");
        assertThat(index.get("rec-1").orElseThrow().placements()).containsKey(ALPHA);
    }

    @Test
    void aReplicaThatRottedAtItsFullSizeDoesNotCountAsAReplica() throws IOException {
        publish(replicas, "rec-1", new ResidencyPolicy(Set.of(), Set.of(), 2), 100);
        PlacementIndex.Entry two = index.get("rec-1").orElseThrow();
        // One replica is enough for it; it has two, and the one outside alpha rotted at its full size.
        index.put(new PlacementIndex.Entry("rec-1", new ResidencyPolicy(Set.of(), Set.of(), 1), two.placements()));
        String other = two.placements().keySet().stream().filter(s -> !s.equals(ALPHA)).findFirst().orElseThrow();
        byte[] rotted = contents.get("rec-1").clone();
        rotted[50] ^= 1;
        replicas.store(other).delete(two.ref().key());
        replicas.store(other).put(two.ref().key(), new java.io.ByteArrayInputStream(rotted));
        assertThat(replicas.present(other, two.ref())).as("the right size").isTrue();

        Evacuation.Report report;
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            report = new Evacuation(replicas, index, file, 1, p -> { }).run("alpha");
        }
        assertThat(report.alreadyElsewhere()).as("not already elsewhere on the strength of a rotted replica").isZero();
        assertThat(report.moved()).isEqualTo(1);
        assertThat(index.get("rec-1").orElseThrow().placements()).doesNotContainKey(ALPHA).hasSize(2);
        assertThat(read(replicas, "rec-1")).as("a good copy was made before alpha's went").isEqualTo(contents.get("rec-1"));
    }

    @Test
    void sourcesThatCannotBeDeletedLeaveTheEvacuationIncompleteAndTheNextRunDeletesThem() throws IOException {
        List<String> ids = publishInitial(12);
        WrappedBlobStore alphaStore = (WrappedBlobStore) replicas.store(ALPHA);
        alphaStore.beforeDelete = () -> {
            throw new io.bulwark.store.StoreException("alpha does not answer");
        };
        Path progressFile = dir.resolve("evacuation.db");
        Evacuation.Report first;
        try (EvacuationProgress file = new EvacuationProgress(progressFile)) {
            first = new Evacuation(replicas, index, file, 2, p -> { }).run("alpha");
        }
        assertThat(first.complete()).isFalse();
        assertThat(first.failed()).isNotEmpty().allSatisfy(f -> assertThat(f).contains("could not be deleted (site unreachable)"));
        assertThat(SiteFixture.keys(alphaStore)).hasSize(ids.size());

        alphaStore.beforeDelete = () -> { };
        Evacuation.Report second;
        try (EvacuationProgress file = new EvacuationProgress(progressFile)) {
            second = new Evacuation(replicas, index, file, 2, p -> { }).run("alpha");
        }
        assertThat(second.complete()).isTrue();
        assertThat(second.moved() + second.alreadyElsewhere() + second.impossible().size()).isEqualTo(ids.size());
        assertEvacuated(replicas, Set.of("rec-005"));
    }

    @Test
    void runningAgainAfterAFinishedEvacuationRetriesWhatWasImpossible() {
        publish(replicas, "rec-1", STUCK, 100);
        try (EvacuationProgress file = new EvacuationProgress(dir.resolve("evacuation.db"))) {
            assertThat(new Evacuation(replicas, index, file, 1, p -> { }).run("alpha").impossible()).hasSize(1);
            var again = new Evacuation(replicas, index, file, 1, p -> { }).run("alpha");
            assertThat(again.impossible()).extracting(EvacuationProgress.Done::outcome).containsExactly(Outcome.IMPOSSIBLE);
        }
        assertThat(TestRecords.sha256(contents.get("rec-1"))).isEqualTo(index.get("rec-1").orElseThrow().ref().sha256());
    }

    /** Puts each target site received per record key, from the counting wrappers. */
    private static Map<String, Integer> copies(ReplicatedBlobStore r) {
        Map<String, Integer> copies = new java.util.HashMap<>();
        for (Site s : r.sites()) {
            if (s.id().equals(ALPHA)) continue;
            BlobStore store = r.store(s.id());
            ((WrappedBlobStore) store).puts.forEach((k, n) -> copies.merge(k, n.get(), Integer::sum));
        }
        return copies;
    }
}
