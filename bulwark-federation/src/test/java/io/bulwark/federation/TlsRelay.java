package io.bulwark.federation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A loopback TCP relay in front of a server that records both directions of the first connection. */
final class TlsRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final int target;
    private final ByteArrayOutputStream fromClient = new ByteArrayOutputStream();
    private final ByteArrayOutputStream fromServer = new ByteArrayOutputStream();

    TlsRelay(int targetPort) throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        target = targetPort;
        Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    byte[] fromClient() {
        synchronized (fromClient) {
            return fromClient.toByteArray();
        }
    }

    byte[] fromServer() {
        synchronized (fromServer) {
            return fromServer.toByteArray();
        }
    }

    private void accept() {
        boolean first = true;
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                pump(client, server, first ? fromClient : null);
                pump(server, client, first ? fromServer : null);
                first = false;
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void pump(Socket from, Socket to, ByteArrayOutputStream record) {
        Thread.ofVirtual().start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (record != null) {
                        synchronized (record) {
                            record.write(buffer, 0, n);
                        }
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side went away
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        });
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
