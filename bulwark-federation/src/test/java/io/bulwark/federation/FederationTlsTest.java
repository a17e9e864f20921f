package io.bulwark.federation;

import io.bulwark.federation.FederationTls.KeyExchange;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real handshakes between java.net.http.HttpClient and Jetty over loopback. The test certificates
 * carry no subject alternative name and the client connects to 127.0.0.1, so every successful request
 * also shows that no hostname check interferes with pinning.
 */
class FederationTlsTest {

    private static final int X25519MLKEM768 = 0x11EC;
    private static final int X25519 = 0x001D;
    private static final int SECP256R1 = 0x0017;

    @TempDir
    Path dir;

    private TestIdentity serverId;
    private TestIdentity clientId;
    /** What the server trusts (client fingerprints) and what the client trusts (server fingerprints). */
    private final Set<String> serverPins = ConcurrentHashMap.newKeySet();
    private final Set<String> clientPins = ConcurrentHashMap.newKeySet();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void identities() throws Exception {
        serverId = TestIdentity.create(dir, "server");
        clientId = TestIdentity.create(dir, "client");
        serverPins.add(clientId.fingerprint());
        clientPins.add(serverId.fingerprint());
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) c.close();
    }

    @Test
    void mutualTlsRequestSucceedsAndTheHandlerSeesTheClientFingerprint() throws Exception {
        PinCheckingHandler handler = new PinCheckingHandler(PeerPins.of(() -> serverPins));
        int port = serve(server(KeyExchange.HYBRID_ONLY), handler);

        HttpResponse<String> response = get(httpClient(client(KeyExchange.HYBRID_ONLY)), port);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(clientId.fingerprint());
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }

    @ParameterizedTest
    @EnumSource(KeyExchange.class)
    void theHybridGroupIsNegotiatedFromTheFirstClientHello(KeyExchange mode) throws Exception {
        int port = serve(server(mode), new PinCheckingHandler(PeerPins.of(() -> serverPins)));
        TlsRelay relay = new TlsRelay(port);
        cleanup.add(relay);

        assertThat(get(httpClient(client(mode)), relay.port()).statusCode()).isEqualTo(200);

        TlsHello clientHello = TlsHello.parseFirst(relay.fromClient());
        assertThat(clientHello.handshakeType()).isEqualTo(TlsHello.CLIENT_HELLO);
        // secp256r1 is offered in both modes: BCJSSE needs it to sign with the P-256 certificate.
        assertThat(clientHello.supportedGroups()).containsExactlyElementsOf(switch (mode) {
            case HYBRID_ONLY -> List.of(X25519MLKEM768, SECP256R1);
            case HYBRID_PREFERRED -> List.of(X25519MLKEM768, X25519, SECP256R1);
        });
        // The one early share is the hybrid one: 32 bytes of X25519 + a 1184-byte ML-KEM-768 key.
        assertThat(clientHello.keyShares()).containsExactly(new TlsHello.KeyShare(X25519MLKEM768, 1216));

        TlsHello serverHello = TlsHello.parseFirst(relay.fromServer());
        assertThat(serverHello.handshakeType()).isEqualTo(TlsHello.SERVER_HELLO);
        assertThat(serverHello.helloRetryRequest()).as("HelloRetryRequest").isFalse();
        assertThat(serverHello.extensions()).contains(TlsHello.KEY_SHARE);
        // 32 bytes of X25519 + a 1088-byte ML-KEM-768 ciphertext.
        assertThat(serverHello.keyShares()).containsExactly(new TlsHello.KeyShare(X25519MLKEM768, 1120));
        assertThat(serverHello.cipherSuite()).as("TLS_AES_256_GCM_SHA384").isEqualTo(0x1302);
    }

    @Test
    void theServerPrefersTheHybridGroupOverAClientsClassicalEarlyShare() throws Exception {
        int port = serve(server(KeyExchange.HYBRID_PREFERRED), new PinCheckingHandler(PeerPins.of(() -> serverPins)));
        TlsRelay relay = new TlsRelay(port);
        cleanup.add(relay);

        // A BCJSSE client that lists x25519 first shares x25519 early; the server asks for the hybrid share.
        assertThat(rawRequest(relay.port(), "x25519", "X25519MLKEM768", "secp256r1")).startsWith("HTTP/1.1 200");

        assertThat(TlsHello.parseFirst(relay.fromClient()).keyShares()).extracting(TlsHello.KeyShare::group).containsExactly(X25519);
        TlsHello retry = TlsHello.parseFirst(relay.fromServer());
        assertThat(retry.helloRetryRequest()).isTrue();
        assertThat(retry.keyShares()).containsExactly(new TlsHello.KeyShare(X25519MLKEM768, -1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x25519,secp256r1", "secp256r1"})
    void aHybridOnlyServerRefusesAClientThatOffersOnlyClassicalGroups(String groups) throws Exception {
        int port = serve(server(KeyExchange.HYBRID_ONLY), new PinCheckingHandler(PeerPins.of(() -> serverPins)));

        assertThatThrownBy(() -> rawRequest(port, groups.split(","))).isInstanceOf(IOException.class);
        assertThat(rawRequest(port, "X25519MLKEM768", "secp256r1")).as("the same client offering the hybrid group")
                .startsWith("HTTP/1.1 200");
    }

    @Test
    void theServerRefusesAClientThatOffersOnlyChaCha20() throws Exception {
        int port = serve(server(KeyExchange.HYBRID_ONLY), new PinCheckingHandler(PeerPins.of(() -> serverPins)));

        assertThatThrownBy(() -> rawRequest(port, new String[] {"TLS_CHACHA20_POLY1305_SHA256"}, "X25519MLKEM768", "secp256r1"))
                .isInstanceOf(IOException.class);
        assertThat(rawRequest(port, new String[] {"TLS_AES_128_GCM_SHA256"}, "X25519MLKEM768", "secp256r1"))
                .as("the same client offering AES-128-GCM").startsWith("HTTP/1.1 200");
    }

    @Test
    void aHybridOnlyClientRefusesAServerThatOffersOnlyClassicalGroups() throws Exception {
        int port = serveClassicalOnly();

        assertThatThrownBy(() -> get(httpClient(client(KeyExchange.HYBRID_ONLY)), port)).isInstanceOf(IOException.class);
        assertThat(get(httpClient(client(KeyExchange.HYBRID_PREFERRED)), port).statusCode())
                .as("a client that accepts x25519").isEqualTo(200);
    }

    @Test
    void theServerRefusesAnUnpinnedClient() throws Exception {
        serverPins.clear();
        serverPins.add(TestIdentity.create(dir, "someone-else").fingerprint());
        int port = serve(server(KeyExchange.HYBRID_ONLY), new PinCheckingHandler(PeerPins.of(() -> Set.of())));

        assertThatThrownBy(() -> get(httpClient(client(KeyExchange.HYBRID_ONLY)), port)).isInstanceOf(IOException.class);
    }

    @Test
    void theClientRefusesAnUnpinnedServer() throws Exception {
        clientPins.clear();
        clientPins.add(TestIdentity.create(dir, "someone-else").fingerprint());
        PinCheckingHandler handler = new PinCheckingHandler(PeerPins.of(() -> serverPins));
        int port = serve(server(KeyExchange.HYBRID_ONLY), handler);

        assertThatThrownBy(() -> get(httpClient(client(KeyExchange.HYBRID_ONLY)), port)).isInstanceOf(IOException.class);
        assertThat(handler.requests).as("no request reached the server").isEmpty();
    }

    @Test
    void aRemovedPinRefusesTheNextNewConnectionEvenFromAClientWithACachedSession() throws Exception {
        int port = serve(server(KeyExchange.HYBRID_ONLY), new PinCheckingHandler(PeerPins.of(() -> Set.of(clientId.fingerprint()))));
        FederationTls client = client(KeyExchange.HYBRID_ONLY);
        assertThat(get(httpClient(client), port).statusCode()).isEqualTo(200);

        serverPins.remove(clientId.fingerprint());

        // A new HttpClient opens a new connection; the SSLContext (and any session it cached) is the same.
        assertThatThrownBy(() -> get(httpClient(client), port)).isInstanceOf(IOException.class);
    }

    @Test
    void aRemovedServerPinRefusesTheNextNewConnectionFromTheClient() throws Exception {
        int port = serve(server(KeyExchange.HYBRID_ONLY), new PinCheckingHandler(PeerPins.of(() -> serverPins)));
        FederationTls client = client(KeyExchange.HYBRID_ONLY);
        assertThat(get(httpClient(client), port).statusCode()).isEqualTo(200);

        clientPins.remove(serverId.fingerprint());

        assertThatThrownBy(() -> get(httpClient(client), port)).isInstanceOf(IOException.class);
    }

    @Test
    void anOpenKeepAliveConnectionOfARemovedPeerIsRefusedAtItsNextRequest() throws Exception {
        PinCheckingHandler handler = new PinCheckingHandler(PeerPins.of(() -> serverPins));
        int port = serve(server(KeyExchange.HYBRID_ONLY), handler);
        HttpClient http = httpClient(client(KeyExchange.HYBRID_ONLY));
        assertThat(get(http, port).statusCode()).isEqualTo(200);

        serverPins.remove(clientId.fingerprint());

        assertThat(get(http, port).statusCode()).isEqualTo(403);
        // Same client port: the refusal came over the open connection (a new one fails its handshake).
        assertThat(handler.requests).hasSize(2);
        assertThat(handler.requests.get(1)).isEqualTo(handler.requests.get(0));
    }

    /** Answers 200 with the client's fingerprint while it is pinned, 403 otherwise; records client ports. */
    private static final class PinCheckingHandler extends Handler.Abstract {
        private final PeerPins pins;
        final List<Integer> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

        PinCheckingHandler(PeerPins pins) {
            this.pins = pins;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            requests.add(Request.getRemotePort(request));
            var fingerprint = FederationTls.peerFingerprint(request).filter(pins::isPinned);
            if (fingerprint.isEmpty()) {
                Response.writeError(request, response, callback, 403);
            } else {
                Content.Sink.write(response, true, fingerprint.get(), callback);
            }
            return true;
        }
    }

    private FederationTls server(KeyExchange mode) throws Exception {
        return FederationTls.load(serverId.pkcs12(), serverId.passphrase(), PeerPins.of(() -> serverPins), mode);
    }

    private FederationTls client(KeyExchange mode) throws Exception {
        return FederationTls.load(clientId.pkcs12(), clientId.passphrase(), PeerPins.of(() -> clientPins), mode);
    }

    private int serve(FederationTls tls, Handler handler) throws Exception {
        Server server = new Server();
        ServerConnector connector = tls.connector(server, "127.0.0.1", 0);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        cleanup.add(server::stop);
        return connector.getLocalPort();
    }

    /** A server outside this module's API, offering only x25519 and secp256r1 and trusting any client. */
    private int serveClassicalOnly() throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3", "BCJSSE");
        context.init(keyManagers(serverId), SslContextFactory.TRUST_ALL_CERTS, null);
        SslContextFactory.Server factory = new SslContextFactory.Server() {
            @Override
            public SSLParameters customize(SSLParameters parameters) {
                SSLParameters customized = super.customize(parameters);
                customized.setNamedGroups(new String[] {"x25519", "secp256r1"});
                return customized;
            }
        };
        factory.setSslContext(context);
        factory.setIncludeProtocols("TLSv1.3");
        factory.setNeedClientAuth(true);
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.addCustomizer(new SecureRequestCustomizer(false));
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(factory, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new PinCheckingHandler(PeerPins.of(() -> serverPins)));
        server.start();
        cleanup.add(server::stop);
        return connector.getLocalPort();
    }

    /**
     * One request from a BCJSSE socket outside this module's API, offering exactly these groups, with
     * the pinned client certificate and trusting any server: only the groups can make it fail. (Not
     * java.net.http: it drops named groups from SSLParameters.)
     */
    private String rawRequest(int port, String... groups) throws Exception {
        return rawRequest(port, null, groups);
    }

    /** As above, offering only {@code suites} when not null. */
    private String rawRequest(int port, String[] suites, String... groups) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3", "BCJSSE");
        context.init(keyManagers(clientId), SslContextFactory.TRUST_ALL_CERTS, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3"});
            parameters.setNamedGroups(groups);
            if (suites != null) parameters.setCipherSuites(suites);
            socket.setSSLParameters(parameters);
            // In TLS 1.3 the server judges the client's certificate after the client finished: a refusal
            // arrives as an alert on the first read.
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static javax.net.ssl.KeyManager[] keyManagers(TestIdentity id) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(id.pkcs12())) {
            ks.load(in, id.passphrase());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX", "BCJSSE");
        kmf.init(ks, id.passphrase());
        return kmf.getKeyManagers();
    }

    private HttpClient httpClient(FederationTls tls) {
        return httpClient(tls.clientContext(), tls.clientParameters());
    }

    private HttpClient httpClient(SSLContext context, SSLParameters parameters) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(context).sslParameters(parameters).build();
        cleanup.add(client);
        return client;
    }

    private static HttpResponse<String> get(HttpClient client, int port) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
