package io.bulwark.bench;

import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.node.LoopbackPorts;
import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Share latency without HTTP or watchers: DEU and FRA in one JVM, peered over the real mutual-TLS
 * federation; one 1 KiB record at a time is published in process at DEU and FRA is asked (in
 * process, the same read the API does) until it can read it. Isolates the pipeline — publish, feed,
 * receive, store — from the load driver's HTTP clients and watchers. A record counts as readable
 * when the read that finds it begins (polls are 0.2 ms apart); that read's own verification,
 * decryption and audit are reported apart, as the reader's cost, not the pipeline's.
 *
 * <p>Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.ShareLatencyProbe [RECORDS]}.
 */
public final class ShareLatencyProbe {

    /** Records shared before measuring: enough for the JIT to compile the pipeline (10 had left it half interpreted). */
    private static final int WARM_UP = 1_000;

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path dir = Files.createTempDirectory("bulwark-share-probe");
        Map<String, NodeHome> homes = new LinkedHashMap<>();
        Map<String, String> urls = new LinkedHashMap<>();
        for (String nation : List.of("DEU", "FRA")) {
            int port = LoopbackPorts.free();
            homes.put(nation, NodeHome.init(dir.resolve(nation), nation, nation.toLowerCase(Locale.ROOT) + "-1", "127.0.0.1:0",
                    Optional.of("127.0.0.1:" + port)));
            urls.put(nation, "https://127.0.0.1:" + port);
        }
        for (String nation : homes.keySet()) {
            for (String other : homes.keySet()) {
                if (nation.equals(other)) continue;
                Path peers = homes.get(nation).peers();
                PeerList.read(peers).with(new Peer(other, Peer.url(urls.get(other)), homes.get(other).tlsFingerprint(), Instant.now()), nation)
                        .write(peers);
            }
        }
        Principal publisher = new Principal("a", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "x");
        Principal reader = new Principal("b", "FRA", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "x");
        try (Node deu = Node.start(homes.get("DEU")); Node fra = Node.start(homes.get("FRA"))) {
            while (fra.peers().isEmpty() || fra.peers().get(0).node().isEmpty() || deu.peers().get(0).node().isEmpty()) Thread.sleep(50);
            Thread.sleep(1000);
            List<Double> publish = new ArrayList<>();
            List<Double> share = new ArrayList<>();
            List<Double> read = new ArrayList<>();
            for (int i = 0; i < records + WARM_UP; i++) {
                long t0 = System.nanoTime();
                String id = deu.records().publish(publisher, "NATO SECRET//REL TO DEU, FRA", "", "text/plain", new byte[1024]).id();
                long t1 = System.nanoTime();
                // Readable from the moment the read that succeeds begins (it finds the record then); the
                // read's own work (verify, decrypt, audit) is the reader's, reported apart.
                long found;
                while (true) {
                    long t = System.nanoTime();
                    if (fra.records().read(reader, id).isPresent()) {
                        found = t;
                        break;
                    }
                    Thread.sleep(0, 200_000);
                }
                long t2 = System.nanoTime();
                if (i >= WARM_UP) {
                    publish.add((t1 - t0) / 1e6);
                    share.add((found - t0) / 1e6);
                    read.add((t2 - found) / 1e6);
                }
                Thread.sleep(20);
            }
            Collections.sort(publish);
            Collections.sort(share);
            Collections.sort(read);
            System.out.printf(Locale.ROOT, "%d records, one at a time: publish (in process) p50 %.1f ms, p99 %.1f ms; "
                            + "share (publish start to readable at FRA) p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
                            + "the successful read at FRA itself p50 %.1f ms, p99 %.1f ms; load average %s%n",
                    publish.size(), percentile(publish, 50), percentile(publish, 99), percentile(share, 50), percentile(share, 99), share.getLast(),
                    percentile(read, 50), percentile(read, 99), Files.readString(Path.of("/proc/loadavg")).strip());
        }
        AuditLogBenchmark.deleteTree(dir);
        System.exit(0);
    }

    private static double percentile(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }
}
