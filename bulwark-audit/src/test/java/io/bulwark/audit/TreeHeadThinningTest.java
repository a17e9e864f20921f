package io.bulwark.audit;

import io.bulwark.audit.AuditVerification.Intact;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Heads older than an hour thin to the last of each hour; everything still verifies. */
class TreeHeadThinningTest {

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant now) { this.now = now; }

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { throw new UnsupportedOperationException(); }
        @Override public Instant instant() { return now; }
    }

    @TempDir
    Path dir;

    static List<Long> storedHeadSizes(Path file) throws Exception {
        List<Long> sizes = new ArrayList<>();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT tree_size FROM audit_tree_head ORDER BY tree_size")) {
            while (rs.next()) sizes.add(rs.getLong(1));
        }
        return sizes;
    }

    @Test
    void headsOlderThanAnHourKeepTheLastOfEachHour() throws Exception {
        Path file = dir.resolve("audit.db");
        MovableClock clock = new MovableClock(Instant.parse("2026-11-28T10:00:00Z"));
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ZERO, clock)) {
            // A head every 10 minutes for three hours: 10:00 … 12:50, each over one more entry (sizes 1 … 18).
            for (int k = 0; k < 18; k++) {
                log.append(AuditLogTest.event(k));
                log.signTreeHead();
                clock.now = clock.now.plus(Duration.ofMinutes(10));
            }
            SignedTreeHead latest = log.latestTreeHead().orElseThrow();

            clock.now = Instant.parse("2026-11-28T13:30:00Z"); // whole hours before 12:00 are thinned
            assertThat(log.thinTreeHeads(1_000)).isFalse();
            // 10:50 (size 6) and 11:50 (size 12) are the last of their hours; 12:00 … 12:50 are within the hour kept whole.
            assertThat(storedHeadSizes(file)).containsExactly(6L, 12L, 13L, 14L, 15L, 16L, 17L, 18L);
            assertThat(log.latestTreeHead()).contains(latest);
            assertThat(log.treeHead(6)).isPresent();
            assertThat(log.treeHead(5)).isEmpty();

            assertThat(log.thinTreeHeads(1_000)).isFalse(); // nothing more to do
            assertThat(storedHeadSizes(file)).hasSize(8);

            clock.now = Instant.parse("2026-11-28T20:00:00Z"); // the latest head's hour is now old too, and it stays
            log.thinTreeHeads(1_000);
            assertThat(storedHeadSizes(file)).containsExactly(6L, 12L, 18L);
            assertThat(log.verify()).isEqualTo(new Intact(18, 18, 3));
        }
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ZERO, clock)) { // reopens against the latest head
            assertThat(log.size()).isEqualTo(18);
            assertThat(AuditVerifier.verify(file, AuditLogTest.KEYS.publicKeys())).isEqualTo(new Intact(18, 18, 3));
        }
    }

    @Test
    void theSigningTaskThinsALogOpenedWithOldHeads() throws Exception {
        Path file = dir.resolve("audit.db");
        MovableClock clock = new MovableClock(Instant.parse("2026-11-28T10:00:00Z"));
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ZERO, clock)) {
            for (int k = 0; k < 12; k++) { // 10:00 … 11:50
                log.append(AuditLogTest.event(k));
                log.signTreeHead();
                clock.now = clock.now.plus(Duration.ofMinutes(10));
            }
        }
        clock.now = Instant.parse("2026-11-29T10:00:00Z");
        // As the node opens it: a background task signing every interval, which also thins at its first run.
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ofMillis(10), clock)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (storedHeadSizes(file).size() > 2 && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(storedHeadSizes(file)).containsExactly(6L, 12L);
        }
    }

    @Test
    void aHeadStampedEarlierByAClockSetBackDoesNotLetOthersEscapeThinning() throws Exception {
        Path file = dir.resolve("audit.db");
        MovableClock clock = new MovableClock(Instant.parse("2026-11-28T12:10:00Z"));
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ZERO, clock)) {
            for (int k = 0; k < 3; k++) { // 12:10, 12:20, 12:30: sizes 1–3
                log.append(AuditLogTest.event(k));
                log.signTreeHead();
                clock.now = clock.now.plus(Duration.ofMinutes(10));
            }
            clock.now = Instant.parse("2026-11-28T10:10:00Z"); // set back two hours
            for (int k = 3; k < 6; k++) { // 10:10, 10:20, 10:30: sizes 4–6
                log.append(AuditLogTest.event(k));
                log.signTreeHead();
                clock.now = clock.now.plus(Duration.ofMinutes(10));
            }
            clock.now = Instant.parse("2026-11-28T13:30:00Z"); // hours before 12:00 may be thinned: not yet sizes 1–3
            assertThat(log.thinTreeHeads(1_000)).isFalse();
            assertThat(storedHeadSizes(file)).as("nothing passes the first head not yet old enough").containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
            clock.now = Instant.parse("2026-11-28T14:30:00Z"); // now all are old enough
            log.thinTreeHeads(1_000);
            assertThat(storedHeadSizes(file)).containsExactly(3L, 6L);
            assertThat(log.verify()).isEqualTo(new Intact(6, 6, 2));
        }
    }

    @Test
    void aBacklogThinsInChunksAndAnHourSplitAcrossChunksKeepsOneMore() throws Exception {
        Path file = dir.resolve("audit.db");
        MovableClock clock = new MovableClock(Instant.parse("2026-11-28T10:00:00Z"));
        try (AuditLog log = new AuditLog(file, AuditLogTest.KEYS, Duration.ZERO, clock)) {
            for (int k = 0; k < 12; k++) { // 10:00 … 11:50, sizes 1 … 12
                log.append(AuditLogTest.event(k));
                log.signTreeHead();
                clock.now = clock.now.plus(Duration.ofMinutes(10));
            }
            clock.now = Instant.parse("2026-11-28T14:00:00Z");
            assertThat(log.thinTreeHeads(4)).isTrue();  // sizes 1–4: keeps 4
            assertThat(log.thinTreeHeads(4)).isTrue();  // sizes 5–8: keeps 6 (last of 10:xx) and 8
            assertThat(log.thinTreeHeads(4)).isTrue();  // sizes 9–12: keeps 12
            assertThat(log.thinTreeHeads(4)).isFalse(); // nothing left
            assertThat(storedHeadSizes(file)).containsExactly(4L, 6L, 8L, 12L);
            assertThat(log.verify()).isEqualTo(new Intact(12, 12, 4));
        }
    }
}
