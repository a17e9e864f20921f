package io.bulwark.store;

import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 4 of DESIGN.md: a write acknowledged to a client survives kill -9 at any moment, and a
 * half-written record is never visible. A child JVM ({@link CrashWriter}) stores records in a loop
 * and prints each acknowledged id; it is killed at a random moment, five times over the same store;
 * after each kill the store is reopened and checked.
 */
class CrashSafetyTest {

    private static final int KILLS = 5;

    @TempDir
    Path dir;

    @Test
    @Timeout(120) // a guard against a hung child, not a performance threshold
    void everyAcknowledgedRecordSurvivesKillNineWithItsBlobAndNoRowLacksItsBlob() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        String context = "seed " + seed + " (rerun with it to reproduce the kill moments)";
        Set<String> acknowledged = new HashSet<>();
        long lastSeq = 0;

        for (int run = 0; run < KILLS; run++) {
            List<String> acked = runAndKill(run, random.nextLong(), random.nextInt(400));
            assertThat(acked).as("%s: run %d acknowledged something before the kill", context, run).isNotEmpty();
            acknowledged.addAll(acked);
            System.out.printf("run %d: %d records acknowledged before kill -9%n", run, acked.size());

            try (MetadataStore metadata = new SqliteMetadataStore(dir.resolve("metadata.db"));
                 BlobStore blobs = new FilesystemBlobStore(dir.resolve("blobs"))) {
                for (String id : acknowledged) {
                    RecordMetadata r = metadata.find(id).orElse(null);
                    assertThat(r).as("%s: acknowledged record %s is present after kill %d", context, id, run).isNotNull();
                }
                List<RecordMetadata> all = everyRecord(metadata);
                for (RecordMetadata r : all) {
                    assertBlobIntact(blobs, r, context);
                }
                List<ChangeEntry> log = metadata.changesSince(0, MetadataStore.MAX_CHANGES);
                assertThat(log).as("%s: one PUBLISHED entry per stored record", context).hasSize(all.size());
                assertThat(log).extracting(ChangeEntry::seq).as("%s: seqs strictly increase across kills", context)
                        .isSorted().doesNotHaveDuplicates();
                assertThat(metadata.lastSeq()).as("%s: seq never goes back", context).isGreaterThan(lastSeq);
                lastSeq = metadata.lastSeq();
            }
        }

        // What the kills left behind is unreferenced bytes only; the startup sweep removes it all.
        try (MetadataStore metadata = new SqliteMetadataStore(dir.resolve("metadata.db"));
             BlobStore blobs = new FilesystemBlobStore(dir.resolve("blobs"))) {
            new OrphanSweeper(metadata, blobs, Duration.ZERO, Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5))).sweep();
            List<RecordMetadata> all = everyRecord(metadata);
            try (Stream<BlobEntry> listed = blobs.list()) {
                assertThat(listed.map(BlobEntry::key).toList())
                        .containsExactlyInAnyOrderElementsOf(all.stream().map(r -> r.blob().key()).toList());
            }
            for (RecordMetadata r : all) {
                assertBlobIntact(blobs, r, context);
            }
            try (Stream<Path> files = Files.walk(dir.resolve("blobs"))) {
                assertThat(files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()).isEmpty();
            }
        }
    }

    /** Starts a writer, waits for its first acknowledgement, lets it run {@code millis} more, kills it. */
    private List<String> runAndKill(int run, long seed, int millis) throws Exception {
        Path stderr = dir.resolve("writer-" + run + ".err");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                // SQLite's native library is unpacked per process and removed at exit, which a kill skips: not into /tmp.
                "-Dorg.sqlite.tmpdir=" + dir,
                "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), dir.toString(), Long.toString(seed))
                .redirectError(stderr.toFile())
                .start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CountDownLatch firstAck = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().start(() -> { // a pipe read holds a virtual thread's carrier
            byte[] buffer = new byte[8192];
            try (InputStream in = child.getInputStream()) {
                for (int n; (n = in.read(buffer)) != -1; ) {
                    synchronized (out) {
                        out.write(buffer, 0, n);
                    }
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            firstAck.countDown();
                            break;
                        }
                    }
                }
            } catch (IOException e) {
                // the pipe closes when the child is killed
            } finally {
                firstAck.countDown();
            }
        });
        firstAck.await();
        Thread.sleep(millis);
        child.destroyForcibly();
        child.waitFor();
        reader.join();
        String printed = out.toString(StandardCharsets.US_ASCII);
        assertThat(printed).as("writer %d printed acknowledgements; its stderr: %s", run, Files.readString(stderr)).contains("\n");
        // Only complete lines are acknowledgements: the kill may cut the last one short.
        List<String> ids = new ArrayList<>(Arrays.asList(printed.substring(0, printed.lastIndexOf('\n')).split("\n")));
        ids.removeIf(String::isEmpty);
        return ids;
    }

    private static List<RecordMetadata> everyRecord(MetadataStore metadata) {
        List<RecordMetadata> all = new ArrayList<>();
        RecordQuery q = RecordQuery.all().withPageSize(RecordQuery.MAX_PAGE_SIZE);
        while (true) {
            Page<RecordMetadata> page = metadata.list(q);
            all.addAll(page.items());
            if (page.nextCursor().isEmpty()) {
                return all;
            }
            q = q.withCursor(page.nextCursor().get());
        }
    }

    private static void assertBlobIntact(BlobStore blobs, RecordMetadata r, String context) {
        byte[] bytes;
        try (InputStream in = blobs.open(r.blob().key()).orElseThrow(
                () -> new AssertionError(context + ": record " + r.id() + " has no blob"))) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(bytes.length).as("%s: blob size of %s", context, r.id()).isEqualTo(r.blob().size());
        assertThat(TestRecords.sha256(bytes)).as("%s: blob digest of %s", context, r.id()).isEqualTo(r.blob().sha256());
    }
}
