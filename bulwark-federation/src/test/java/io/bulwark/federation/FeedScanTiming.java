package io.bulwark.federation;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.LabelMetadata;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A timing loop run by hand, not a test (it asserts no time): what {@link Feed#lag} and a full feed
 * scan cost on a node whose change log is mostly other origins' records — 10,000 entries, 90% of them
 * received from another node — as on a node that both publishes and receives. Run with
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -ntp -pl bulwark-federation -am verify \
 *     -Dtest=FeedScanTiming -Dsurefire.failIfNoSpecifiedTests=false -Dbulwark.timing=true
 * </pre>
 * and read {@code bulwark-federation/target/surefire-reports/io.bulwark.federation.FeedScanTiming-output.txt}.
 */
@EnabledIfSystemProperty(named = "bulwark.timing", matches = "true")
class FeedScanTiming {

    private static final int ENTRIES = 10_000;
    private static final int OWN_EVERY = 10; // one entry in ten is this node's own
    private static final String LABEL = "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":"
            + "[{\"type\":\"PERMISSIVE\",\"tagName\":\"Releasable To\",\"values\":[\"DEU\",\"FRA\"]}]}";

    @TempDir Path dir;

    @Test
    void lagAndScanOverALogOfMostlyOtherOrigins() throws Exception {
        Clock clock = Clock.systemUTC();
        try (SqliteMetadataStore metadata = new SqliteMetadataStore(dir.resolve("metadata.db"), clock);
             FederationState state = new FederationState(dir.resolve("federation.db"))) {
            fill(metadata);
            FeedCursors cursors = FeedCursors.open(dir.resolve("cursor.key"));
            Feed feed = new Feed("DEU", "deu-1", PolicySet.defaults(), metadata, new FilesystemBlobStore(dir.resolve("blobs")),
                    List::of, state, cursors, new ChangeSignal(), clock, event -> {});
            List<NodeIdentity.StorageSite> storage = List.of(new NodeIdentity.StorageSite("default", "local", "FRA", "FRA"));
            // Released to France: lag counts each own record. Not released to Israel: the scan sends nothing.
            NodeIdentity france = new NodeIdentity("FRA", "fra-1", "fp-fra", List.of(), null, storage);
            NodeIdentity israel = new NodeIdentity("ISR", "isr-1", "fp-isr", List.of(), null, storage);

            time("store: changesSince + find per entry, 10 reads of 1,000 (what the feed did)", 30, () -> {
                long after = 0;
                for (int round = 0; round < ENTRIES / Feed.SCAN; round++) {
                    for (var e : metadata.changesSince(after, Feed.SCAN)) {
                        after = e.seq();
                        metadata.find(e.recordId()).filter(m -> m.originNode().equals("deu-1"));
                    }
                }
            });
            time("store: originChangesSince, 10 reads of 1,000 (what it does now)", 30, () -> {
                long after = 0;
                for (int round = 0; round < ENTRIES / Feed.SCAN; round++) {
                    after = metadata.originChangesSince(after, "DEU", "deu-1", Feed.SCAN).lastSeq();
                }
            });
            Feed.Lag lag = feed.lag("fp-fra", france);
            System.out.printf("lag: %d records, capped %s%n", lag.records(), lag.capped());
            time("Feed.lag (10,000 entries past the ack)", 30, () -> feed.lag("fp-fra", france));
            time("Feed.next, a peer reading the whole log with nothing for it", 20, () -> {
                try {
                    feed.next("fp-isr", () -> israel, cursors.token("fp-isr", 0), null, Duration.ZERO, () -> true);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    private static void fill(SqliteMetadataStore metadata) {
        Random random = new Random(7);
        Instant t0 = Instant.parse("2026-11-27T00:00:00Z");
        List<RecordMetadata> batch = new ArrayList<>();
        for (int i = 0; i < ENTRIES; i++) {
            boolean own = i % OWN_EVERY == 0;
            Instant created = t0.plusMillis(i);
            String id = uuid7(created.toEpochMilli(), random);
            String digest = HexFormat.of().formatHex(new byte[32]).replace('0', own ? 'a' : 'b');
            batch.add(new RecordMetadata(id, own ? "DEU" : "FRA", own ? "deu-1" : "fra-1", created, "application/octet-stream", 1024,
                    digest, new LabelMetadata(LABEL, "NATO", "SECRET", List.of("DEU", "FRA")), "", new BlobRef(id, 1500, digest),
                    Optional.empty()));
            if (batch.size() == 500) {
                metadata.insertAll(batch).forEach(r -> r.orElseThrow());
                batch.clear();
            }
        }
    }

    private static void time(String what, int rounds, Runnable run) {
        for (int i = 0; i < rounds; i++) run.run(); // warm-up: the JIT compiles the path first
        long[] micros = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            run.run();
            micros[i] = (System.nanoTime() - start) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf("%s: median %.2f ms, p10 %.2f ms, p90 %.2f ms over %d calls%n", what, micros[rounds / 2] / 1000.0,
                micros[rounds / 10] / 1000.0, micros[rounds * 9 / 10] / 1000.0, rounds);
    }

    private static String uuid7(long millis, Random random) {
        long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
        long lsb = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        String hex = String.format("%016x%016x", msb, lsb);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-"
                + hex.substring(20);
    }
}
