package io.bulwark.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for nodes whose peers must know the federation port before it starts (the demo,
 * test fixtures, load drivers). Taken below the kernel's ephemeral range (32768 and up on Linux), so
 * that the many client connections of a run cannot take one between the check and the node's bind.
 * A port is handed out at most once per process: a caller binds it only later, and until then the check
 * alone finds it free again (two of eight nodes drawing the same port: about one federation in 430,
 * which failed the federation property test once).
 */
public final class LoopbackPorts {

    private static final int FIRST = 20_000;
    private static final int COUNT = 12_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private LoopbackPorts() {}

    public static int free() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt <= 100; attempt++) {
            int port = FIRST + ThreadLocalRandom.current().nextInt(COUNT);
            if (HANDED_OUT.contains(port)) continue;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException taken) {
                last = taken;
                continue;
            }
            if (HANDED_OUT.add(port)) return port;
        }
        throw new IOException("no free loopback port between " + FIRST + " and " + (FIRST + COUNT - 1)
                + " after 100 attempts (" + HANDED_OUT.size() + " handed out by this process)", last);
    }
}
