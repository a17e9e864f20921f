package io.bulwark.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.crypto.Keystore;
import io.bulwark.federation.FederationTls;
import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.federation.PeerPins;
import io.bulwark.label.PolicySet;
import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Federation end to end: three nodes (DEU, FRA, USA) in this JVM, each with its own home, embedded
 * storage, client API and federation port, fully peered over pinned mutual TLS 1.3 with
 * X25519MLKEM768 — the {@code Federated} test fixture's wiring. Measures, in one run:
 * <ul>
 *   <li>the floor: an HTTPS POST round trip (1 KiB, keep-alive) over the same mutual-TLS hybrid
 *       setup — DEU's and FRA's own certificates and pins — to a trivial Jetty handler;</li>
 *   <li>share latency at a fixed offered rate (open loop): from the publish request leaving the
 *       driver for DEU's client API until FRA's and USA's client APIs show the record to a client
 *       holding a standing request for changes (a sample also read in full);</li>
 *   <li>sustained replicated throughput: N records published at DEU as fast as it accepts them
 *       (in process, 256 virtual threads — as many publishes in flight as a node admits over HTTP by
 *       default, {@code limits.maxConcurrentRequests} — or {@code --publishers P}) until both peers
 *       hold all N, beside DEU's own publish rate;</li>
 *   <li>catch-up: FRA and USA stopped, N records published at DEU, the peers started again; how fast
 *       they pull all N.</li>
 * </ul>
 * Usage: {@code java --enable-native-access=ALL-UNNAMED -cp bulwark-bench/target/benchmarks.jar
 * io.bulwark.bench.FederationLoadDriver [--seconds S] [--records N] [--rounds R] [--publishers P] [--replicated-only | --rate R]}.
 * Prints a Markdown table.
 * Talks only to 127.0.0.1; every loop is bounded in time or count.
 */
public final class FederationLoadDriver {

    static final String LABEL = NodeLoadDriver.LABEL;
    private static final List<String> NATIONS = List.of("DEU", "FRA", "USA");
    private static final List<String> PEERS = List.of("FRA", "USA");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Publishes in flight at most: the node's own limit (maxConcurrentRequests); a slot that finds them all busy is missed. */
    private static final int MAX_IN_FLIGHT = 256;
    /** One detected record in this many is also read with GET /api/v1/records/{id}, to show the change was true. */
    private static final int VALIDATE_EVERY = 10;
    /** How long each standing request for changes waits: short, so a watcher stops promptly at the end of a phase. */
    private static final int WAIT_SECONDS = 1;

    private final Path dir;
    private final Map<String, NodeHome> homes = new LinkedHashMap<>();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, String> tokens = new LinkedHashMap<>();
    /** Operators' tokens: /metrics is for those who run a node, not for analysts. */
    private final Map<String, String> operatorTokens = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final byte[] payload = new byte[1024];
    /** Publishes in flight at once in the in-process phases ({@code --publishers}). */
    private int publishers = 256;

    private FederationLoadDriver(Path dir) {
        this.dir = dir;
        new Random(3).nextBytes(payload);
    }

    public static void main(String[] args) throws Exception {
        int seconds = 25;
        int records = 20_000;
        int rounds = 1;
        boolean replicatedOnly = false;
        int onlyRate = 0;
        int publishers = 256; // a node's default request slots: the publishes it admits at once over HTTP
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--replicated-only" -> replicatedOnly = true;
                case "--rate" -> onlyRate = Integer.parseInt(args[++i]);
                case "--publishers" -> publishers = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: FederationLoadDriver [--seconds S] [--records N] [--rounds R] "
                        + "[--publishers P] [--replicated-only | --rate RECORDS_PER_SECOND]");
            }
        }
        FederationLoadDriver driver = new FederationLoadDriver(Files.createTempDirectory("bulwark-federation-load"));
        driver.publishers = publishers;
        System.out.printf("machine: %d cores, %s, %s; homes under %s; load average before: %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.vm.version"), driver.dir, loadAverage());
        System.out.println("three nodes in this JVM (not child processes); driver, watchers and nodes share the same cores");
        try {
            driver.run(seconds, records, rounds, replicatedOnly, onlyRate);
        } finally {
            driver.nodes.values().forEach(Node::close);
            System.out.println("load average after: " + loadAverage());
        }
        AuditLogBenchmark.deleteTree(driver.dir); // left behind, a few runs fill the disk
    }

    /**
     * The whole sequence, {@code rounds} times over the same three nodes. On two cores the JIT
     * compiles for well over a minute (40–50% of the first round's CPU), so the first round
     * measures a warming JVM; later rounds show the steady state a long-running node is in.
     * {@code replicatedOnly} runs only the replicated-throughput phase, {@code onlyRate} (if not 0)
     * only the share latency at that rate (for profiling them).
     */
    private void run(int seconds, int records, int rounds, boolean replicatedOnly, int onlyRate) throws Exception {
        setUp();
        for (int round = 1; round <= rounds; round++) {
            long cpu0 = processCpuNanos();
            long compile0 = compileMillis();
            long t0 = System.nanoTime();
            List<String> rows = new ArrayList<>();
            if (onlyRate > 0) {
                shareLatency(onlyRate, 5, false);
                rows.addAll(shareLatency(onlyRate, seconds, true));
            } else if (!replicatedOnly) {
                Histogram floor = tlsFloor(Math.min(seconds, 10));
                rows.add(String.format(Locale.ROOT, "| floor: HTTPS POST 1 KiB round trip, mutual TLS 1.3 X25519MLKEM768, keep-alive, sequential "
                        + "| p50 %s, p99 %s, max %s (%d round trips) | — |", ms(floor, 50), ms(floor, 99), ms(floor, 100), floor.getTotalCount()));
                for (int rate : new int[] {100, 1000}) {
                    shareLatency(rate, 5, false); // warm-up: JIT, connections, epoch keys; not reported
                    rows.addAll(shareLatency(rate, seconds, true));
                }
            }
            if (onlyRate == 0) rows.add(sustained(records));
            if (onlyRate == 0 && !replicatedOnly) rows.add(catchUp(records));
            System.out.println();
            System.out.printf(Locale.ROOT, "round %d of %d: %.0f s, JVM CPU %.0f s, of which JIT compilation %.0f s%n", round, rounds,
                    (System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9, (compileMillis() - compile0) / 1e3);
            System.out.println("| what | measured | budget |");
            System.out.println("|---|---|---|");
            rows.forEach(System.out::println);
        }
    }

    /** Total time the JIT compilers have spent so far (their CPU, near enough: they do not block). */
    private static long compileMillis() {
        return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    }

    // ---- set-up -------------------------------------------------------------------------------

    private void setUp() throws Exception {
        Map<String, String> federationUrls = new LinkedHashMap<>();
        for (String nation : NATIONS) {
            String listen = "127.0.0.1:" + freePort();
            homes.put(nation, NodeHome.init(dir.resolve(nation), nation, nation.toLowerCase(Locale.ROOT) + "-1", "127.0.0.1:0", Optional.of(listen)));
            federationUrls.put(nation, "https://" + listen);
        }
        for (String nation : NATIONS) { // each pins the others' certificates, as operators do out of band
            PeerList peers = PeerList.EMPTY;
            for (String other : NATIONS) {
                if (!other.equals(nation)) {
                    peers = peers.with(new Peer(other, URI.create(federationUrls.get(other)), homes.get(other).tlsFingerprint(), Instant.now()), nation);
                }
            }
            peers.write(homes.get(nation).peers());
            tokens.put(nation, token(homes.get(nation), nation, Role.ANALYST));
            operatorTokens.put(nation, token(homes.get(nation), nation, Role.OPERATOR));
        }
        for (String nation : NATIONS) nodes.put(nation, Node.start(homes.get(nation)));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!nodes.values().stream().allMatch(n -> n.peers().size() == 2
                && n.peers().stream().allMatch(p -> p.node().isPresent() && p.state().equals("connected")))) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("the nodes did not peer within 30 s");
            Thread.sleep(50);
        }
    }

    /** A local user of the nation with this role (NATO SECRET, no COI) and a token for it, as {@code bulwark demo} makes them. */
    private static String token(NodeHome home, String nation, Role role) throws Exception {
        String name = role.id() + "-" + nation.toLowerCase(Locale.ROOT);
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User(name, nation, List.of("NATO SECRET"), Set.of(), Set.of(role)));
        var config = home.loadConfig();
        LocalTokens issuer = new LocalTokens(config.nation(), config.node(), Files.readAllBytes(home.dir().resolve("secrets/token.key")));
        return issuer.issue(users.find(name).orElseThrow().toPrincipal(issuer.issuer()), Duration.ofHours(8));
    }

    private static char[] passphrase(NodeHome home) throws Exception {
        String env = System.getenv(Keystore.PASSPHRASE_VARIABLE);
        return env != null && !env.isEmpty() ? env.toCharArray() : Files.readString(home.dir().resolve("secrets/keystore.pass")).strip().toCharArray();
    }

    // ---- floor --------------------------------------------------------------------------------

    /**
     * Sequential 1 KiB POSTs from FRA's TLS identity to a Jetty handler behind DEU's, each pinning
     * the other, hybrid group only — the handshake and record layer a feed request uses, without
     * the feed. Keep-alive: one connection, so this is the per-request cost, not the handshake's.
     */
    private Histogram tlsFloor(int seconds) throws Exception {
        NodeHome deu = homes.get("DEU");
        NodeHome fra = homes.get("FRA");
        String deuPin = deu.tlsFingerprint();
        String fraPin = fra.tlsFingerprint();
        FederationTls serverTls = FederationTls.load(deu.tlsKeystore(), passphrase(deu), PeerPins.of(() -> Set.of(fraPin)),
                FederationTls.KeyExchange.HYBRID_ONLY);
        FederationTls clientTls = FederationTls.load(fra.tlsKeystore(), passphrase(fra), PeerPins.of(() -> Set.of(deuPin)),
                FederationTls.KeyExchange.HYBRID_ONLY);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor()); // as the federation API's server
        Server server = new Server(threads);
        ServerConnector connector = serverTls.connector(server, "127.0.0.1", 0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                try (InputStream in = Request.asInputStream(request)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                response.setStatus(200);
                callback.succeeded();
                return true;
            }
        });
        server.start();
        try {
            HttpClient client = HttpClient.newBuilder().sslContext(clientTls.clientContext()).sslParameters(clientTls.clientParameters())
                    .version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("https://127.0.0.1:" + connector.getLocalPort() + "/floor");
            Histogram h = new Histogram(60_000_000L, 3);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            for (int i = 0; System.nanoTime() < end && i < 200_000; i++) {
                long t = System.nanoTime();
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build(),
                        HttpResponse.BodyHandlers.discarding());
                long us = (System.nanoTime() - t) / 1000;
                if (r.statusCode() != 200) throw new IllegalStateException("floor: HTTP " + r.statusCode());
                if (i >= 500) h.recordValue(Math.max(1, us)); // the first ones warm the handshake and TLS paths
            }
            return h;
        } finally {
            server.stop();
        }
    }

    // ---- share latency ------------------------------------------------------------------------

    /**
     * Publishes at DEU over HTTP on an open-loop schedule of {@code rate} per second for
     * {@code seconds}; a {@link Watcher} per peer notes when each record first shows in that peer's
     * changes. Returns table rows if {@code report}.
     */
    private List<String> shareLatency(int rate, int seconds, boolean report) throws Exception {
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Map<String, Watcher> watchers = new LinkedHashMap<>();
        for (String nation : PEERS) watchers.put(nation, new Watcher(nation, nodes.get(nation).url(), tokens.get(nation)));
        ConcurrentHistogram publish = new ConcurrentHistogram(60_000_000L, 3);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        AtomicLong failed = new AtomicLong();
        double signaturesBefore = metric("DEU", "bulwark_sign_batch_size_count");
        double deliveriesBefore = deliveries();
        Map<String, double[]> stagesBefore = stages();
        long cpu0 = processCpuNanos();
        long slots = (long) rate * seconds;
        long missed = 0;
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime();
        AtomicLong lastAck = new AtomicLong(start);
        for (long i = 0; i < slots; i++) {
            long wait = start + i * period - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            if (!inFlight.tryAcquire()) {
                missed++; // the origin is this far behind: the slot is not sent (open loop, no queue in the driver)
                continue;
            }
            Thread.startVirtualThread(() -> {
                try {
                    long sent = System.nanoTime();
                    HttpResponse<String> r = http.send(publishRequest(), HttpResponse.BodyHandlers.ofString());
                    long acked = System.nanoTime();
                    if (r.statusCode() != 201) throw new IllegalStateException("HTTP " + r.statusCode() + " " + r.body());
                    String id = JSON.readTree(r.body()).path("id").asText();
                    sentAt.put(id, sent);
                    publish.recordValue(Math.max(1, (acked - sent) / 1000));
                    lastAck.accumulateAndGet(acked, Math::max);
                } catch (Exception e) {
                    if (failed.getAndIncrement() == 0) System.err.println("publish failed: " + e);
                } finally {
                    inFlight.release();
                }
            });
        }
        inFlight.acquire(MAX_IN_FLIGHT); // every publish answered
        inFlight.release(MAX_IN_FLIGHT);
        String cpu = cpu(processCpuNanos() - cpu0, lastAck.get() - start, sentAt.size()); // the offered load's CPU, the watchers' included
        double achieved = sentAt.size() / ((lastAck.get() - start) / 1e9);
        // Everything published arrives within seconds; give stragglers up to 30 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && !watchers.values().stream().allMatch(w -> w.firstSeen.keySet().containsAll(sentAt.keySet()))) {
            Thread.sleep(50);
        }
        watchers.values().forEach(Watcher::close);
        if (!report) return List.of();
        List<String> rows = new ArrayList<>();
        double perSignature = sentAt.size() / (metric("DEU", "bulwark_sign_batch_size_count") - signaturesBefore);
        double perDelivery = 2.0 * sentAt.size() / (deliveries() - deliveriesBefore);
        rows.add(String.format(Locale.ROOT, "| %,d records/s offered for %d s: publish at DEU (HTTP 201) | achieved %,.0f records/s; "
                        + "%,d of %,d slots missed (%d publishes in flight); %d failed; publish p50 %s, p99 %s; %.1f records per batch signature, "
                        + "%.1f per feed delivery; %s | — |",
                rate, seconds, achieved, missed, slots, MAX_IN_FLIGHT, failed.get(), ms(publish, 50), ms(publish, 99), perSignature, perDelivery, cpu));
        rows.add(stageRow(rate, stagesBefore, stages()));
        for (Watcher w : watchers.values()) {
            Histogram shown = new Histogram(600_000_000L, 3);
            Histogram read = new Histogram(600_000_000L, 3);
            long undetected = 0;
            for (Map.Entry<String, Long> e : sentAt.entrySet()) {
                Long seen = w.firstSeen.get(e.getKey());
                if (seen == null) {
                    undetected++;
                    continue;
                }
                shown.recordValue(Math.max(1, (seen - e.getValue()) / 1000));
                Long got = w.readAt.get(e.getKey());
                if (got != null) read.recordValue(Math.max(1, (got - e.getValue()) / 1000));
            }
            String budget = rate == 1000 ? (shown.getValueAtPercentile(99) <= 20_000 && missed == 0 && undetected == 0
                    ? "p99 ≤ 20 ms at 1,000/s: **met**" : "p99 ≤ 20 ms at 1,000/s: **not met**") : "—";
            rows.add(String.format(Locale.ROOT, "| %,d/s: share DEU → %s, publish sent until shown by %s's API (a standing GET /api/v1/changes) "
                            + "| p50 %s, p99 %s, max %s (%,d records; %d never shown; %,d answers, %.1f records each) — GET 200 on a 1-in-%d sample: "
                            + "p50 %s, p99 %s (%,d reads, %d not 200) | %s |",
                    rate, w.nation, w.nation, ms(shown, 50), ms(shown, 99), ms(shown, 100), shown.getTotalCount(), undetected,
                    w.answers.get(), shown.getTotalCount() / (double) Math.max(1, w.answers.get()),
                    VALIDATE_EVERY, ms(read, 50), ms(read, 99), read.getTotalCount(), w.notReadable.get(), budget));
        }
        return rows;
    }

    private HttpRequest publishRequest() {
        return HttpRequest.newBuilder(URI.create(nodes.get("DEU").url() + "/api/v1/records")).header("Authorization", "Bearer " + tokens.get("DEU"))
                .header("Bulwark-Label", LABEL).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
    }

    /**
     * Holds one standing request for changes at a peer's client API ({@code GET /api/v1/changes}
     * with {@code wait}), as a client that acts on new data does, and notes when each record first
     * shows: when the answer that brings it arrives. It starts from the latest change before the
     * phase's first publish, so it sees every record of the phase, each once, in the peer's commit
     * order. One detected record in {@value #VALIDATE_EVERY} is also read in full (GET, 200, 1 KiB)
     * at once.
     */
    private final class Watcher implements AutoCloseable {
        final String nation;
        final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        final Map<String, Long> readAt = new ConcurrentHashMap<>();
        final AtomicLong notReadable = new AtomicLong();
        final AtomicLong answers = new AtomicLong();
        private final String url;
        private final String token;
        private String cursor;
        private volatile boolean running = true;
        private final Thread thread;

        Watcher(String nation, String url, String token) throws Exception {
            this.nation = nation;
            this.url = url;
            this.token = token;
            this.cursor = changes("from=latest").path("cursor").asText();
            this.thread = Thread.ofVirtual().name("watch-" + nation).start(this::watch);
        }

        private JsonNode changes(String query) throws Exception {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/changes?" + query))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new IllegalStateException("changes at " + nation + ": HTTP " + r.statusCode());
            return JSON.readTree(r.body());
        }

        private void watch() {
            long detected = 0;
            while (running) {
                try {
                    JsonNode page = changes("limit=1000&wait=" + WAIT_SECONDS + "&cursor="
                            + java.net.URLEncoder.encode(cursor, java.nio.charset.StandardCharsets.UTF_8));
                    long now = System.nanoTime();
                    if (!page.path("items").isEmpty()) answers.incrementAndGet();
                    for (JsonNode item : page.path("items")) {
                        String id = item.path("id").asText();
                        if (item.path("change").asText().equals("published") && firstSeen.putIfAbsent(id, now) == null
                                && ++detected % VALIDATE_EVERY == 0) {
                            Thread.startVirtualThread(() -> validate(id));
                        }
                    }
                    cursor = page.path("cursor").asText();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    System.err.println("watcher " + nation + ": " + e);
                    LockSupport.parkNanos(100_000_000L);
                }
            }
        }

        private void validate(String id) {
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/records/" + id))
                        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 200 && r.body().length == payload.length) readAt.put(id, System.nanoTime());
                else notReadable.incrementAndGet();
            } catch (Exception e) {
                notReadable.incrementAndGet();
            }
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(5_000 + WAIT_SECONDS * 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- throughput ---------------------------------------------------------------------------

    /**
     * N records published at DEU in process as fast as it takes them ({@link #publishers} virtual threads calling
     * {@code records().publish}, the HTTP layer skipped so the origin is as fast as it gets), until
     * both peers have stored all N — read from each peer's {@code /metrics}
     * ({@code bulwark_federation_received_total}, counted after the records are durable), polled
     * every 20 ms; then every id is read through both peers' APIs.
     */
    private String sustained(int n) throws Exception {
        Map<String, Double> before = new LinkedHashMap<>();
        for (String nation : PEERS) before.put(nation, received(nation));
        double deliveriesBefore = deliveries();
        double signaturesBefore = metric("DEU", "bulwark_sign_batch_size_count");
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        List<String> ids = publishInProcess(n);
        long published = System.nanoTime();
        Map<String, Long> done = awaitReceived(before, n, Duration.ofMinutes(5));
        long last = done.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        String cpu = cpu(processCpuNanos() - cpu0, last - t0, n);
        double perDelivery = 2.0 * n / (deliveries() - deliveriesBefore);
        double perSignature = n / (metric("DEU", "bulwark_sign_batch_size_count") - signaturesBefore);
        String verified = verifyAll(ids);
        return String.format(Locale.ROOT, "| replicated to two peers: %,d records published at DEU in process, until both hold all | "
                        + "**%,.0f records/s** (first publish to last arrival; FRA %.1f s, USA %.1f s); DEU's own publish rate in the run: "
                        + "%,.0f records/s; %.1f records per batch signature, %.1f per feed delivery; %s; %s | ≥ 3,000/s: **%s** |",
                n, n / ((last - t0) / 1e9), (done.get("FRA") - t0) / 1e9, (done.get("USA") - t0) / 1e9,
                n / ((published - t0) / 1e9), perSignature, perDelivery, cpu, verified, n / ((last - t0) / 1e9) >= 3000 ? "met" : "not met");
    }

    /**
     * FRA and USA stopped; N records published at DEU; the two started again (each start opens its
     * storage and sweeps it first); timed from the restart until both hold all N.
     */
    private String catchUp(int n) throws Exception {
        for (String nation : PEERS) nodes.remove(nation).close();
        List<String> ids = publishInProcess(n);
        long t0 = System.nanoTime();
        for (String nation : PEERS) nodes.put(nation, Node.start(homes.get(nation)));
        long started = System.nanoTime();
        long cpu0 = processCpuNanos();
        Map<String, Double> before = Map.of("FRA", 0.0, "USA", 0.0); // a restarted node's counters start at 0
        Map<String, Long> done = awaitReceived(before, n, Duration.ofMinutes(5));
        long last = done.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        String cpu = cpu(processCpuNanos() - cpu0, last - started, 2 * n);
        String verified = verifyAll(ids);
        return String.format(Locale.ROOT, "| catch-up: FRA and USA restarted after DEU published %,d records without them | "
                        + "**%,.0f records/s** per peer, both pulling (restart to last arrival %.1f s, of which starting both nodes %.1f s; "
                        + "FRA %.1f s, USA %.1f s); once started, %s (per record received); %s | — |",
                n, n / ((last - t0) / 1e9), (last - t0) / 1e9, (started - t0) / 1e9, (done.get("FRA") - t0) / 1e9,
                (done.get("USA") - t0) / 1e9, cpu, verified);
    }

    private List<String> publishInProcess(int n) throws Exception {
        Node deu = nodes.get("DEU");
        Principal analyst = new Principal("analyst-deu", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:bench");
        List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>(n));
        AtomicLong next = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < publishers; c++) {
                pool.submit(() -> {
                    while (next.getAndIncrement() < n) {
                        ids.add(deu.records().publish(analyst, LABEL, null, "application/octet-stream", payload).id());
                    }
                    return null;
                });
            }
        }
        if (ids.size() != n) throw new IllegalStateException("published " + ids.size() + " of " + n);
        return ids;
    }

    /** When each peer's received counter first reached {@code before + n}. */
    private Map<String, Long> awaitReceived(Map<String, Double> before, int n, Duration timeout) throws Exception {
        Map<String, Long> done = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (done.size() < PEERS.size()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("peers did not receive " + n + " records within " + timeout + ": " + done);
            for (String nation : PEERS) {
                if (!done.containsKey(nation) && received(nation) >= before.get(nation) + n) done.put(nation, System.nanoTime());
            }
            Thread.sleep(20);
        }
        return done;
    }

    /** CPU time of this whole JVM: the three nodes, the driver and its probes. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Cores in use over a phase and CPU time per record (whole JVM). */
    private static String cpu(long cpuNanos, long wallNanos, long records) {
        return String.format(Locale.ROOT, "JVM CPU %.2f cores, %.0f µs per record", (double) cpuNanos / wallNanos, cpuNanos / 1e3 / records);
    }

    /** The peer's {@code bulwark_federation_received_total} for records from DEU, from its /metrics. */
    private double received(String nation) throws Exception {
        return fromDeu(nation, "bulwark_federation_received_total");
    }

    private static final List<String> PUBLISH_STAGES = List.of("prepare", "sign", "blob", "commit");
    private static final List<String> APPLY_STAGES = List.of("verify", "blob", "commit");

    /**
     * The stage timers' sums and counts (seconds, samples): DEU's publishes, whole and by stage, and
     * FRA's applying of what DEU sent, the wait for the response before included.
     */
    private Map<String, double[]> stages() throws Exception {
        Map<String, double[]> t = new LinkedHashMap<>();
        List<String> deu = metrics("DEU").toList();
        List<String> fra = metrics("FRA").toList();
        t.put("publish", timer(deu, "bulwark_publish_seconds", ""));
        for (String s : PUBLISH_STAGES) t.put("publish " + s, timer(deu, "bulwark_publish_stage_seconds", "stage=\"" + s + "\""));
        t.put("apply wait", timer(fra, "bulwark_federation_apply_wait_seconds", "peer=\"DEU\""));
        for (String s : APPLY_STAGES) t.put("apply " + s, timer(fra, "bulwark_federation_apply_stage_seconds", "stage=\"" + s + "\""));
        return t;
    }

    /** A timer's sum and count from Prometheus lines; {@code tag} empty for an untagged timer. */
    private static double[] timer(List<String> lines, String name, String tag) {
        double[] sumAndCount = new double[2];
        for (String l : lines) {
            boolean match = tag.isEmpty() ? l.startsWith(name + "_sum ") || l.startsWith(name + "_count ")
                    : (l.startsWith(name + "_sum{") || l.startsWith(name + "_count{")) && l.contains(tag);
            if (!match) continue;
            sumAndCount[l.startsWith(name + "_sum") ? 0 : 1] += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
        }
        return sumAndCount;
    }

    /** The phase's mean time in each stage, from the nodes' own stage timers. */
    private static String stageRow(int rate, Map<String, double[]> before, Map<String, double[]> after) {
        StringBuilder b = new StringBuilder();
        for (String stage : after.keySet()) {
            double sum = after.get(stage)[0] - before.get(stage)[0];
            double count = after.get(stage)[1] - before.get(stage)[1];
            if (!b.isEmpty()) b.append("; ");
            b.append(stage).append(count > 0 ? String.format(Locale.ROOT, " %.2f ms", 1000 * sum / count) : " —");
        }
        return String.format(Locale.ROOT, "| %,d/s: mean time by stage (DEU's publishes, each; FRA applying what DEU sent: wait per response, the rest per run of records) | %s | — |",
                rate, b);
    }

    /** Both peers' deliveries from DEU that carried records ({@code bulwark_federation_deliveries_total}). */
    private double deliveries() throws Exception {
        double sum = 0;
        for (String nation : PEERS) sum += fromDeu(nation, "bulwark_federation_deliveries_total");
        return sum;
    }

    private double fromDeu(String nation, String counter) throws Exception {
        return metrics(nation).filter(l -> l.startsWith(counter + "{") && l.contains("peer=\"DEU\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** An untagged metric of a node. */
    private double metric(String nation, String name) throws Exception {
        return metrics(nation).filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private java.util.stream.Stream<String> metrics(String nation) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(nodes.get(nation).url() + "/metrics"))
                        .header("Authorization", "Bearer " + operatorTokens.get(nation)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body().lines();
    }

    /** Reads every id through both peers' client APIs (after the timing): proves the counters meant readable records. */
    private String verifyAll(List<String> ids) throws Exception {
        AtomicLong bad = new AtomicLong();
        AtomicLong next = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 16; c++) {
                pool.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < 2L * ids.size(); ) {
                        String peer = PEERS.get((int) (i % 2));
                        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(nodes.get(peer).url() + "/api/v1/records/" + ids.get((int) (i / 2))))
                                .header("Authorization", "Bearer " + tokens.get(peer)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() != 200 || r.body().length != payload.length) bad.incrementAndGet();
                    }
                    return null;
                });
            }
        }
        return String.format(Locale.ROOT, "afterwards all %,d × 2 read through the peers' APIs: %d not 200", ids.size(), bad.get());
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static String ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? "—" : String.format(Locale.ROOT, "%.2f ms", h.getValueAtPercentile(percentile) / 1e3);
    }

    private static int freePort() throws Exception {
        return io.bulwark.node.LoopbackPorts.free();
    }

    private static String loadAverage() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }

    private static String cpuModel() throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
    }
}
