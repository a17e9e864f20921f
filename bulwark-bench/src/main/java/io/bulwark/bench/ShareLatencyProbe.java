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
import java.util.HashMap;
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
 * receive, store — from the load driver's HTTP clients and list watchers.
 *
 * <p>Usage: {@code java -cp bulwark-bench/target/benchmarks.jar io.bulwark.bench.ShareLatencyProbe [RECORDS]}.
 */
public final class ShareLatencyProbe {
  public static void main(String[] a) throws Exception {
    int records = a.length > 0 ? Integer.parseInt(a[0]) : 200;
    Path dir = Files.createTempDirectory("bulwark-share-probe");
    List<String> ns = List.of("DEU","FRA"); Map<String,NodeHome> homes = new LinkedHashMap<>(); Map<String,String> urls = new HashMap<>();
    for (String n : ns) { int p = LoopbackPorts.free(); homes.put(n, NodeHome.init(dir.resolve(n), n, n.toLowerCase()+"-1", "127.0.0.1:0", Optional.of("127.0.0.1:"+p))); urls.put(n, "https://127.0.0.1:"+p); }
    for (String n : ns) for (String o : ns) if (!n.equals(o)) PeerList.read(homes.get(n).peers()).with(new Peer(o, Peer.url(urls.get(o)), homes.get(o).tlsFingerprint(), Instant.now()), n).write(homes.get(n).peers());
    Node deu = Node.start(homes.get("DEU")); Node fra = Node.start(homes.get("FRA"));
    Principal p = new Principal("a", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "x");
    Principal f = new Principal("b", "FRA", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "x");
    while (fra.peers().isEmpty() || fra.peers().get(0).node().isEmpty() || deu.peers().get(0).node().isEmpty()) Thread.sleep(50);
    Thread.sleep(1000);
    List<Double> pub = new ArrayList<>(), share = new ArrayList<>();
    for (int i = 0; i < records + 10; i++) {
      long t0 = System.nanoTime();
      String id = deu.records().publish(p, "NATO SECRET//REL TO DEU, FRA", "", "text/plain", new byte[1024]).id();
      long t1 = System.nanoTime();
      while (fra.records().read(f, id).isEmpty()) Thread.sleep(0, 200_000);
      long t2 = System.nanoTime();
      if (i >= 10) { pub.add((t1-t0)/1e6); share.add((t2-t0)/1e6); } // the first ten warm up
      Thread.sleep(20);
    }
    Collections.sort(pub); Collections.sort(share);
    System.out.printf(Locale.ROOT, "%d records, one at a time: publish (in process) p50 %.1f ms, p99 %.1f ms; share (publish start to readable at FRA) p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
      pub.size(), pct(pub, 50), pct(pub, 99), pct(share, 50), pct(share, 99), share.getLast());
    fra.close(); deu.close(); System.exit(0);
  }

  private static double pct(List<Double> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
  }
}
