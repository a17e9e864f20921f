package io.bulwark.bench;

import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditLog;
import io.bulwark.audit.AuditVerifier;
import io.bulwark.crypto.SigningKeyset;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What JMH cannot time well because each happens once per log: building a log of N entries in batches,
 * reopening it (the right edge rebuilt from every stored leaf hash), verifying it whole, and exporting it.
 * Usage: {@code AuditLogScale [entries, default 1000000]}.
 */
public final class AuditLogScale {

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        Path dir = Files.createTempDirectory("audit-scale");
        Path file = dir.resolve("audit.db");
        SigningKeyset keys = SigningKeyset.generate();
        try {
            long t = System.nanoTime();
            try (AuditLog log = new AuditLog(file, keys, Duration.ZERO, Clock.systemUTC())) {
                for (long i = 0; i < n; ) {
                    List<AuditEvent> batch = new ArrayList<>();
                    for (int j = 0; j < 10_000 && i < n; j++, i++) {
                        batch.add(AuditLogBenchmark.event(i));
                    }
                    log.appendAll(batch);
                }
            }
            report("build in batches of 10,000, sign at close", t);
            long bytes;
            try (Stream<Path> files = Files.list(dir)) {
                bytes = files.mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf("database: %.1f MB (%.0f bytes per entry)%n", bytes / 1e6, (double) bytes / n);
            for (int run = 1; run <= 3; run++) {
                t = System.nanoTime();
                try (AuditLog log = new AuditLog(file, keys, Duration.ZERO, Clock.systemUTC())) {
                    report("open, run " + run + " (" + log.size() + " entries)", t);
                }
            }
            t = System.nanoTime();
            System.out.println(AuditVerifier.verify(file, keys.publicKeys()));
            report("verify", t);
            t = System.nanoTime();
            try (AuditLog log = new AuditLog(file, keys, Duration.ZERO, Clock.systemUTC())) {
                long lines = log.export(OutputStream.nullOutputStream(), Optional.empty());
                report("export " + lines + " lines", t);
            }
        } finally {
            AuditLogBenchmark.deleteTree(dir);
        }
    }

    private static void report(String what, long startedNanos) {
        System.out.printf("%s: %.2f s%n", what, (System.nanoTime() - startedNanos) / 1e9);
    }
}
