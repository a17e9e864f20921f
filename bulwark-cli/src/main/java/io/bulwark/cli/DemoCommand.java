package io.bulwark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.label.PolicySet;
import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bulwark demo}: three nations' nodes on loopback, peered over pinned mutual TLS with the
 * hybrid post-quantum group, a few records with different labels published, and a table of who
 * holds and can read what — measured, not assumed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start DEU, FRA and USA nodes on loopback (each its own home, keys, storage and ports), peer them, "
                + "publish sample records with different labels and print which nation holds and can read which record, "
                + "with the share latency. Keeps running (URLs and tokens printed) until Ctrl-C, unless --once."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--once", description = "Exit after the table.") boolean once;
    @Option(names = "--dir", paramLabel = "DIR", description = "Where the nodes' homes go (default: a new temporary directory).") Path dir;
    @Spec CommandSpec spec;

    private static final List<String> NATIONS = List.of("DEU", "FRA", "USA");
    private static final Duration SHARE_TIMEOUT = Duration.ofSeconds(15);
    private static final PolicySet POLICIES = PolicySet.defaults();

    private record Sample(String origin, String label, String text) {}

    private static final List<Sample> SAMPLES = List.of(
            new Sample("DEU", "NATO SECRET//REL TO DEU, FRA, USA", "Convoy sighted at grid 32U PV 123 456"),
            new Sample("DEU", "NATO SECRET//REL TO DEU, FRA", "Liaison report: bridge at Kehl closed"),
            new Sample("DEU", "NATO SECRET//REL TO DEU", "National source report (DEU eyes only)"),
            new Sample("USA", "NATO SECRET//REL TO DEU, FRA, USA//COI ISR", "ISR tasking: UAV track 7 (COI ISR only)"),
            new Sample("FRA", "NATO CONFIDENTIAL//REL TO FRA, USA", "Logistics note for the FRA-USA exercise"));

    private record Reader(String name, String token) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path root = dir != null ? dir : Files.createTempDirectory("bulwark-demo");
        Map<String, Node> nodes = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean cleaned = new java.util.concurrent.atomic.AtomicBoolean();
        // Stops what started and, for a temporary demo, removes the homes (they hold keys): whether the demo
        // ends by Ctrl-C at any moment, by --once, or by a failure while it sets up.
        Runnable cleanUp = () -> {
            if (!cleaned.compareAndSet(false, true)) return;
            nodes.values().forEach(Node::close);
            if (dir == null) deleteTree(root);
        };
        CountDownLatch stop = new CountDownLatch(1);
        // Ctrl-C during setup: this thread goes on making homes and starting nodes while the hook runs, so
        // the hook waits for setup to end (a few seconds) rather than delete what is still being written.
        CountDownLatch setUp = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                setUp.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cleanUp.run();
        }, "bulwark-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean serving = false;
        try {
            Map<String, NodeHome> homes = new LinkedHashMap<>();
            Map<String, String> federation = new LinkedHashMap<>();
            for (String nation : NATIONS) {
                String listen = "127.0.0.1:" + freePort();
                homes.put(nation, NodeHome.init(root.resolve(nation.toLowerCase(Locale.ROOT)), nation,
                        nation.toLowerCase(Locale.ROOT) + "-1", "127.0.0.1:0", Optional.of(listen)));
                federation.put(nation, "https://" + listen);
            }
            for (String nation : NATIONS) { // each nation pins the others' certificates, as operators would out of band
                PeerList peers = PeerList.EMPTY;
                for (String other : NATIONS) {
                    if (other.equals(nation)) continue;
                    peers = peers.with(new Peer(other, URI.create(federation.get(other)), homes.get(other).tlsFingerprint(), Instant.now()), nation);
                }
                peers.write(homes.get(nation).peers());
            }
            Map<String, Reader> analysts = new LinkedHashMap<>();
            Map<String, Reader> isr = new LinkedHashMap<>();
            for (String nation : NATIONS) {
                analysts.put(nation, user(homes.get(nation), nation, "analyst-" + nation.toLowerCase(Locale.ROOT), Set.of()));
                isr.put(nation, user(homes.get(nation), nation, "isr-" + nation.toLowerCase(Locale.ROOT), Set.of("ISR")));
            }
            for (String nation : NATIONS) nodes.put(nation, Node.start(homes.get(nation)));
            setUp.countDown();
            out.println("Three nations on loopback, peered over mutual TLS 1.3 with X25519MLKEM768, certificates pinned:");
            for (String nation : NATIONS) {
                out.printf(Locale.ROOT, "  %s  client API %s   federation %s%n", nation, nodes.get(nation).url(),
                        nodes.get(nation).federationUrl().orElseThrow());
            }
            awaitPeered(nodes);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            out.println();
            out.printf(Locale.ROOT, "%-3s %-6s %-45s %-22s %-22s %-22s%n", "#", "ORIGIN", "LABEL", "DEU", "FRA", "USA");
            int n = 0;
            boolean missing = false;
            for (Sample s : SAMPLES) {
                n++;
                long t0 = System.nanoTime();
                String id = publish(http, nodes.get(s.origin()).url(), isr.get(s.origin()).token(), s);
                Map<String, String> cells = new LinkedHashMap<>();
                List<String> pending = new ArrayList<>(NATIONS);
                var released = POLICIES.compile(POLICIES.decode(io.bulwark.label.LabelFormat.MARKING, s.label()));
                long deadline = t0 + SHARE_TIMEOUT.toNanos();
                long grace = Long.MAX_VALUE; // once every released nation reads it, the others get 2 s more to prove they never do
                while (!pending.isEmpty() && System.nanoTime() < Math.min(deadline, grace)) {
                    if (grace == Long.MAX_VALUE && pending.stream().noneMatch(released::releasableTo)) {
                        grace = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                    }
                    for (String nation : List.copyOf(pending)) {
                        if (status(http, nodes.get(nation).url(), isr.get(nation).token(), id) == 200) {
                            double ms = (System.nanoTime() - t0) / 1e6;
                            boolean analyst = status(http, nodes.get(nation).url(), analysts.get(nation).token(), id) == 200;
                            cells.put(nation, nation.equals(s.origin()) ? "origin, readable"
                                    : String.format(Locale.ROOT, "%s %.0f ms", analyst ? "readable" : "held (COI only)", ms));
                            pending.remove(nation);
                        }
                    }
                    Thread.sleep(2);
                }
                for (String nation : pending) {
                    // Released to it, yet not there: sharing failed, and the table must not pass that off as "not held".
                    boolean owed = released.releasableTo(nation);
                    missing |= owed;
                    cells.put(nation, owed ? "NOT RECEIVED (" + SHARE_TIMEOUT.toSeconds() + " s)" : "— not held");
                }
                out.printf(Locale.ROOT, "%-3d %-6s %-45s %-22s %-22s %-22s%n", n, s.origin(), s.label(),
                        cells.get("DEU"), cells.get("FRA"), cells.get("USA"));
            }
            out.println();
            out.println("'readable' = the nation's analyst (NATO SECRET, no COI) reads it through that nation's own API; 'held (COI only)' ="
                    + " stored there, readable only by its ISR analyst; latency = publish at the origin until readable at the peer;");
            out.println("'— not held' = that nation's node has no such record (asked through its API after the released nations had it, and 2 s more).");
            if (missing) {
                out.flush();
                spec.commandLine().getErr().println("bulwark: demo: a record did not reach a nation its label releases it to within "
                        + SHARE_TIMEOUT.toSeconds() + " s (NOT RECEIVED above); links: " + String.join("; ", links(nodes, false)));
            }
            if (once) return missing ? ExitCode.OTHER : ExitCode.OK;
            out.println();
            out.println("Tokens (8 h) — e.g. BULWARK_TOKEN=TOKEN bulwark list --url URL, or bulwark watch --url URL with BULWARK_TOKEN set to see records arrive:");
            for (String nation : NATIONS) {
                out.printf(Locale.ROOT, "  %s %-14s %s%n", nation, analysts.get(nation).name(), analysts.get(nation).token());
                out.printf(Locale.ROOT, "  %s %-14s %s%n", nation, isr.get(nation).name(), isr.get(nation).token());
            }
            out.println("Homes under " + root + " (bulwark peer list --home " + homes.get("DEU").dir() + "). Ctrl-C stops the nodes"
                    + (dir == null ? " and removes them." : "."));
            out.flush();
            serving = true;
            stop.await();
            return ExitCode.OK;
        } finally {
            setUp.countDown(); // also when setup failed: a hook waiting for it goes on
            if (!serving) { // --once, or a failure: clean up now rather than at exit
                cleanUp.run();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is already shutting down: the hook runs, and finds it done
                }
            }
        }
    }

    /** Deletes everything under {@code root}, going on past what vanishes meanwhile (setup may still be writing there). */
    private static void deleteTree(Path root) {
        if (!Files.exists(root)) return; // --once removed it before the shutdown hook ran
        try {
            Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof java.nio.file.NoSuchFileException) return java.nio.file.FileVisitResult.CONTINUE;
                    throw e;
                }

                @Override
                public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) throw e;
                    Files.deleteIfExists(dir);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("bulwark demo: could not remove " + root + ": " + e.getMessage());
        }
    }

    private static Reader user(NodeHome home, String nation, String name, Set<String> cois) throws Exception {
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User(name, nation, List.of("NATO SECRET"), new LinkedHashSet<>(cois), Set.of(Role.ANALYST)));
        var config = home.loadConfig();
        LocalTokens tokens = new LocalTokens(config.nation(), config.node(), Files.readAllBytes(home.dir().resolve("secrets/token.key")));
        return new Reader(name, tokens.issue(users.find(name).orElseThrow().toPrincipal(tokens.issuer()), Duration.ofHours(8)));
    }

    /** Waits until every node has introduced itself to every peer (the demo's first record should not wait on that). */
    private static void awaitPeered(Map<String, Node> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = nodes.values().stream().allMatch(n -> n.peers().size() == NATIONS.size() - 1
                    && n.peers().stream().allMatch(p -> p.node().isPresent() && p.state().equals("connected")));
            if (all) return;
            Thread.sleep(50);
        }
        throw new UserError(ExitCode.UNREACHABLE, "demo: the nodes are not all connected after 20 s: " + String.join("; ", links(nodes, true)));
    }

    /** Each link's state and last error, as the nodes see them now ({@code unconnectedOnly}: the links not connected). */
    private static List<String> links(Map<String, Node> nodes, boolean unconnectedOnly) {
        List<String> links = new ArrayList<>();
        nodes.forEach((nation, node) -> node.peers().stream()
                .filter(p -> !unconnectedOnly || !p.state().equals("connected") || p.node().isEmpty())
                .forEach(p -> links.add(nation + "->" + p.nation() + " " + p.state() + p.lastError().map(e -> " (" + e + ")").orElse(""))));
        return links;
    }

    private static String publish(HttpClient http, String url, String token, Sample s) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/records"))
                .header("Authorization", "Bearer " + token).header("Bulwark-Label", s.label()).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(s.text(), StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new UserError(ExitCode.OTHER, "demo: publishing '" + s.label() + "' failed: " + r.body());
        return new ObjectMapper().readTree(r.body()).path("id").asText();
    }

    private static int status(HttpClient http, String url, String token, String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/records/" + id)).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static int freePort() throws java.io.IOException {
        return io.bulwark.node.LoopbackPorts.free();
    }
}
