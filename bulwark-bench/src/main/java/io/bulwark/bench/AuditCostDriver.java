package io.bulwark.bench;

import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What auditing costs publishing: 1 KiB records published in process ({@code node.records().publish},
 * the real path — label check, sealing, durable blob and metadata — without HTTP) by many virtual
 * threads, into an audited node and into one started with {@link Node#startUnaudited}, alternating
 * rounds in the same run (each round a fresh home) so that a change in the machine's load hits both.
 * The budget: audited throughput at least 90% of unaudited.
 * Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.AuditCostDriver [--seconds S] [--rounds R] [--threads T]}.
 */
public final class AuditCostDriver {

    public static void main(String[] args) throws Exception {
        int seconds = 10;
        int rounds = 3;
        int threads = 64;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: AuditCostDriver [--seconds S] [--rounds R] [--threads T]");
            }
        }
        System.out.printf(Locale.ROOT, "machine: %d cores, %s; %d threads, %d s per round%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"), threads, seconds);
        System.out.println("| round | audited (records/s) | unaudited (records/s) | audited / unaudited |");
        System.out.println("|---|---:|---:|---:|");
        List<Double> audited = new ArrayList<>();
        List<Double> unaudited = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        Path dir = Files.createTempDirectory("bulwark-audit-cost");
        for (int r = 1; r <= rounds; r++) {
            // Alternate which goes first, so a warming JIT or a drifting load does not favour one side.
            boolean auditFirst = r % 2 == 1;
            double first = run(dir.resolve("r" + r + "a"), auditFirst, seconds, threads);
            double second = run(dir.resolve("r" + r + "b"), !auditFirst, seconds, threads);
            double a = auditFirst ? first : second;
            double u = auditFirst ? second : first;
            audited.add(a);
            unaudited.add(u);
            ratios.add(a / u);
            System.out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2f |%n", r, a, u, a / u);
        }
        double a = median(audited);
        double u = median(unaudited);
        // The paired figure: each round's two runs share the machine's state, so their ratio is less noisy than either.
        System.out.printf(Locale.ROOT, "| median | %,.0f | %,.0f | %.2f (median of the rounds' ratios) |%n", a, u, median(ratios));
    }

    private static double run(Path home, boolean audit, int seconds, int threads) throws Exception {
        NodeHome.init(home, "DEU", "deu-1", "127.0.0.1:0");
        Principal anna = new Principal("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:DEU:deu-1");
        AtomicLong done = new AtomicLong();
        try (Node node = audit ? Node.start(NodeHome.open(home)) : Node.startUnaudited(NodeHome.open(home))) {
            long warmUntil = System.nanoTime() + 2_000_000_000L;
            long end = warmUntil + seconds * 1_000_000_000L;
            long[] startCount = new long[1];
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        byte[] payload = new byte[1024];
                        while (System.nanoTime() < end) {
                            node.records().publish(anna, NodeLoadDriver.LABEL, "", "application/octet-stream", payload);
                            done.incrementAndGet();
                        }
                        return null;
                    }));
                }
                while (System.nanoTime() < warmUntil) Thread.sleep(10);
                startCount[0] = done.get(); // the first two seconds warm up and are not counted
                for (Future<?> f : futures) f.get();
            }
            return (done.get() - startCount[0]) / (double) seconds;
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
