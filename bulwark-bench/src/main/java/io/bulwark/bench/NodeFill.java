package io.bulwark.bench;

import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fills a node with N records through its real publish path (label check, sealing, durable blob and
 * metadata) but without HTTP, then starts the node as its own process, lets it idle and reads its RSS:
 * the "node holding 1 million records idles at ≤ 256 MiB RSS" budget.
 * Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.NodeFill N [HOME]}; N may be 0 to measure a
 * home filled before.
 */
public final class NodeFill {

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        Path home = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("bulwark-fill").resolve("node");
        if (!Files.exists(home)) NodeHome.init(home, "DEU", "deu-1", "127.0.0.1:0");
        Principal anna = new Principal("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:DEU:deu-1");
        String[] labels = {"NATO SECRET//REL TO DEU, FRA, USA", "NATO RESTRICTED", "NATO CONFIDENTIAL//REL TO DEU, GBR", "GEHEIM"};
        long t0 = System.nanoTime();
        try (Node node = Node.start(NodeHome.open(home))) {
            AtomicLong next = new AtomicLong();
            int threads = 32;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        byte[] payload = new byte[100];
                        for (long i; (i = next.getAndIncrement()) < n; ) {
                            payload[0] = (byte) i;
                            node.records().publish(anna, labels[(int) (i % labels.length)], "", "application/octet-stream", payload);
                            if ((i + 1) % 50_000 == 0) System.err.printf(Locale.ROOT, "filled %d in %.0f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
                        }
                        return null;
                    }));
                }
                for (var f : futures) f.get();
            }
        }
        System.out.printf(Locale.ROOT, "filled %d records in %.0f s (%.0f records/s, in process, no HTTP)%n", n,
                (System.nanoTime() - t0) / 1e9, n / ((System.nanoTime() - t0) / 1e9));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process idle = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.bulwark.cli.Bulwark", "start", "--home", home.toString()).redirectError(home.resolve("idle.log").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(idle.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("ready ")) { }
            long started = System.nanoTime();
            // The node gives back start-up heap once idle for 30 s (IdleFootprint): read it at 30 s and at 60 s.
            for (int seconds : new int[] {30, 60}) {
                Thread.sleep(Math.max(0, started + seconds * 1_000_000_000L - System.nanoTime()) / 1_000_000);
                long rss = 0;
                for (String l : Files.readAllLines(Path.of("/proc/" + idle.pid() + "/status"))) {
                    if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
                System.out.printf(Locale.ROOT, "| node in %s%s, idle %.0f s after start (no JVM options) | RSS %d MiB | budget 256 MiB |%n",
                        home, n > 0 ? " holding the " + n + " records filled" : "", (System.nanoTime() - started) / 1e9, rss / 1024);
            }
        } finally {
            idle.destroy();
            idle.waitFor();
        }
    }
}
