package io.bulwark.node.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real JWKS endpoint on loopback (127.0.0.1, a free port): serves the public part of the keys it
 * is given at {@code /realms/bulwark/protocol/openid-connect/certs}, as Keycloak does, and counts
 * the fetches.
 */
final class JwksServer implements AutoCloseable {

    static final String PATH = "/realms/bulwark/protocol/openid-connect/certs";

    private final HttpServer server;
    private final AtomicReference<String> body = new AtomicReference<>();
    private final AtomicInteger fetches = new AtomicInteger();

    JwksServer(List<JWK> keys) {
        serve(keys);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(PATH, exchange -> {
            fetches.incrementAndGet();
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    /** From now on, serves the public part of these keys. */
    void serve(List<JWK> keys) {
        String json = new JWKSet(keys).toString(true); // public keys only
        if (json.contains("\"d\"")) {
            throw new IllegalStateException("a private key would be served");
        }
        body.set(json);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PATH);
    }

    int fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
