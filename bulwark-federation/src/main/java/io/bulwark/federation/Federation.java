package io.bulwark.federation;

import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditLog;
import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.store.BlobStore;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.MetadataStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A node's federation: its peers (the peer list, re-read as it changes), the federation API on its
 * own port over pinned mutual TLS with the hybrid post-quantum group, the feed each peer may see,
 * and one link per peer that pulls what the peer has for this nation.
 *
 * <p>Wire it, {@link #start} it with the node's {@link Inbox}, call {@link ChangeSignal#signal()} on
 * {@link #signal()} after every change-log commit, and {@link #close} it before the stores close.
 */
public final class Federation implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Federation.class);

    /**
     * @param nation        this node's nation
     * @param node          this node's name
     * @param host          where the federation API listens
     * @param port          its port (0 picks a free one)
     * @param keyExchange   which TLS groups are offered and accepted
     * @param peersFile     {@code peers.json}
     * @param stateFile     {@code data/federation.db}
     * @param cursorKeyFile the key that seals peers' cursors
     * @param tlsKeystore   the node's TLS certificate and key (PKCS#12, alias {@code node})
     */
    public record Settings(String nation, String node, String host, int port, FederationTls.KeyExchange keyExchange,
                           Path peersFile, Path stateFile, Path cursorKeyFile, Path tlsKeystore) {}

    private final Settings settings;
    /** This node's signed identity and its digest, replaced together when the node rotates its keys. */
    private record Own(byte[] wire, String digest) {}

    private volatile Own own;
    private final PeerList.Watched peers;
    private final FederationState state;
    private final Feed feed;
    private final ChangeSignal signal = new ChangeSignal();
    private final FederationTls tls;
    private final Server server;
    private final ServerConnector connector;
    private final HttpClient http;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Optional<AuditLog> auditLog;
    private final java.util.function.Consumer<AuditEvent> audit;
    private final Map<String, NodeIdentity> identities = new ConcurrentHashMap<>();
    private final Map<String, String> identityDigests = new ConcurrentHashMap<>();
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    private final Map<String, String> linkStates = new ConcurrentHashMap<>();
    private final Map<String, PeerStatus> lastStatus = new ConcurrentHashMap<>();
    private final java.util.Set<String> gauged = ConcurrentHashMap.newKeySet();
    private volatile Inbox inbox;
    private volatile boolean running;
    private Thread supervisor;
    private Thread reissuer;

    /**
     * @param ownIdentity this node's signed identity ({@link NodeIdentity#sign})
     * @param statements  every epoch key statement this node has announced, oldest first
     * @param audit       where the feed reports each record it hands a peer ({@code record.shared})
     * @param auditLog    the log whose heads and proofs peers may ask for (empty: the federation API
     *                    answers 404 to audit questions)
     */
    public Federation(Settings settings, char[] passphrase, byte[] ownIdentity, PolicySet policies, MetadataStore metadata,
                      BlobStore blobs, Supplier<List<EpochKeyStatement>> statements, MeterRegistry meters, Clock clock,
                      java.util.function.Consumer<AuditEvent> audit, Optional<AuditLog> auditLog)
            throws IOException, GeneralSecurityException {
        this.settings = settings;
        this.auditLog = auditLog;
        this.audit = audit;
        this.own = new Own(ownIdentity.clone(), digest(ownIdentity));
        this.meters = meters;
        this.clock = clock;
        this.peers = new PeerList.Watched(settings.peersFile());
        this.state = new FederationState(settings.stateFile());
        for (Peer p : peers.current().peers()) { // identities pinned before, for the peers still listed
            state.pinnedIdentity(p.fingerprint()).ifPresent(pinned -> {
                try {
                    identities.put(p.fingerprint(), NodeIdentity.verify(pinned.wire(), p).withFormerKemKeys(pinned.kemKeys()));
                    identityDigests.put(p.fingerprint(), digest(pinned.wire()));
                } catch (InvalidPeerException e) {
                    LOG.warn("peer {}: the pinned identity no longer matches the peer list ({}); it will be asked again", p.nation(), e.getMessage());
                }
            });
        }
        this.feed = new Feed(settings.nation(), settings.node(), policies, metadata, blobs, statements, state,
                FeedCursors.open(settings.cursorKeyFile()), signal, clock, audit);
        this.tls = FederationTls.load(settings.tlsKeystore(), passphrase,
                PeerPins.of(() -> peers.current().peers().stream().map(Peer::fingerprint).collect(Collectors.toSet())),
                settings.keyExchange());
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("bulwark-federation");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        connector = tls.connector(server, settings.host(), settings.port());
        connector.setIdleTimeout(Duration.ofMinutes(2).toMillis());
        server.addConnector(connector);
        server.setHandler(new FeedServer(this));
        // Jetty's own error pages (a request it refuses before the handler) carry no exception text.
        org.eclipse.jetty.server.handler.ErrorHandler errors = new org.eclipse.jetty.server.handler.ErrorHandler();
        errors.setShowStacks(false);
        errors.setShowMessageInTitle(false);
        server.setErrorHandler(errors);
        server.setStopTimeout(5_000);
        http = HttpClient.newBuilder().sslContext(tls.clientContext()).sslParameters(tls.clientParameters())
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /** Serves the federation API and starts a link to every listed peer (and to each one added later). */
    public void start(Inbox inbox, Inbox.AccessGranter granter) throws Exception {
        this.inbox = Objects.requireNonNull(inbox);
        feed.granter(granter);
        server.start();
        running = true;
        // In the background: a node that passed over many records must not start late for it.
        reissuer = Thread.ofVirtual().name("bulwark-federation-reissue").start(() -> {
            try {
                feed.reissuePassedOver();
            } catch (RuntimeException e) {
                if (running) LOG.warn("records passed over are not all offered again yet (the next start goes on): {}", e.toString());
            }
        });
        supervisor = Thread.ofVirtual().name("bulwark-federation-peers").start(this::superviseLinks);
        LOG.info("federation API at {} ({})", url(), settings.keyExchange());
    }

    /** Starts and stops links as the peer list changes (it is re-read when its file changes). */
    private void superviseLinks() {
        while (running) {
            PeerList list = peers.current();
            for (Peer p : list.peers()) {
                links.compute(p.fingerprint(), (fp, existing) -> {
                    // A link ends when its peer leaves or changes (removed below); one that died while its
                    // peer stays (an Error, e.g. out of memory) starts again.
                    if (!running || existing != null && (existing.alive() || !stillPeer(existing.peer()))) return existing;
                    if (existing != null) LOG.warn("peer {}: the link stopped unexpectedly; starting it again", p.nation());
                    PeerLink link = new PeerLink(this, p, http, clock);
                    linkStates.put(fp, "connecting");
                    link.start();
                    if (existing == null) auditPeer("peer.linked", p);
                    return link;
                });
            }
            for (PeerLink link : List.copyOf(links.values())) {
                if (!stillPeer(link.peer())) {
                    link.stop();
                    String fp = link.peer().fingerprint();
                    links.remove(fp);
                    linkStates.remove(fp);
                    auditPeer("peer.unlinked", link.peer());
                    LOG.info("peer {} removed: exchange stopped", link.peer().nation());
                }
            }
            forgetRemoved();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The identity pinned for the peer before (kept in data/federation.db), if it still verifies as that peer's. */
    private Optional<NodeIdentity> storedPin(Peer peer) {
        return state.pinnedIdentity(peer.fingerprint()).flatMap(pinned -> {
            try {
                return Optional.of(NodeIdentity.verify(pinned.wire(), peer).withFormerKemKeys(pinned.kemKeys()));
            } catch (InvalidPeerException e) {
                return Optional.empty(); // pinned as another nation, or damaged: no earlier pin for this peer
            }
        });
    }

    /**
     * Forgets the keys of the peers removed from the list (not changed: a new URL keeps its pin), so
     * that adding one again (say, after it lost its keystore) pins it afresh. Only a list that reads
     * counts: one that does not (a hand edit half-saved) stops all exchange but forgets nothing, and
     * once fixed the node trusts the keys it pinned, not whatever each peer then serves.
     */
    private void forgetRemoved() {
        Optional<PeerList> read = peers.currentIfReadable();
        if (read.isEmpty()) return;
        PeerList list = read.get();
        Map<String, String> pinned = new HashMap<>();
        identities.forEach((fp, id) -> pinned.put(fp, id.nation()));
        // The stored pins too, when the list changed: those of peers removed while the node was down, or
        // while the list did not read at its start, were never loaded, and pin() would follow them.
        if (list != lastListForgotten) {
            state.pinnedNations().forEach(pinned::putIfAbsent);
            lastListForgotten = list;
        }
        pinned.forEach((fp, nation) -> {
            // Listed again under another nation is not the same peer: what it was pinned as goes.
            if (list.byFingerprint(fp).filter(p -> p.nation().equals(nation)).isPresent()) return;
            identities.remove(fp);
            identityDigests.remove(fp);
            state.forgetIdentity(fp);
        });
    }

    /** The peer list forgetRemoved last compared the stored pins with (read by the supervisor only). */
    private PeerList lastListForgotten;

    /**
     * An {@code admin} event for a change of the peer list as this node acts on it: a link started
     * (at start, or for a peer added to peers.json) or stopped (the peer was removed). Who edited the
     * file is not known here; the node is the actor.
     */
    private void auditPeer(String action, Peer p) {
        audit.accept(new AuditEvent(AuditEvent.Type.ADMIN, clock.instant(), "node:" + settings.nation() + "/" + settings.node(),
                Optional.of("peer:" + p.nation()), AuditEvent.Outcome.SUCCESS,
                Map.of("action", action, "url", p.url().toString(), "fingerprint", p.fingerprint())));
    }

    /** The federation API's URL, e.g. {@code https://127.0.0.1:40124}. */
    public String url() {
        String host = connector.getHost().contains(":") ? "[" + connector.getHost() + "]" : connector.getHost();
        return "https://" + host + ":" + connector.getLocalPort();
    }

    /** Signal it after every change-log commit: peers' standing requests answer at once. */
    public ChangeSignal signal() {
        return signal;
    }

    public PeerList peers() {
        return peers.current();
    }

    FederationState state() {
        return state;
    }

    Feed feed() {
        return feed;
    }

    /** This node's nation. */
    String nation() {
        return settings.nation();
    }

    Inbox inbox() {
        return inbox;
    }

    Optional<AuditLog> auditLog() {
        return auditLog;
    }

    byte[] ownIdentity() {
        return own.wire().clone();
    }

    /**
     * Serves {@code signed} ({@link NodeIdentity#sign}) as this node's identity from now on — after a
     * key rotation, with the new keys and the chain of rotation statements. Every feed response
     * carries its digest, so each peer re-reads it with its next response; standing requests are
     * woken so that this happens at once.
     */
    public void replaceOwnIdentity(byte[] signed) {
        own = new Own(signed.clone(), digest(signed));
        feed.wake();
    }

    boolean stillPeer(Peer peer) {
        return peers.current().byFingerprint(peer.fingerprint())
                .filter(p -> p.nation().equals(peer.nation()) && p.url().equals(peer.url())).isPresent();
    }

    /** A peer's pinned identity, if it has been introduced and is still listed (under the nation it was pinned as). */
    public Optional<NodeIdentity> identity(Peer peer) {
        return stillPeer(peer) ? Optional.ofNullable(identities.get(peer.fingerprint())).filter(id -> id.nation().equals(peer.nation()))
                : Optional.empty();
    }

    /** The pinned identity of the listed peer of a nation. */
    public Optional<NodeIdentity> identity(String nation) {
        return peers.current().byNation(nation).flatMap(this::identity);
    }

    /**
     * The signing keys to verify an origin's records with: those its pinned identity lists, while
     * the peer is listed; none otherwise.
     */
    public List<HybridPublicSigningKey> signingKeys(String nation, String node) {
        return identity(nation).filter(i -> i.node().equals(node)).map(NodeIdentity::signingKeys).orElse(List.of());
    }

    /** The KEM key to which epoch keys for a nation are encapsulated: its listed, introduced peer's. */
    public Optional<HybridPublicKemKey> kemKey(String nation) {
        return identity(nation).map(NodeIdentity::kemKey);
    }

    /**
     * Pins a peer's identity the first time; later, accepts a new identity (new KEM key, other
     * storage, rotated keys) only if every signing key it lists is the pinned one or reached from it
     * along the rotation statements it carries (each signed by the key before). Keys once pinned stay
     * pinned, so records signed before a rotation still verify.
     */
    NodeIdentity pin(Peer peer, byte[] wire) {
        // A link being stopped (its peer removed) must not pin: that would take back what a newer
        // certificate of the nation now holds, or undo the forgetting of a removed peer's keys.
        if (!stillPeer(peer)) throw new InvalidPeerException("identity: " + peer.nation() + " is no longer a peer as listed; not pinned");
        NodeIdentity id = NodeIdentity.verify(wire, peer);
        NodeIdentity earlier = identities.get(peer.fingerprint());
        if (earlier == null) earlier = storedPin(peer).orElse(null); // not loaded at start: the peer list did not read then
        if (earlier != null) {
            if (!earlier.node().equals(id.node())) {
                throw new InvalidPeerException("identity: the peer now calls itself " + id.node() + ", pinned as " + earlier.node() + "; refused");
            }
            var accepted = KeyRotation.accepted(earlier.signingKeys(), id.rotations(), id.nation(), id.node());
            for (HybridPublicSigningKey k : id.signingKeys()) {
                if (!accepted.contains(k)) {
                    throw new InvalidPeerException("identity: signing key " + k.fingerprint() + " is neither pinned nor reached from a "
                            + "pinned key by a rotation statement; refused");
                }
            }
            // A new KEM key comes only with a rotation statement (signed by the key before): otherwise the
            // statements made for the pinned one would seem not to open at the peer, and its records be sealed anew.
            HybridPublicKemKey kem = id.kemKey();
            if (!earlier.kemKeys().contains(kem.keyId())
                    && id.rotations().stream().noneMatch(r -> accepted.contains(r.next()) && r.nextKem().equals(kem))) {
                throw new InvalidPeerException("identity: KEM key " + kem.fingerprint() + " is neither pinned nor reached from a pinned "
                        + "key by a rotation statement; refused");
            }
            List<HybridPublicSigningKey> keys = new ArrayList<>(earlier.signingKeys());
            for (HybridPublicSigningKey k : accepted) if (!keys.contains(k)) keys.add(k);
            id = new NodeIdentity(id.nation(), id.node(), id.tlsFingerprint(), keys, id.kemKey(), id.storage(), id.rotations(),
                    earlier.kemKeys());
        }
        int adopted = state.pinIdentity(peer.fingerprint(), id.nation(), id.node(), wire, id.kemKeys(), clock.instant());
        if (adopted > 0) {
            LOG.info("peer {}: {} records sent to its earlier certificate count as held by this one (retractions and withdrawals reach them)",
                    peer.nation(), adopted);
        }
        identities.put(peer.fingerprint(), id);
        identityDigests.put(peer.fingerprint(), digest(wire));
        LOG.info("peer {} introduced: node {}, signing key {}, KEM key {}", peer.nation(), id.node(),
                id.signingKeys().getLast().fingerprint(), id.kemKey().fingerprint());
        return id;
    }

    /** Whether the identity a peer now serves (its digest, from a feed response) differs from the pinned one. */
    boolean identityChanged(Peer peer, String digest) {
        return digest != null && !digest.equals(identityDigests.get(peer.fingerprint()));
    }

    static String digest(byte[] wire) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(wire));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String ownIdentityDigest() {
        return own.digest();
    }

    // ---- what happened, for status and metrics ---------------------------------------------------

    void failed(PeerLink link, String reason) {
        Peer peer = link.peer();
        linkState(link, identities.containsKey(peer.fingerprint()) ? "failing" : "connecting");
        state.failed(peer.fingerprint(), reason, clock.instant());
        meters.counter("bulwark_federation_failures", Tags.of("peer", peer.nation())).increment();
    }

    /** The peer answered the link's first feed request (a loaded identity alone proves no contact). */
    void linked(PeerLink link) {
        linkState(link, "connected");
    }

    /** Only the peer's current link sets its state: one being stopped (peer removed or changed) must not write after it was cleared. */
    private void linkState(PeerLink link, String value) {
        links.computeIfPresent(link.peer().fingerprint(), (fp, current) -> {
            if (current == link) linkStates.put(fp, value);
            return current;
        });
    }

    void delivered(PeerLink link, String cursor, int received, int rejected, Optional<String> lastRejection) {
        Peer peer = link.peer();
        linkState(link, "connected");
        state.delivered(peer.fingerprint(), cursor, received, rejected, lastRejection, clock.instant());
        if (received > 0) {
            meters.counter("bulwark_federation_received", Tags.of("peer", peer.nation())).increment(received);
            // Records per delivery (received / deliveries) shows how well the feed batches under load.
            meters.counter("bulwark_federation_deliveries", Tags.of("peer", peer.nation())).increment();
        }
    }

    /** A response with changes waited this long, once received, for the one before it to be applied (one at a time, in order). */
    void waitedToApply(Peer peer, long nanos) {
        Timer.builder("bulwark_federation_apply_wait").tag("peer", peer.nation())
                .description("time a feed response with changes waits, once received, for the response before it to be applied")
                .register(meters).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Forgets the cursor stored for the peer's feed: the next request asks from the beginning. */
    void restartFeed(Peer peer) {
        state.delivered(peer.fingerprint(), "", 0, 0, Optional.empty(), clock.instant());
    }

    void rejected(Peer peer, String reason) {
        LOG.warn("rejected from peer {}: {}", peer.nation(), reason);
        meters.counter("bulwark_federation_rejected", Tags.of("peer", peer.nation())).increment();
    }

    void sent(Peer peer, int records) {
        if (records > 0) meters.counter("bulwark_federation_sent", Tags.of("peer", peer.nation())).increment(records);
    }

    /** A federation request refused for who sent it (logged and counted): {@code why} names what of the certificate failed. */
    void refused(String fingerprint, String why) {
        LOG.warn("federation request refused: certificate {} {}", fingerprint, why);
        meters.counter("bulwark_federation_refused").increment();
    }

    /**
     * After a relabel or retraction committed at {@code seq}: the peers that were sent the record and
     * must now drop it owe a confirmation (given when they acknowledge past {@code seq}).
     *
     * @param mayStillHold whether the peer of a nation may still hold the record (false for a retraction)
     */
    public void expectConfirmations(String recordId, String kind, long seq, java.util.function.Predicate<String> mayStillHold) {
        Instant now = clock.instant();
        for (String fp : state.holders(recordId)) {
            // A holder that is not listed now (removed, or its certificate renewed and not yet introduced)
            // still holds the record: it owes the confirmation, which passes to its nation's next certificate.
            peers.current().byFingerprint(fp).map(Peer::nation).or(() -> state.nationOf(fp)).filter(nation -> !mayStillHold.test(nation))
                    .ifPresent(nation -> state.expectConfirmation(recordId, fp, nation, kind, seq, now));
        }
    }

    /** Withdrawals and retractions peers owe or gave, newest first. */
    public List<FederationState.Confirmation> confirmations(Optional<String> recordId) {
        return state.confirmations(recordId, 1000);
    }

    /** Every listed peer's state, computed now (and kept for the Prometheus gauges). */
    public List<PeerStatus> status() {
        List<PeerStatus> now = computeStatus();
        for (PeerStatus s : now) {
            lastStatus.put(s.nation(), s);
            if (gauged.add(s.nation())) gauges(s.nation());
        }
        lastStatus.keySet().retainAll(now.stream().map(PeerStatus::nation).toList());
        return now;
    }

    /** Gauges read the status last computed (the node computes it every 2 s), so a scrape costs nothing. */
    private void gauges(String nation) {
        Tags tags = Tags.of("peer", nation);
        java.util.function.ToDoubleFunction<Map<String, PeerStatus>> connected = m -> m.containsKey(nation) && m.get(nation).state().equals("connected") ? 1 : 0;
        meters.gauge("bulwark_federation_peer_connected", tags, lastStatus, connected);
        meters.gauge("bulwark_federation_peer_acked_seq", tags, lastStatus, m -> m.containsKey(nation) ? m.get(nation).ackedSeq() : Double.NaN);
        meters.gauge("bulwark_federation_peer_lag_records", tags, lastStatus, m -> m.containsKey(nation) ? orNaN(m.get(nation).lagRecords()) : Double.NaN);
        meters.gauge("bulwark_federation_peer_lag_seconds", tags, lastStatus, m -> m.containsKey(nation) ? orNaN(m.get(nation).lagSeconds()) : Double.NaN);
        meters.gauge("bulwark_federation_peer_last_delivery_seconds", tags, lastStatus, m -> m.containsKey(nation)
                ? m.get(nation).lastDelivery().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN) : Double.NaN);
    }

    private static double orNaN(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : Double.NaN;
    }

    private List<PeerStatus> computeStatus() {
        List<PeerStatus> out = new ArrayList<>();
        Instant now = clock.instant();
        for (Peer p : peers.current().peers()) {
            Optional<NodeIdentity> id = identity(p);
            FederationState.Outbound o = state.outbound(p.fingerprint());
            Optional<FederationState.Inbound> in = state.inbound(p.fingerprint());
            // Never introduced (or its keys forgotten at a removal): what it may hold, hence its lag, is unknown — not 0.
            OptionalLong lagRecords = OptionalLong.empty();
            OptionalLong lagSeconds = OptionalLong.empty();
            boolean capped = false;
            if (id.isPresent()) {
                Feed.Lag lag = feed.lag(p.fingerprint(), id.get());
                lagRecords = OptionalLong.of(lag.records());
                lagSeconds = OptionalLong.of(lag.oldest().map(t -> Math.max(0, Duration.between(t, now).toSeconds())).orElse(0L));
                capped = lag.capped();
            }
            out.add(new PeerStatus(p.nation(), p.url().toString(), p.fingerprint(), id.map(NodeIdentity::node),
                    linkStates.getOrDefault(p.fingerprint(), "connecting"), o.ackedSeq(), lagRecords, capped, lagSeconds, o.ackedAt(),
                    in.map(FederationState.Inbound::received).orElse(0L), in.map(FederationState.Inbound::rejected).orElse(0L),
                    in.flatMap(FederationState.Inbound::deliveredAt), in.flatMap(FederationState.Inbound::lastError),
                    in.flatMap(FederationState.Inbound::lastErrorAt)));
        }
        return out;
    }

    @Override
    public void close() {
        running = false;
        if (supervisor != null) {
            supervisor.interrupt();
            try {
                supervisor.join(Duration.ofSeconds(5)); // it must not start a link again after the links are stopped
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (PeerLink link : links.values()) link.stop();
        // One deadline for all links, not 5 s each: a node with many peers still stops promptly.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (PeerLink link : links.values()) {
            try {
                link.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        feed.close(); // standing feed requests answer now, and the reissue stops between records
        if (reissuer != null) {
            try {
                reissuer.join(Duration.ofSeconds(5)); // before the state it writes closes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the federation API: {}", e.toString());
        }
        http.close();
        state.close();
    }
}
