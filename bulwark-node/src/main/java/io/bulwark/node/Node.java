package io.bulwark.node;

import io.bulwark.audit.AuditLog;
import io.bulwark.crypto.CursorSeal;
import io.bulwark.crypto.Keystore;
import io.bulwark.federation.Federation;
import io.bulwark.federation.FederationTls;
import io.bulwark.federation.KeyRotation;
import io.bulwark.federation.NodeIdentity;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.InvalidIdentityException;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.OidcSettings;
import io.bulwark.node.identity.OidcTokenVerifier;
import io.bulwark.node.identity.TokenVerifier;
import io.bulwark.node.identity.Verifiers;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.OriginKeys;
import io.bulwark.record.RecordOpener;
import io.bulwark.record.RecordSealer;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.ResidencyPolicy;
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
    /** Bouncy Castle's TLS logs every connection at INFO through java.util.logging; a node reports refusals itself. */
    private static final java.util.logging.Logger BC_TLS_LOG = java.util.logging.Logger.getLogger("org.bouncycastle.jsse");

    static {
        BC_TLS_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final NodeHome home;
    private final HomeLock lock;
    private final NodeConfig config;
    private final NodeKeys keys;
    /** The sites this node declares to its peers; replaced when sites change ({@link #storageChanged}). */
    private volatile List<NodeIdentity.StorageSite> storage;
    private final Clock clock;
    private final SqliteMetadataStore metadata;
    private final NodeStorage blobs;
    private Thread repairer;
    private final EpochLog epochLog;
    private final RecordService records;
    private final Federation federation;
    private final ReplicaInbox inbox;
    private final Auditor audit;
    private final ApprovalService approvals;
    private Thread statusWriter;
    private Thread authSummaries;
    private static final Duration AUTH_SUMMARY_INTERVAL = Duration.ofMinutes(1);
    private final HttpApi api;
    private final Server server;
    private final ServerConnector connector;

    private Node(NodeHome home, HomeLock lock, boolean audited) throws IOException, GeneralSecurityException {
        this.home = home;
        this.lock = lock;
        this.config = home.loadConfig();
        // Everything that signs, seals or opens reads the keys through this holder: a rotation swaps them for all.
        this.keys = NodeKeys.open(home);
        PolicySet policies = home.policies(config);
        TokenVerifier tokens = verifiers(home, config); // a bad identity setting fails before storage opens
        clock = Clock.systemUTC();
        audit = audited ? new Auditor(Optional.of(new AuditLog(home.auditLog(), keys::signing, AuditLog.DEFAULT_SIGN_INTERVAL,
                clock, Auditor.COMMIT_DELAY)), clock) : Auditor.NONE;
        metadata = new SqliteMetadataStore(home.database());
        blobs = NodeStorage.open(home, config, policies, metadata);
        // At startup no write is in progress (one process owns a home), so nothing needs a grace
        // period: every unreferenced blob and partial write is debris of a crash and goes now.
        blobs.sweep(metadata, clock);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        storage = declaredStorage(blobs);
        // Federation first: the identities it pinned verify the peers' epoch statements read below.
        List<EpochKeyStatement> statements = EpochLog.read(home.epochLog());
        EpochKeyring[] epochsHolder = new EpochKeyring[1];
        federation = config.federationSettings().isPresent()
                ? federation(policies, () -> epochsHolder[0].statements(), meters) : null;
        // This node's own records verify with every key it ever had, old ones included.
        OriginKeys origins = (nation, node) -> nation.equals(config.nation()) && node.equals(config.node()) ? keys.signing().publicKeys()
                : federation == null ? List.of() : federation.signingKeys(nation, node);
        epochLog = new EpochLog(home.epochLog());
        RecordOpener opener = new RecordOpener(policies, config.nation(), keys::kem, origins);
        List<EpochKeyStatement> own = new ArrayList<>();
        List<EpochKeyStatement> received = new ArrayList<>();
        for (EpochKeyStatement s : statements) {
            boolean mine = s.originNation().equals(config.nation()) && s.originNode().equals(config.node());
            if (mine) own.add(s);
            if (!s.recipientNation().equals(config.nation())) continue;
            try {
                opener.accept(s);
                if (!mine) received.add(s);
            } catch (io.bulwark.record.InvalidRecordException e) {
                LOG.warn("epoch key statement {} not accepted (its origin is no longer a pinned peer?): {}", s, e.getMessage());
            }
        }
        // Epoch keys for this node's records: every statement is on disk before its key is used.
        // Peers' epochs go to their pinned KEM keys; this nation's own to this node's current primary,
        // so after a rotation the next epoch uses the new key (the keyring notices the change).
        EpochKeyring epochs = new EpochKeyring(keys::signing, config.nation(), config.node(),
                nation -> nation.equals(config.nation()) ? Optional.of(keys.kem().primary())
                        : federation == null ? Optional.empty() : federation.kemKey(nation),
                Duration.ofHours(1), clock, statement -> {
                    epochLog.append(statement); // durable before the epoch key wraps anything
                    if (statement.recipientNation().equals(config.nation())) opener.accept(statement);
                });
        epochs.announced(own);
        epochsHolder[0] = epochs;
        RecordSealer sealer = new RecordSealer(policies, keys::signing, epochs, config.nation(), config.node(), clock);
        records = new RecordService(policies, config.nation(), sealer, opener, keys::signing, metadata, blobs,
                defaultResidency(config, policies), clock, meters, federation == null ? RecordService.Changes.NONE : new RecordService.Changes() {
                    @Override public void committed() { federation.signal().signal(); }
                    @Override public void dropping(String id, String kind, long seq, java.util.function.Predicate<String> mayStillHold) {
                        federation.expectConfirmations(id, kind, seq, mayStillHold);
                    }
                }, audit);
        inbox = new ReplicaInbox(config.nation(), policies, opener, origins, records, metadata, blobs, epochLog, () -> storage, received,
                clock, audit, meters);

        List<SensitiveOperation> operations = new ArrayList<>();
        if (federation != null) { // a node without a federation API has no peers to change
            operations.add(new Operations.PeerAdd(home.peers(), config.nation(), home.tlsFingerprint(), clock));
            operations.add(new Operations.PeerRemove(home.peers()));
        }
        operations.add(new Operations.ResidencyDefault(home, records, policies, blobs));
        operations.add(new Operations.ProviderEvacuate(home, blobs, this::storageChanged));
        operations.add(new Operations.SiteAdd(home, blobs, this::storageChanged));
        operations.add(new Operations.SiteRemove(home, blobs, records, this::storageChanged));
        operations.add(new Operations.KeysRotate(Optional.of(this::rotateKeys))); // runs once officers approve
        approvals = new ApprovalService(home.approvals(), List.copyOf(operations),
                config.approvals().required(config.mode()), config.approvals().expiryDuration(), keys::signing, audit, clock);

        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("bulwark-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(config.limits().maxHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        // Jetty matches each header line against a trie of lines seen before, character by character:
        // with bearer tokens of ~1 KB that cost more than parsing the line (JFR: 7% of a publishing
        // node's Java samples); so no header cache.
        http.setHeaderCacheSize(0);
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
        this.api = new HttpApi(records, tokens,
                new CurrentUsers(home.dir(), policies, "bulwark:" + config.nation() + ":" + config.node()), meters, config,
                Optional.ofNullable(federation), audit, approvals, blobs, CursorSeal.open(home.cursorKey(), "client-changes"),
                CursorSeal.open(home.cursorKey(), "client-listing"));
        server.setHandler(new GracefulHandler(api));
        server.setErrorHandler(new ProblemErrors(config.limits().maxHeaderBytes()));
        server.setStopTimeout(15_000);
        server.setStopAtShutdown(false);
    }

    /** The federation of a node whose metadata and blob stores are open. */
    private Federation federation(PolicySet policies, java.util.function.Supplier<List<EpochKeyStatement>> statements,
                                  PrometheusMeterRegistry meters) throws IOException, GeneralSecurityException {
        NodeConfig.Federation f = config.federationSettings().orElseThrow();
        return new Federation(new Federation.Settings(config.nation(), config.node(), f.host(), f.port(),
                f.hybridOnly() ? FederationTls.KeyExchange.HYBRID_ONLY : FederationTls.KeyExchange.HYBRID_PREFERRED,
                home.peers(), home.federationState(), home.cursorKey(), home.tlsKeystore()),
                home.passphrase(), ownIdentity(keys.keystore(), keys.rotations()), policies, metadata, blobs, statements, meters, clock, audit, audit.log());
    }

    /**
     * This node's identity as peers pin it, signed with its current key: every signing key it ever had
     * (its old records verify), its current KEM key, and the rotations that chain the keys together
     * (a peer accepts a new key only along them).
     */
    private byte[] ownIdentity(Keystore keystore, List<KeyRotation> rotations) throws IOException, GeneralSecurityException {
        return new NodeIdentity(config.nation(), config.node(), home.tlsFingerprint(), keystore.signing().publicKeys(),
                keystore.kem().primary(), storage, rotations).sign(keystore.signing());
    }

    /** Peers route by these: only sites that take new replicas, so a closed provider attracts none. */
    private static List<NodeIdentity.StorageSite> declaredStorage(NodeStorage blobs) {
        return blobs.replicas().candidates().stream().filter(c -> c.acceptsWrites())
                .map(c -> new NodeIdentity.StorageSite(c.site().id(), c.site().provider(), c.site().jurisdiction(), c.site().operator()))
                .toList();
    }

    /**
     * The node's sites changed while it serves (a site added or removed, a provider closed): what a
     * restart would do, now — records from peers are checked against the new sites, and the node
     * serves a new signed identity declaring them, which each peer re-reads with its next feed
     * response (as after a key rotation) and routes by from then on.
     */
    synchronized void storageChanged() {
        storage = declaredStorage(blobs);
        if (federation == null) return;
        try {
            federation.replaceOwnIdentity(ownIdentity(keys.keystore(), keys.rotations()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not sign the node's identity with its new storage sites", e);
        }
        LOG.info("storage sites declared to peers: {}", storage.stream().map(NodeIdentity.StorageSite::id).toList());
    }

    /** The storage sites this node declares to its peers now. */
    List<NodeIdentity.StorageSite> declaredStorage() {
        return storage;
    }

    /** Rotates this node's keys while it serves; the approval flow calls it once a rotation is approved. */
    public KeyRotator keyRotator() {
        return this::rotateKeys;
    }

    /**
     * Rotates this node's signing and KEM keys without a restart ({@link NodeKeys#rotate}): from the
     * next use on, records, epoch statements, tombstones and audit tree heads are signed with the new
     * key, and this nation's next epoch is encapsulated to the new KEM key; everything made before
     * still verifies and opens. Peers learn the new keys from the new identity with their next feed
     * response. One rotation at a time, so identities are served in the order the keys changed.
     */
    public synchronized RotationResult rotateKeys(String requestedBy) throws IOException, GeneralSecurityException {
        keys.checkAuditable(requestedBy, clock.instant());
        // The new identity is served just before the new keys are used: a peer that re-pins meanwhile
        // accepts both keys, and one that has not yet sees nothing signed by the new key.
        RotationResult result = keys.rotate(clock.instant(), (next, rotations) -> {
            if (federation != null) federation.replaceOwnIdentity(ownIdentity(next, rotations));
        });
        audit.accept(keys.rotated(requestedBy, result, clock.instant()));
        LOG.info("keys rotated at the request of {}: signing key {} (was {}), KEM key {}", requestedBy, result.newSigningKey(),
                result.previousSigningKey(), result.newKemKey());
        return result;
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
        return start(home, true);
    }

    /**
     * As {@link #start}, but with no audit log: <b>for the benchmark that measures what auditing costs
     * only</b> (docs/BENCHMARKS.md) — a node in service is always audited, so there is no setting for it.
     */
    public static Node startUnaudited(NodeHome home) throws Exception {
        return start(home, false);
    }

    private static Node start(NodeHome home, boolean audited) throws Exception {
        HomeLock lock = HomeLock.acquire(home); // one process owns a home; an offline key rotation refuses while it runs
        Node node;
        try {
            node = new Node(home, lock, audited);
        } catch (Exception | Error e) {
            lock.close();
            throw e;
        }
        try {
            node.server.start();
            if (node.federation != null) {
                node.federation.start(node.inbox, node.records::grantAccess);
                node.statusWriter = Thread.ofVirtual().name("bulwark-peers-status").start(node::writePeersStatus);
            }
            node.repairer = Thread.ofVirtual().name("bulwark-repair").start(node::repairPeriodically);
            node.authSummaries = Thread.ofVirtual().name("bulwark-auth-summaries").start(node::auditAuthSummariesPeriodically);
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

    /** The federation API's URL, if this node shares with peers. */
    public Optional<String> federationUrl() {
        return Optional.ofNullable(federation).map(Federation::url);
    }

    /** The metadata store, for tests that look at what a node holds beneath its API. */
    MetadataStore metadata() {
        return metadata;
    }

    /** Where records from peers go, and the pinned identity of a peer: for tests that play a peer. */
    io.bulwark.federation.Inbox inbox() {
        return inbox;
    }

    Optional<io.bulwark.federation.NodeIdentity> peerIdentity(String nation) {
        return federation == null ? Optional.empty() : federation.identity(nation);
    }

    /** Withdrawals and retractions peers owe or gave for a record (empty without federation). */
    public List<io.bulwark.federation.FederationState.Confirmation> confirmations(String recordId) {
        return federation == null ? List.of() : federation.confirmations(Optional.of(recordId));
    }

    /** Each peer's state (empty without federation). */
    public List<io.bulwark.federation.PeerStatus> peers() {
        return federation == null ? List.of() : federation.status();
    }

    /** Where the peers' state is written before it is renamed into place. */
    private java.nio.file.Path peersStatusTemp() {
        return home.peersStatus().resolveSibling("peers-status.json.tmp");
    }

    /** Writes the peers' state for {@code bulwark peer list} every two seconds while the node runs. */
    private void writePeersStatus() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                byte[] json = HttpApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(java.util.Map.of(
                        "asOf", java.time.Instant.now().toString(),
                        "federationUrl", federation.url(),
                        "peers", federation.status().stream().map(HttpApi::peer).toList()));
                java.nio.file.Path tmp = peersStatusTemp();
                java.nio.file.Files.write(tmp, json);
                java.nio.file.Files.move(tmp, home.peersStatus(), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.debug("writing the peers' status: {}", e.toString());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** How often replica counts are checked and restored; also once at start. */
    private static final Duration REPAIR_INTERVAL = Duration.ofMinutes(5);

    /** A flood of refused tokens is audited as one summary per address a minute (AuthFailures). */
    private void auditAuthSummariesPeriodically() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(AUTH_SUMMARY_INTERVAL);
            } catch (InterruptedException e) {
                return; // close() audits what is left
            }
            api.auditSuppressedAuthFailures();
        }
    }

    /** Restores minimum replica counts after a site loss, as soon as compliant capacity exists. */
    private void repairPeriodically() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (blobs.replicas().sites().size() > 1) blobs.repair(); // one site: nothing could be added anywhere
            } catch (RuntimeException e) {
                LOG.warn("repair: {}", e.getMessage());
            }
            try {
                Thread.sleep(REPAIR_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The node's storage, for tests that look beneath the API (status, repair now). */
    NodeStorage storage() {
        return blobs;
    }

    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        records.stopWaits(); // standing requests for changes answer now rather than hold the stop up
        try {
            server.stop(); // graceful: requests in flight finish first
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server: {}", e.toString());
        }
        if (statusWriter != null) {
            statusWriter.interrupt();
            try {
                statusWriter.join(5_000);
                if (statusWriter.isAlive()) LOG.warn("the peers' status writer did not stop within 5 s; its file may reappear");
                // A stopped node has no peer status: a file left behind would show its last states as current.
                java.nio.file.Files.deleteIfExists(home.peersStatus());
                java.nio.file.Files.deleteIfExists(peersStatusTemp());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                LOG.warn("removing the peers' status file: {}", e.toString());
            }
        }
        if (repairer != null) repairer.interrupt();
        if (authSummaries != null) authSummaries.interrupt();
        if (api != null) api.auditSuppressedAuthFailures(); // the server has stopped: no refusal comes after this
        if (federation != null) federation.close(); // links stop before the stores they write to
        records.close();
        try {
            epochLog.close();
        } catch (IOException e) {
            LOG.warn("closing the epoch log: {}", e.toString());
        }
        blobs.close();
        metadata.close();
        audit.log().ifPresent(AuditLog::close); // everything above may still audit; signs a final tree head
        lock.close(); // last: the home is free for offline commands once nothing here writes to it
    }
}
