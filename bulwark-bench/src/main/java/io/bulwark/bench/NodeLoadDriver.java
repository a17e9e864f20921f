package io.bulwark.bench;

import io.bulwark.crypto.Keystore;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.node.NodeHome;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordSealer;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * End-to-end load against a real node process on loopback, each figure beside its floor measured in
 * the same run:
 * <ul>
 *   <li>publish 1 KiB with a 3-nation label over HTTP — floor: sealing the same payloads in memory
 *       (prepare + batch signature, no I/O), on the same cores;</li>
 *   <li>publish 1 MiB over HTTP (MB/s) — floor: sealing 1 MiB in memory;</li>
 *   <li>GET latency p50/p99 of a 1 KiB record — floor: an empty HTTP round trip (GET /health);</li>
 *   <li>optionally ({@code --fill N}): publish N small records, restart the node, let it idle and read its RSS.</li>
 * </ul>
 * Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.NodeLoadDriver [--seconds S] [--fill N]}.
 * Every loop is bounded in time and count and talks only to 127.0.0.1.
 */
public final class NodeLoadDriver {

    static final String LABEL = "NATO SECRET//REL TO DEU, FRA, USA";

    public static void main(String[] args) throws Exception {
        int seconds = 15;
        long fill = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--fill" -> fill = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("usage: NodeLoadDriver [--seconds S] [--fill N]");
            }
        }
        Path home = Files.createTempDirectory("bulwark-load");
        NodeHome.init(home.resolve("node"), "DEU", "deu-1", "127.0.0.1:0");
        Path nodeHome = home.resolve("node");
        io.bulwark.cli.Bulwark.run(new String[] {"user", "add", "--home", nodeHome.toString(), "anna", "--nationality", "DEU",
                "--clearance", "NATO SECRET"}, new java.io.PrintWriter(System.err, true), new java.io.PrintWriter(System.err, true));
        java.io.StringWriter tokenOut = new java.io.StringWriter();
        io.bulwark.cli.Bulwark.run(new String[] {"token", "--home", nodeHome.toString(), "anna", "--ttl", "1d"},
                new java.io.PrintWriter(tokenOut, true), new java.io.PrintWriter(System.err, true));
        String token = tokenOut.toString().strip();

        System.out.printf("machine: %d cores, %s, %s%n", Runtime.getRuntime().availableProcessors(),
                cpuModel(), System.getProperty("java.vm.version"));
        System.out.println("| what | figure | floor (same run) | ratio |");
        System.out.println("|---|---|---|---|");

        // Floors that need no node: sealing in memory with the node's own keys.
        Keystore keys = NodeHome.open(nodeHome).openKeystore();
        PolicySet policies = PolicySet.defaults();
        EpochKeyring epochs = new EpochKeyring(keys.signing(), "DEU", "deu-1",
                n -> n.equals("DEU") ? Optional.of(keys.kem().primary()) : Optional.empty(), Duration.ofHours(1), Clock.systemUTC());
        RecordSealer sealer = new RecordSealer(policies, keys.signing(), epochs, "DEU", "deu-1", Clock.systemUTC());
        var label = policies.decode(LabelFormat.COMPACT, LABEL);
        double sealSmall = sealRate(sealer, label, 1024, seconds);
        double sealLarge = sealRate(sealer, label, 1 << 20, Math.max(5, seconds / 2));

        Process node = startNode(nodeHome);
        try {
            String url = awaitReady(node);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            warm(http, url, token);
            // The JIT needs tens of seconds of this load before the node's code is compiled: without
            // it the first figure measured the compiler (1,481 µs of CPU a publish instead of ~500).
            publishRate(http, url, token, 1024, 64, Math.max(30, seconds), new long[1]);
            long cpu0 = cpuMicros(node.pid());
            long[] small = new long[1];
            double publishSmall = publishRate(http, url, token, 1024, 64, seconds, small);
            long cpu1 = cpuMicros(node.pid());
            row("publish 1 KiB, 3-nation label, HTTP, 64 concurrent", publishSmall, "records/s", sealSmall, "records/s sealed in memory");
            // CPU per record is what a shared, noisy machine changes least: the rate depends on what else runs.
            System.out.printf(Locale.ROOT, "| node process CPU per 1 KiB publish (user+sys, /proc) | %.0f µs | %.0f µs sealing in memory (1 / floor rate per thread) | |%n",
                    (cpu1 - cpu0) / (double) small[0], 1e6 * Runtime.getRuntime().availableProcessors() / sealSmall);
            long cpu2 = cpuMicros(node.pid());
            long[] large = new long[1];
            double publishLarge = publishRate(http, url, token, 1 << 20, 4, Math.max(5, seconds / 2), large);
            long cpu3 = cpuMicros(node.pid());
            row("publish 1 MiB, HTTP, 4 concurrent", publishLarge, "MB/s", sealLarge, "MB/s sealed in memory");
            System.out.printf(Locale.ROOT, "| node process CPU per 1 MiB publish (user+sys, /proc) | %.0f µs | %.0f µs sealing in memory (1 / floor rate per thread) | |%n",
                    (cpu3 - cpu2) / (double) large[0], 1.048576e6 * Runtime.getRuntime().availableProcessors() / sealLarge);
            String id = publishOne(http, url, token, new byte[1024]);
            Histogram empty = latency(http, URI.create(url + "/health"), null, seconds);
            Histogram get = latency(http, URI.create(url + "/api/v1/records/" + id), token, seconds);
            System.out.printf(Locale.ROOT, "| GET 1 KiB record, sequential | p50 %.2f ms, p99 %.2f ms | empty round trip p50 %.2f ms, p99 %.2f ms | %.1fx at p99 |%n",
                    get.getValueAtPercentile(50) / 1e3, get.getValueAtPercentile(99) / 1e3,
                    empty.getValueAtPercentile(50) / 1e3, empty.getValueAtPercentile(99) / 1e3,
                    (double) get.getValueAtPercentile(99) / empty.getValueAtPercentile(99));
            if (fill > 0) {
                long t0 = System.nanoTime();
                long done = fillRecords(http, url, token, fill);
                System.out.printf(Locale.ROOT, "filled %d records in %.0f s%n", done, (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            node.destroy();
            node.waitFor();
        }
        if (fill > 0) {
            Process idle = startNode(nodeHome);
            try {
                awaitReady(idle);
                Thread.sleep(20_000);
                System.out.printf(Locale.ROOT, "| node holding %d records, idle 20 s after start | RSS %d MiB | budget 256 MiB | |%n",
                        fill, rssKiB(idle.pid()) / 1024);
            } finally {
                idle.destroy();
                idle.waitFor();
            }
        }
        AuditLogBenchmark.deleteTree(home); // gigabytes after a run: left behind, a few runs fill the disk
    }

    private static void row(String what, double value, String unit, double floor, String floorUnit) {
        System.out.printf(Locale.ROOT, "| %s | %.0f %s | %.0f %s | %.0f%% |%n", what, value, unit, floor, floorUnit, 100 * value / floor);
    }

    private static String cpuModel() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
    }

    /** Records (1 KiB) per second, or MB/s (1 MiB), sealed in memory on all cores: prepare, then one signature per batch. */
    private static double sealRate(RecordSealer sealer, io.bulwark.label.ConfidentialityLabel label, int size, int seconds) throws Exception {
        byte[] payload = new byte[size];
        new Random(1).nextBytes(payload);
        RecordDraft draft = new RecordDraft(label, "", "application/octet-stream", size);
        int threads = Runtime.getRuntime().availableProcessors();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong count = new AtomicLong();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    int batch = size > 65536 ? 4 : 64;
                    while (System.nanoTime() < end) {
                        List<RecordSealer.Prepared> prepared = new ArrayList<>(batch);
                        for (int i = 0; i < batch; i++) prepared.add(sealer.prepare(draft, payload));
                        sealer.sign(prepared);
                        count.addAndGet(batch);
                    }
                    return null;
                });
            }
        }
        double perSecond = count.get() / (double) seconds;
        return size > 65536 ? perSecond * size / 1e6 : perSecond;
    }

    private static Process startNode(Path home) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        String opts = System.getenv("BULWARK_NODE_JAVA_OPTS"); // e.g. a profiler for the node process
        if (opts != null && !opts.isBlank()) command.addAll(List.of(opts.strip().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.bulwark.cli.Bulwark", "start", "--home", home.toString()));
        return new ProcessBuilder(command).redirectError(home.resolve("node.log").toFile()).start();
    }

    private static String awaitReady(Process node) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("ready ")) {
            // a profiler may print first
        }
        if (line == null) throw new IllegalStateException("the node did not start; see node.log in its home");
        return line.substring(6).strip();
    }

    private static HttpRequest publishRequest(String url, String token, byte[] payload) {
        return HttpRequest.newBuilder(URI.create(url + "/api/v1/records")).header("Authorization", "Bearer " + token)
                .header("Bulwark-Label", LABEL).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
    }

    private static String publishOne(HttpClient http, String url, String token, byte[] payload) throws Exception {
        HttpResponse<String> r = http.send(publishRequest(url, token, payload), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IllegalStateException("publish failed: " + r.statusCode() + " " + r.body());
        String body = r.body();
        int at = body.indexOf("\"id\":\"") + 6;
        return body.substring(at, body.indexOf('"', at));
    }

    private static void warm(HttpClient http, String url, String token) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        byte[] small = new byte[1024];
        byte[] large = new byte[1 << 20];
        for (int i = 0; System.nanoTime() < end && i < 20_000; i++) publishOne(http, url, token, i % 50 == 0 ? large : small);
    }

    /** Records/s (or MB/s for payloads over 64 KiB) acknowledged with 201 by the node; {@code acknowledged[0]} gets the count. */
    private static double publishRate(HttpClient http, String url, String token, int size, int concurrency, int seconds,
                                      long[] acknowledged) throws Exception {
        byte[] payload = new byte[size];
        new Random(2).nextBytes(payload);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong ok = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < concurrency; c++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end && failure.get() == null) {
                        HttpResponse<Void> r = http.send(publishRequest(url, token, payload), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 201) ok.incrementAndGet(); else failure.set("HTTP " + r.statusCode());
                    }
                    return null;
                });
            }
        }
        if (failure.get() != null) throw new IllegalStateException("publish failed: " + failure.get());
        acknowledged[0] = ok.get();
        double perSecond = ok.get() / ((System.nanoTime() - t0) / 1e9);
        return size > 65536 ? perSecond * size / 1e6 : perSecond;
    }

    /** Sequential round trips for the given time (at most 200,000), latency in microseconds. */
    private static Histogram latency(HttpClient http, URI uri, String token, int seconds) throws Exception {
        Histogram h = new Histogram(60_000_000L, 3);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; System.nanoTime() < end && i < 200_000; i++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET();
            if (token != null) b.header("Authorization", "Bearer " + token);
            long t = System.nanoTime();
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            long us = (System.nanoTime() - t) / 1000;
            if (r.statusCode() != 200) throw new IllegalStateException(uri + ": HTTP " + r.statusCode());
            if (i >= 200) h.recordValue(Math.max(1, us)); // the first round trips warm the path
        }
        return h;
    }

    private static long fillRecords(HttpClient http, String url, String token, long n) throws Exception {
        byte[] payload = new byte[100];
        AtomicLong next = new AtomicLong();
        AtomicLong done = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 64; c++) {
                pool.submit(() -> {
                    while (next.getAndIncrement() < n) {
                        HttpResponse<Void> r = http.send(publishRequest(url, token, payload), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 201) throw new IllegalStateException("fill: HTTP " + r.statusCode());
                        long d = done.incrementAndGet();
                        if (d % 100_000 == 0) System.err.println("filled " + d);
                    }
                    return null;
                });
            }
        }
        return done.get();
    }

    /** The process's user and system CPU time so far, in microseconds (Linux {@code /proc/PID/stat}, clock ticks of 10 ms). */
    private static long cpuMicros(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // the command name may hold spaces
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000L; // utime, stime: fields 14 and 15
    }

    private static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
