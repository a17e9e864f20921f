package io.bulwark.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for nodes whose peers must know the federation port before it starts (the demo,
 * test fixtures, load drivers). Taken below the kernel's ephemeral range (32768 and up on Linux), so
 * that the many client connections of a run cannot take one between the check and the node's bind.
 */
public final class LoopbackPorts {

    private LoopbackPorts() {}

    public static int free() throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                if (attempt == 100) throw taken;
            }
        }
    }
}
