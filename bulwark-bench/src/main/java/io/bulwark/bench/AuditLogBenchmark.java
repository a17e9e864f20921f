package io.bulwark.bench;

import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditLog;
import io.bulwark.crypto.SigningKeyset;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The audit log: durable appends (each waits for its group commit's fsync) from 1 and 4 threads, with
 * the background signer on as in a node, beside the floor — one plain SQLite insert and commit with the
 * same pragmas; and proof generation over a 1M-entry log built once per trial.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class AuditLogBenchmark {

    static AuditEvent event(long i) {
        return new AuditEvent(AuditEvent.Type.PUBLISH, Instant.ofEpochMilli(1_790_000_000_000L + i), "analyst-" + (i % 50),
                Optional.of("rec-" + Long.toHexString(i)), AuditEvent.Outcome.SUCCESS, Map.of("label", "NATO SECRET", "site", "fs-1"));
    }

    @State(Scope.Benchmark)
    public static class Appending {
        Path dir;
        AuditLog log;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("audit-bench");
            log = new AuditLog(dir.resolve("audit.db"), SigningKeyset.generate());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            log.close();
            deleteTree(dir);
        }
    }

    /** The floor: one row of the same size inserted and committed per operation, same pragmas. */
    @State(Scope.Benchmark)
    public static class PlainSqlite {
        Path dir;
        Connection connection;
        PreparedStatement insert;
        long next;

        @Setup(Level.Trial)
        public void open() throws IOException, SQLException {
            dir = Files.createTempDirectory("audit-bench");
            connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("floor.db"));
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("CREATE TABLE entry (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, leaf_hash BLOB NOT NULL)");
            }
            connection.setAutoCommit(false);
            insert = connection.prepareStatement("INSERT INTO entry (idx, leaf, leaf_hash) VALUES (?, ?, ?)");
        }

        @TearDown(Level.Trial)
        public void close() throws IOException, SQLException {
            connection.close();
            deleteTree(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class Proving {
        @Param({"1000000"})
        long entries;

        Path dir;
        AuditLog log;

        @Setup(Level.Trial)
        public void build() throws IOException {
            dir = Files.createTempDirectory("audit-bench");
            log = new AuditLog(dir.resolve("audit.db"), SigningKeyset.generate(), Duration.ZERO, Clock.systemUTC());
            long started = System.nanoTime();
            for (long i = 0; i < entries; ) {
                List<AuditEvent> batch = new ArrayList<>();
                for (int j = 0; j < 10_000 && i < entries; j++, i++) {
                    batch.add(event(i));
                }
                log.appendAll(batch);
            }
            log.signTreeHead();
            System.out.printf("%n[built a log of %,d entries in %.1f s]%n", entries, (System.nanoTime() - started) / 1e9);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            log.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    @Threads(1)
    public long append1Thread(Appending s) {
        return s.log.append(event(ThreadLocalRandom.current().nextLong(1 << 30)));
    }

    @Benchmark
    @Threads(4)
    public long append4Threads(Appending s) {
        return s.log.append(event(ThreadLocalRandom.current().nextLong(1 << 30)));
    }

    @Benchmark
    @Threads(1)
    public long sqliteInsertCommitFloor(PlainSqlite s) throws SQLException {
        s.insert.setLong(1, s.next++);
        s.insert.setBytes(2, new byte[200]);
        s.insert.setBytes(3, new byte[32]);
        s.insert.executeUpdate();
        s.connection.commit();
        return s.next;
    }

    @Benchmark
    public Object inclusionProof(Proving s) {
        return s.log.inclusionProof(ThreadLocalRandom.current().nextLong(s.entries), s.entries);
    }

    @Benchmark
    public Object consistencyProof(Proving s) {
        return s.log.consistencyProof(1 + ThreadLocalRandom.current().nextLong(s.entries - 1), s.entries);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
