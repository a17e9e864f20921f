package io.bulwark.node;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 exchange written byte for byte over TLS: for requests an HTTP client will not send
 * (a bad escape in the query). Drives an {@link SSLEngine}, since the federation's client context
 * makes engines only. Reads until the server closes the connection (send {@code Connection: close}),
 * 30 s at most a read.
 */
final class RawTls {

    private RawTls() {
    }

    static String exchange(SSLContext context, SSLParameters parameters, String host, int port, String request) throws IOException {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        ByteBuffer netIn = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        ByteBuffer in = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + 1024);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(30_000);
            engine.beginHandshake();
            while (true) {
                SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
                } else if (hs == SSLEngineResult.HandshakeStatus.NEED_WRAP
                        || hs == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING && out.hasRemaining()) {
                    netOut.clear();
                    engine.wrap(out, netOut);
                    netOut.flip();
                    socket.getOutputStream().write(netOut.array(), netOut.arrayOffset() + netOut.position(), netOut.remaining());
                } else {
                    // Unwrap what is buffered first: a read would wait for bytes the server has already sent.
                    netIn.flip();
                    SSLEngineResult r = engine.unwrap(netIn, in);
                    netIn.compact();
                    in.flip();
                    received.write(in.array(), in.arrayOffset() + in.position(), in.remaining());
                    in.clear();
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) return received.toString(StandardCharsets.UTF_8);
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || r.bytesConsumed() == 0) {
                        int n = socket.getInputStream().read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
                        if (n < 0) return received.toString(StandardCharsets.UTF_8);
                        netIn.position(netIn.position() + n);
                    }
                }
            }
        }
    }
}
