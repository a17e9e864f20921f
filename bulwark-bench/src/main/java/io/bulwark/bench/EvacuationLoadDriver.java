package io.bulwark.bench;

import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.blob.s3.S3BlobStore;
import io.bulwark.store.blob.s3.S3Location;
import io.bulwark.store.site.Evacuation;
import io.bulwark.store.site.EvacuationProgress;
import io.bulwark.store.site.InMemoryPlacementIndex;
import io.bulwark.store.site.PlacementIndex;
import io.bulwark.store.site.ReplicatedBlobStore;
import io.bulwark.store.site.Site;
import io.bulwark.store.site.SiteHealth;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Evacuation throughput beside its floor, on two real S3 servers (S3Proxy child processes over
 * directories) on loopback:
 * <ul>
 *   <li>floor: a plain S3 GET + PUT copy loop of the same objects from server A to server B with the
 *       same parallelism, through the same SDK and HTTP client;</li>
 *   <li>evacuation of provider A onto B ({@link Evacuation}: placement, copy, SHA-256 check,
 *       durable progress, placement switch, source delete), in MB/s;</li>
 *   <li>GET latency (p50/p99) of 4 KiB records on B, idle and during a further evacuation; the
 *       throughput rounds run without readers, like the floor.</li>
 * </ul>
 * Each round also prints the CPU time this process and each S3 server used for the floor and for the
 * evacuation, which says where an evacuation's extra work goes when the two cores are the limit.
 * Both code paths are warmed up first (one copy loop; one evacuation of a smaller set). Three rounds
 * each measure the floor and then the evacuation on the same fresh records, and the median ratio is
 * reported, because a shared machine's load moves both by tens of percent between rounds.
 * Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.EvacuationLoadDriver
 * [--records N] [--size BYTES] [--parallelism P]}; the S3Proxy jar is taken from
 * {@code bulwark-bench/target/s3proxy/s3proxy.jar}.
 */
public final class EvacuationLoadDriver {

    private static final String ACCESS = "bench";
    private static final String SECRET = "bench-secret";

    public static void main(String[] args) throws Exception {
        int records = 200;
        int size = 256 * 1024;
        int parallelism = 4;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: EvacuationLoadDriver [--records N] [--size BYTES] [--parallelism P]");
            }
        }
        Path dir = Files.createTempDirectory("bulwark-evacuation-bench");
        Path jar = Path.of("bulwark-bench", "target", "s3proxy", "s3proxy.jar");
        Process a = null;
        Process b = null;
        try {
            int portA = freePort();
            int portB = freePort();
            a = s3proxy(jar, dir.resolve("a"), portA);
            b = s3proxy(jar, dir.resolve("b"), portB);
            run(dir, URI.create("http://127.0.0.1:" + portA), URI.create("http://127.0.0.1:" + portB), records, size, parallelism,
                    List.of(ProcessHandle.current(), a.toHandle(), b.toHandle()));
        } finally {
            if (a != null) a.destroyForcibly().waitFor();
            if (b != null) b.destroyForcibly().waitFor();
        }
        AuditLogBenchmark.deleteTree(dir);
    }

    private static void run(Path dir, URI endpointA, URI endpointB, int records, int size, int parallelism, List<ProcessHandle> processes) throws Exception {
        Path secret = dir.resolve("s3.secret");
        Files.writeString(secret, "aws_access_key_id=" + ACCESS + "\naws_secret_access_key=" + SECRET + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (S3Client rawA = client(endpointA); S3Client rawB = client(endpointB)) {
            rawA.createBucket(r -> r.bucket("src-a"));
            rawB.createBucket(r -> r.bucket("dst-b"));
            rawB.createBucket(r -> r.bucket("floor"));
            Site siteA = new Site("a-1", "a", "FRA", "FRA", new Site.S3(S3Location.of(endpointA, "src-a"), Optional.of(secret)));
            Site siteB = new Site("b-1", "b", "DEU", "DEU", new Site.S3(S3Location.of(endpointB, "dst-b"), Optional.of(secret)));
            InMemoryPlacementIndex index = new InMemoryPlacementIndex();
            try (ReplicatedBlobStore replicas = ReplicatedBlobStore.open(List.of(siteA, siteB), new SiteHealth())) {
                // Warm-up of the evacuation's code path, as the floor's gets one: a smaller set moved A to B first.
                fill(replicas.store("a-1"), index, "a-1", "warm-", records / 2, size, parallelism);
                evacuate(replicas, index, dir.resolve("evacuation-0.db"), parallelism);
                replicas.openToWrites("a");
                List<String> readKeys = fill(replicas.store("b-1"), index, "b-1", "read-", 50, 4096, parallelism);
                double mb = (double) records * size / 1e6;
                System.out.printf(Locale.ROOT, "load average before: %s%n", loadAverage());
                copyLoop(rawB, "dst-b", rawA, "src-a", readKeys, parallelism); // warm-up of the floor's code path

                // Rounds of: fresh records on A; the floor copies them A to B; then evacuation moves them A to B.
                // Each evacuation is compared with the floor measured just before it, on the same records.
                List<Double> ratios = new ArrayList<>();
                for (int round = 1; round <= 3; round++) {
                    List<String> keys = fill(replicas.store("a-1"), index, "a-1", "r" + round + "-", records, size, parallelism);
                    double[] cpu = cpuSeconds(processes);
                    double floor = mb / copyLoop(rawA, "src-a", rawB, "floor", keys, parallelism);
                    double[] floorCpu = since(cpu, cpu = cpuSeconds(processes));
                    long start = System.nanoTime();
                    Evacuation.Report report = evacuate(replicas, index, dir.resolve("evacuation-" + round + ".db"), parallelism);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double[] evacuationCpu = since(cpu, cpuSeconds(processes));
                    replicas.openToWrites("a");
                    if (report.moved() != records) throw new IllegalStateException("moved " + report.moved() + " of " + records + ": " + report);
                    double rate = report.bytesMoved() / 1e6 / seconds;
                    ratios.add(rate / floor);
                    System.out.printf(Locale.ROOT, "round %d: floor (plain GET+PUT copy, %d parallel) %.1f MB/s; evacuation %d records, %.1f MB in %.2f s: %.1f MB/s (%.0f%% of the floor); load %s%n",
                            round, parallelism, floor, report.moved(), report.bytesMoved() / 1e6, seconds, rate, 100 * rate / floor, loadAverage());
                    System.out.printf(Locale.ROOT, "  CPU seconds (this process / server A / server B): floor %s, evacuation %s%n", cpuText(floorCpu), cpuText(evacuationCpu));
                }
                ratios.sort(null);
                System.out.printf(Locale.ROOT, "evacuation / floor, median of 3 rounds: %.0f%%%n", 100 * ratios.get(1));

                Histogram idle = readLatency(replicas, index, readKeys, new AtomicBoolean(true), 500);
                System.out.printf(Locale.ROOT, "GET 4 KiB idle: p50 %.2f ms, p99 %.2f ms%n", idle.getValueAtPercentile(50) / 1e3, idle.getValueAtPercentile(99) / 1e3);
                fill(replicas.store("a-1"), index, "a-1", "lat-", records, size, parallelism);
                AtomicBoolean evacuating = new AtomicBoolean(true);
                Histogram[] during = new Histogram[1];
                Thread reader = Thread.ofVirtual().start(() -> during[0] = readLatency(replicas, index, readKeys, evacuating, Integer.MAX_VALUE));
                try {
                    evacuate(replicas, index, dir.resolve("evacuation-latency.db"), parallelism);
                } finally {
                    evacuating.set(false);
                    reader.join();
                }
                System.out.printf(Locale.ROOT, "GET 4 KiB during evacuation: p50 %.2f ms, p99 %.2f ms (%d reads)%n",
                        during[0].getValueAtPercentile(50) / 1e3, during[0].getValueAtPercentile(99) / 1e3, during[0].getTotalCount());
                System.out.printf(Locale.ROOT, "load average after: %s%n", loadAverage());
            }
        }
    }

    private static Evacuation.Report evacuate(ReplicatedBlobStore replicas, PlacementIndex index, Path progressFile, int parallelism) {
        try (EvacuationProgress progress = new EvacuationProgress(progressFile)) {
            return new Evacuation(replicas, index, progress, parallelism, p -> { }).run("a");
        }
    }

    /** Stores {@code n} random blobs of {@code size} bytes on one site and records them in the index. */
    private static List<String> fill(BlobStore store, InMemoryPlacementIndex index, String siteId, String prefix, int n, int size, int parallelism)
            throws Exception {
        List<String> keys = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(parallelism)) {
            List<Future<BlobRef>> refs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String key = String.format(Locale.ROOT, "%s%06d", prefix, i);
                keys.add(key);
                byte[] content = new byte[size];
                new Random(i).nextBytes(content);
                refs.add(threads.submit(() -> store.put(key, new java.io.ByteArrayInputStream(content))));
            }
            for (Future<BlobRef> f : refs) {
                BlobRef ref = f.get();
                index.put(new PlacementIndex.Entry(ref.key(), ResidencyPolicy.ANY, new TreeMap<>(Map.of(siteId, ref))));
            }
        }
        return keys;
    }

    /** The floor: GET each object whole and PUT it to the other bucket, {@code parallelism} at a time. Returns seconds. */
    private static double copyLoop(S3Client from, String fromBucket, S3Client to, String toBucket, List<String> keys, int parallelism) throws Exception {
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newFixedThreadPool(parallelism)) {
            List<Future<?>> done = new ArrayList<>();
            for (String key : keys) {
                done.add(threads.submit(() -> {
                    ResponseBytes<?> bytes = from.getObjectAsBytes(r -> r.bucket(fromBucket).key(key));
                    to.putObject(r -> r.bucket(toBucket).key(key), RequestBody.fromBytes(bytes.asByteArrayUnsafe()));
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Sequential reads through the replicated store while {@code running}, at most {@code max}; latency in microseconds. */
    private static Histogram readLatency(ReplicatedBlobStore replicas, PlacementIndex index, List<String> keys, AtomicBoolean running, int max) {
        Histogram h = new Histogram(60_000_000L, 3);
        for (int i = 0; running.get() && i < max; i++) {
            String key = keys.get(i % keys.size());
            long t = System.nanoTime();
            // As the node reads: if the record moved between the lookup and the read, look it up again.
            Optional<InputStream> opened = replicas.open(index.get(key).orElseThrow().placements())
                    .or(() -> replicas.open(index.get(key).orElseThrow().placements()));
            try (InputStream in = opened.orElseThrow()) {
                in.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            h.recordValue((System.nanoTime() - t) / 1000);
        }
        return h;
    }

    private static S3Client client(URI endpoint) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    private static Process s3proxy(Path jar, Path dir, int port) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path props = dir.resolve("s3proxy.properties");
        Files.write(props, List.of("s3proxy.endpoint=http://127.0.0.1:" + port, "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS, "s3proxy.credential=" + SECRET,
                "jclouds.provider=filesystem-nio2", "jclouds.filesystem.basedir=" + data));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
                jar.toAbsolutePath().toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start; see " + dir.resolve("s3proxy.log"));
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        return io.bulwark.node.LoopbackPorts.free();
    }

    /** CPU time each process has used so far, in seconds; NaN where the platform does not say. */
    private static double[] cpuSeconds(List<ProcessHandle> processes) {
        return processes.stream().mapToDouble(p -> p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN)).toArray();
    }

    private static double[] since(double[] before, double[] now) {
        double[] d = new double[now.length];
        for (int i = 0; i < d.length; i++) d[i] = now[i] - before[i];
        return d;
    }

    private static String cpuText(double[] seconds) {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", seconds[0], seconds[1], seconds[2]);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
