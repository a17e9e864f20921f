package io.bulwark.federation;

import io.bulwark.federation.internal.ClientContext;
import io.bulwark.federation.internal.PinningTrustManager;
import io.bulwark.federation.internal.RecordLayerCrypto;
import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Security;
import java.util.List;
import java.util.Optional;

/**
 * Node-to-node TLS: HTTPS over TLS 1.3 with mutual authentication, both sides pinned by certificate
 * fingerprint ({@link PeerPins}), key exchange X25519MLKEM768 (hybrid post-quantum) through Bouncy
 * Castle's JSSE provider — the JDK's own TLS does not offer that group.
 *
 * <pre>{@code
 * FederationTls tls = FederationTls.load(home.tlsKeystore(), passphrase, pins, KeyExchange.HYBRID_ONLY);
 * server.addConnector(tls.connector(server, "0.0.0.0", 8443));
 * HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
 *         .sslContext(tls.clientContext()).sslParameters(tls.clientParameters()).build();
 * }</pre>
 *
 * <p><b>Security guarantees.</b> A handshake completes only with a peer whose leaf certificate is pinned
 * at that moment and within its validity period; no CA is trusted and no hostname is checked (the pin
 * names the certificate). With {@link KeyExchange#HYBRID_ONLY} each side refuses, before the handshake
 * completes, a key exchange other than X25519MLKEM768. Authentication stays classical (ECDSA P-256
 * certificates). A pin removed while a connection is open does not close it: handlers call
 * {@link #peerFingerprint} and check {@link PeerPins#isPinned} per request.
 */
public final class FederationTls {

    /** Bouncy Castle's name for the hybrid group (IANA 0x11EC). */
    private static final String X25519MLKEM768 = "X25519MLKEM768";

    /** The key exchange groups a node offers and accepts. */
    public enum KeyExchange {
        /**
         * X25519MLKEM768 only: a handshake that negotiates anything else fails. secp256r1 is listed
         * as well only because BCJSSE 1.84 refuses to sign with a P-256 certificate in TLS 1.3
         * unless that curve is a named group; the trust manager refuses a handshake that used it
         * for the key exchange (a peer must offer the hybrid group).
         */
        HYBRID_ONLY(List.of(X25519MLKEM768, "secp256r1")),
        /** X25519MLKEM768 first (and shared early by the client), classical x25519 and P-256 accepted. */
        HYBRID_PREFERRED(List.of(X25519MLKEM768, "x25519", "secp256r1"));

        private final List<String> groups;

        KeyExchange(List<String> groups) {
            this.groups = groups;
        }

        List<String> groups() {
            return groups;
        }
    }

    private static final String PROTOCOL = "TLSv1.3";
    /**
     * AES-256-GCM, then AES-128-GCM; no ChaCha20-Poly1305. AES-256 is what CNSA 2.0 asks of symmetric
     * encryption beside post-quantum key exchange, and AES-GCM runs on the CPU's AES instructions
     * ({@link RecordLayerCrypto}), where Bouncy Castle's ChaCha20-Poly1305 is pure Java.
     */
    static final List<String> CIPHER_SUITES = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");
    private static final String PROVIDER = "BCJSSE";
    private static final String ALIAS = "node";

    private final SSLContext serverContext;
    private final SSLContext clientContext;
    private final KeyExchange keyExchange;

    private FederationTls(SSLContext serverContext, SSLContext clientContext, KeyExchange keyExchange) {
        this.serverContext = serverContext;
        this.clientContext = clientContext;
        this.keyExchange = keyExchange;
    }

    /**
     * BCJSSE reads the JDK's {@code jdk.tls.disabledAlgorithms} and {@code jdk.certpath.disabledAlgorithms}
     * and warns, ten lines once per JVM, about the entries its parser does not support (SHA-1 in
     * handshake signatures and in certificate paths). They are moot here: TLS 1.3 only, where those
     * handshake signatures do not exist, and peers pinned by certificate fingerprint, not by a path to
     * a CA. Held in a field, because the JDK keeps loggers only weakly and a collected one forgets its level.
     */
    private static final java.util.logging.Logger BCJSSE_CONSTRAINTS_LOG =
            java.util.logging.Logger.getLogger("org.bouncycastle.jsse.provider.DisabledAlgorithmConstraints");

    /**
     * Registers BCJSSE (at the end of the provider list, so the JDK's defaults are untouched), once,
     * with its own cryptography ({@link RecordLayerCrypto}; BCJSSE's no-argument constructor fails
     * when given a null SecureRandom, as Jetty does). No system property is set: groups, group order
     * and early key shares are set per connection through {@link BCSSLParameters}, so neither the
     * JDK's own TLS (OIDC, S3) nor other BCJSSE users are affected.
     */
    public static synchronized void installProvider() {
        BCJSSE_CONSTRAINTS_LOG.setLevel(java.util.logging.Level.SEVERE);
        if (Security.getProvider(PROVIDER) == null) {
            Security.addProvider(new BouncyCastleJsseProvider(false, new RecordLayerCrypto()));
        }
    }

    /**
     * Loads the node's TLS identity: a PKCS12 file whose key entry {@code "node"} is protected by
     * {@code passphrase} (the layout {@code NodeHome} writes). Installs the provider if needed.
     */
    public static FederationTls load(Path pkcs12, char[] passphrase, PeerPins pins, KeyExchange keyExchange)
            throws IOException, GeneralSecurityException {
        installProvider();
        KeyStore file = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pkcs12)) {
            file.load(in, passphrase);
        }
        if (!file.isKeyEntry(ALIAS)) throw new GeneralSecurityException(pkcs12 + ": no key entry \"" + ALIAS + "\"");
        // Only the node's own entry, so the key manager cannot present anything else.
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry(ALIAS, file.getKey(ALIAS, passphrase), passphrase, file.getCertificateChain(ALIAS));
        // PKIX: the SunX509 key manager algorithm fails BCJSSE handshakes.
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX", PROVIDER);
        kmf.init(own, passphrase);
        TrustManager[] trust = {new PinningTrustManager(pins, keyExchange == KeyExchange.HYBRID_ONLY)};
        SSLContext server = context(kmf.getKeyManagers(), trust);
        SSLContext client = new ClientContext(context(kmf.getKeyManagers(), trust), keyExchange.groups(), List.of(X25519MLKEM768));
        return new FederationTls(server, client, keyExchange);
    }

    private static SSLContext context(KeyManager[] keys, TrustManager[] trust) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance(PROTOCOL, PROVIDER);
        context.init(keys, trust, new SecureRandom());
        return context;
    }

    /**
     * Jetty's server-side TLS: TLS 1.3 only, client certificate required, pinned peers only, this
     * key exchange's groups only.
     */
    public SslContextFactory.Server serverFactory() {
        List<String> groups = keyExchange.groups();
        SslContextFactory.Server factory = new SslContextFactory.Server() {
            @Override
            public void customize(SSLEngine engine) {
                super.customize(engine);
                // Our order, not the client's: a client that prefers x25519 still gets the hybrid group.
                BCSSLEngine bc = (BCSSLEngine) engine;
                BCSSLParameters parameters = bc.getParameters();
                parameters.setNamedGroups(groups.toArray(String[]::new));
                parameters.setUseNamedGroupsOrder(true);
                bc.setParameters(parameters);
            }
        };
        factory.setSslContext(serverContext);
        factory.setProvider(PROVIDER);
        factory.setIncludeProtocols(PROTOCOL);
        factory.setIncludeCipherSuites(CIPHER_SUITES.toArray(String[]::new));
        factory.setNeedClientAuth(true);
        return factory;
    }

    /**
     * An HTTPS connector (HTTP/1.1 only: HTTP/2 over BCJSSE needs ALPN glue that is not available)
     * for {@code server}; the caller adds it. SNI host checks are off: peers connect by address.
     */
    public ServerConnector connector(Server server, String host, int port) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.addCustomizer(new SecureRequestCustomizer(false));
        ServerConnector connector = new ServerConnector(server,
                new SslConnectionFactory(serverFactory(), "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    /**
     * The client context, for {@code HttpClient.Builder.sslContext}: TLS 1.3, this node's certificate,
     * pinned peers only, this key exchange's groups with an early X25519MLKEM768 key share (so no
     * HelloRetryRequest). Engines only.
     */
    public SSLContext clientContext() {
        return clientContext;
    }

    /**
     * The parameters for {@code HttpClient.Builder.sslParameters}: TLS 1.3 only, AES-GCM suites only
     * (HttpClient keeps both when it copies them to an engine). The named groups are
     * not here because HttpClient drops them (JDK 25 copies SSLParameters without that field); the
     * {@link #clientContext} sets them on each engine instead. HttpClient still asks for HTTPS endpoint
     * identification; the pinning trust manager answers that the pin decides.
     */
    public SSLParameters clientParameters() {
        SSLParameters parameters = new SSLParameters();
        parameters.setProtocols(new String[] {PROTOCOL});
        parameters.setCipherSuites(CIPHER_SUITES.toArray(String[]::new));
        return parameters;
    }

    /** The fingerprint of the client certificate of the TLS connection this request came over. */
    public static Optional<String> peerFingerprint(Request request) {
        return peerCertificate(request).map(PeerPins::fingerprint);
    }

    private static Optional<java.security.cert.X509Certificate> peerCertificate(Request request) {
        EndPoint.SslSessionData tls = request.getConnectionMetaData().getConnection().getEndPoint().getSslSessionData();
        if (tls == null || tls.peerCertificates() == null || tls.peerCertificates().length == 0) return Optional.empty();
        return Optional.of(tls.peerCertificates()[0]);
    }

    /**
     * Why a certificate is not valid now (expired, or not yet valid); empty if it is. Checked on every
     * request and response, not only at the handshake: a connection kept open by standing requests
     * outlives a certificate's validity.
     */
    static Optional<String> outsideValidity(java.security.cert.X509Certificate certificate, java.time.Instant now) {
        java.util.Date at = java.util.Date.from(now);
        try {
            certificate.checkValidity(at);
            return Optional.empty();
        } catch (java.security.cert.CertificateExpiredException e) {
            return Optional.of("the certificate expired at " + certificate.getNotAfter().toInstant());
        } catch (java.security.cert.CertificateNotYetValidException e) {
            return Optional.of("the certificate is valid only from " + certificate.getNotBefore().toInstant());
        }
    }

    /** Why the client's certificate on this request is not valid now; empty if it is (or there is none). */
    static Optional<String> peerOutsideValidity(Request request, java.time.Instant now) {
        return peerCertificate(request).flatMap(c -> outsideValidity(c, now));
    }
}
