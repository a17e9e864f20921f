package io.bulwark.node;

import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Real in-process nodes of several nations, each with its own home, federation port and peer list, all peered. */
final class Federated implements AutoCloseable {

    final Map<String, NodeHome> homes = new LinkedHashMap<>();
    final Map<String, Node> nodes = new LinkedHashMap<>();
    final Map<String, String> federationUrls = new LinkedHashMap<>();

    Federated(Path dir, List<String> nations) throws Exception {
        this(dir, nations, (a, b) -> true);
    }

    /** Nodes of these nations; {@code peered(a, b)} (asked once per pair) says whether a and b pin each other. */
    Federated(Path dir, List<String> nations, java.util.function.BiPredicate<String, String> peered) throws Exception {
        for (String nation : nations) {
            String listen = "127.0.0.1:" + freePort();
            NodeHome home = NodeHome.init(dir.resolve(nation), nation, nation.toLowerCase() + "-1", "127.0.0.1:0", Optional.of(listen));
            homes.put(nation, home);
            federationUrls.put(nation, "https://" + listen);
        }
        for (int i = 0; i < nations.size(); i++) {
            for (int j = i + 1; j < nations.size(); j++) {
                String a = nations.get(i);
                String b = nations.get(j);
                if (peered.test(a, b)) {
                    peer(a, b);
                    peer(b, a);
                }
            }
        }
        for (String nation : nations) nodes.put(nation, Node.start(homes.get(nation)));
    }

    void peer(String nation, String other) throws Exception {
        Path file = homes.get(nation).peers();
        PeerList list = PeerList.read(file).with(new Peer(other, Peer.url(federationUrls.get(other)),
                homes.get(other).tlsFingerprint(), Instant.now()), nation);
        list.write(file);
    }

    void unpeer(String nation, String other) throws IOException {
        Path file = homes.get(nation).peers();
        PeerList.read(file).without(other).write(file);
    }

    Node node(String nation) {
        return nodes.get(nation);
    }

    void stop(String nation) {
        nodes.remove(nation).close();
    }

    void restart(String nation) throws Exception {
        nodes.put(nation, Node.start(homes.get(nation)));
    }

    /** A user of the nation cleared for everything in the bundled policies' tests, with the COIs given. */
    static Principal analyst(String nation, String... cois) {
        return new Principal("analyst-" + nation.toLowerCase(), nation, List.of("NATO SECRET", "NATO TOP SECRET"),
                Set.of(cois), Set.of(Role.ANALYST), "bulwark:test");
    }

    void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder state = new StringBuilder();
                nodes.forEach((n, node) -> state.append("\n").append(n).append(": ").append(node.peers()));
                throw new AssertionError("timed out after " + timeout + " waiting until " + what + state);
            }
            Thread.sleep(20);
        }
    }

    static int freePort() throws IOException {
        return io.bulwark.node.LoopbackPorts.free();
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) n.close();
        nodes.clear();
    }
}
