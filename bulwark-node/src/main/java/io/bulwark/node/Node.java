package io.bulwark.node;

import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.Keystore;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.InvalidIdentityException;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.OidcSettings;
import io.bulwark.node.identity.OidcTokenVerifier;
import io.bulwark.node.identity.TokenVerifier;
import io.bulwark.node.identity.Verifiers;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordOpener;
import io.bulwark.record.RecordSealer;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.OrphanSweeper;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * One nation's node, wired with plain constructors: configuration, keys, policies, storage, sealing,
 * identities and the HTTP API. {@link #start} serves; {@link #close} stops cleanly (requests in flight
 * finish, then storage closes).
 */
public final class Node implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    private final NodeHome home;
    private final NodeConfig config;
    private final SqliteMetadataStore metadata;
    private final FilesystemBlobStore blobs;
    private final EpochLog epochLog;
    private final RecordService records;
    private final Server server;
    private final ServerConnector connector;

    private Node(NodeHome home) throws IOException, GeneralSecurityException {
        this.home = home;
        this.config = home.loadConfig();
        Keystore keys = home.openKeystore();
        PolicySet policies = home.policies(config);
        TokenVerifier tokens = verifiers(home, config); // a bad identity setting fails before storage opens
        Clock clock = Clock.systemUTC();
        metadata = new SqliteMetadataStore(home.database());
        blobs = new FilesystemBlobStore(home.defaultSite());
        // At startup no write is in progress (one process owns a home), so nothing needs a grace
        // period: every unreferenced blob and partial write is debris of a crash and goes now.
        OrphanSweeper.Report swept = new OrphanSweeper(metadata, blobs, Duration.ZERO, clock).sweep();
        LOG.info("storage opened; swept {}", swept);
        // Epoch keys for this node's own nation: every statement is on disk before its key is used.
        List<EpochKeyStatement> statements = EpochLog.read(home.epochLog());
        epochLog = new EpochLog(home.epochLog());
        HybridPublicKemKey ownKem = keys.kem().primary();
        var ownSigningKeys = keys.signing().publicKeys();
        RecordOpener opener = new RecordOpener(policies, config.nation(), keys.kem(),
                (nation, node) -> nation.equals(config.nation()) && node.equals(config.node()) ? ownSigningKeys : List.of());
        for (EpochKeyStatement s : statements) {
            if (s.recipientNation().equals(config.nation())) opener.accept(s);
        }
        EpochKeyring epochs = new EpochKeyring(keys.signing(), config.nation(), config.node(),
                nation -> nation.equals(config.nation()) ? Optional.of(ownKem) : Optional.empty(),
                Duration.ofHours(1), clock, statement -> {
                    epochLog.append(statement); // durable before the epoch key wraps anything
                    if (statement.recipientNation().equals(config.nation())) opener.accept(statement);
                });
        epochs.announced(statements);
        RecordSealer sealer = new RecordSealer(policies, keys.signing(), epochs, config.nation(), config.node(), clock);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        records = new RecordService(policies, config.nation(), sealer, opener, keys.signing(), metadata, blobs,
                defaultResidency(config, policies), clock, meters);

        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("bulwark-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(config.limits().maxHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        if (config.tls()) {
            http.addCustomizer(new SecureRequestCustomizer(false));
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(home.tlsKeystore().toString());
            tls.setKeyStoreType("PKCS12");
            tls.setKeyStorePassword(new String(home.passphrase()));
            tls.setIncludeProtocols("TLSv1.3");
            connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
        } else {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.limits().requestTimeoutSeconds() * 1000L);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new HttpApi(records, tokens,
                new CurrentUsers(home.dir(), policies, "bulwark:" + config.nation() + ":" + config.node()), meters, config)));
        server.setStopTimeout(15_000);
        server.setStopAtShutdown(false);
    }

    private static ResidencyPolicy defaultResidency(NodeConfig config, PolicySet policies) {
        try {
            return ResidencyPolicy.parse(config.residency(), policies);
        } catch (InvalidResidencyException e) {
            throw new InvalidConfigException("residency: " + e.getMessage());
        }
    }

    private static TokenVerifier verifiers(NodeHome home, NodeConfig config) throws IOException {
        List<TokenVerifier> list = new ArrayList<>();
        list.add(new LocalTokens(config.nation(), config.node(), home.tokenSecret()));
        for (int i = 0; i < config.oidc().size(); i++) {
            NodeConfig.Oidc o = config.oidc().get(i);
            String at = home.config() + ": oidc[" + i + "]: ";
            if (o.jwksUri() == null) throw new InvalidConfigException(at + "jwksUri: required");
            try {
                list.add(new OidcTokenVerifier(new OidcSettings(o.issuer(), URI.create(o.jwksUri()), Optional.ofNullable(o.audience()),
                        o.nationalityClaim(), o.clearanceClaim(), o.coiClaim(), o.rolesClaim())));
            } catch (InvalidIdentityException | IllegalArgumentException e) {
                throw new InvalidConfigException(at + e.getMessage());
            }
        }
        try {
            return Verifiers.of(list);
        } catch (InvalidIdentityException e) {
            throw new InvalidConfigException(home.config() + ": oidc: " + e.getMessage());
        }
    }

    /** Opens the node in this home and starts serving. */
    public static Node start(NodeHome home) throws Exception {
        Node node = new Node(home);
        try {
            node.server.start();
        } catch (Exception e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** The client API's base URL, e.g. {@code http://127.0.0.1:40123}. */
    public String url() {
        String host = connector.getHost().contains(":") ? "[" + connector.getHost() + "]" : connector.getHost();
        return (config.tls() ? "https" : "http") + "://" + host + ":" + connector.getLocalPort();
    }

    /** The record service, for in-process drivers (the bench's bulk fill); the HTTP API is the normal way in. */
    public RecordService records() {
        return records;
    }

    public NodeConfig config() {
        return config;
    }

    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        try {
            server.stop(); // graceful: requests in flight finish first
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server: {}", e.toString());
        }
        records.close();
        try {
            epochLog.close();
        } catch (IOException e) {
            LOG.warn("closing the epoch log: {}", e.toString());
        }
        blobs.close();
        metadata.close();
    }
}
