package io.bulwark.federation;

import io.bulwark.audit.AuditEvent;
import io.bulwark.crypto.KeyId;
import io.bulwark.label.CompiledLabel;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.SealedRecord;
import io.bulwark.record.Tombstone;
import io.bulwark.store.BlobStore;
import io.bulwark.store.ChangeEntry;
import io.bulwark.store.ChangeKind;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.OriginChanges;
import io.bulwark.store.RecordChange;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordState;
import io.bulwark.store.ResidencyPolicy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * This node's change log as each peer may see it. A peer is sent a record only if the record is
 * this node's own, active, its label releases it to the peer's nation, and the peer's declared
 * storage satisfies its residency; it is sent the retraction of, or the withdrawal of, exactly the
 * records it was sent. Nothing else of the log reaches it — no id, no count (its cursor is sealed).
 */
public final class Feed {

    /** The most change-log entries read per round; the most bytes of records per response (one record may exceed it). */
    static final int SCAN = 1000;
    static final long MAX_RESPONSE_BYTES = 8L * 1024 * 1024;
    /** How far the lag count reads past a peer's acknowledgement (status is computed every 2 s). */
    static final int LAG_SCAN = 10_000;

    private final String nation;
    private final String node;
    private final PolicySet policies;
    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final Supplier<List<EpochKeyStatement>> statements;
    private final FederationState state;
    private final FeedCursors cursors;
    private final ChangeSignal signal;
    private final Clock clock;
    private final Consumer<AuditEvent> audit;
    private final Map<String, CompiledLabel> labels = new ConcurrentHashMap<>();
    private final Map<String, ResidencyPolicy> residencies = new ConcurrentHashMap<>();
    /** Records whose label or residency the policies no longer read, warned of once. */
    private final Set<String> unreadable = ConcurrentHashMap.newKeySet();
    /** Records noted as passed over since start (a bounded memo: noting one again writes nothing new). */
    private final Set<String> passedOver = ConcurrentHashMap.newKeySet();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Feed.class);
    private volatile boolean closed;
    /** Bumped by {@link #wake}: standing requests that began before answer (empty) at once. */
    private final java.util.concurrent.atomic.AtomicLong wakes = new java.util.concurrent.atomic.AtomicLong();
    /** Per peer: how far a feed has read past the peer's acknowledged position and found nothing for it (lag starts there). */
    private final Map<String, Long> quietUpTo = new ConcurrentHashMap<>();
    private volatile Inbox.AccessGranter granter;

    Feed(String nation, String node, PolicySet policies, MetadataStore metadata, BlobStore blobs,
         Supplier<List<EpochKeyStatement>> statements, FederationState state, FeedCursors cursors, ChangeSignal signal, Clock clock,
         Consumer<AuditEvent> audit) {
        this.audit = audit;
        this.nation = nation;
        this.node = node;
        this.policies = policies;
        this.metadata = metadata;
        this.blobs = blobs;
        this.statements = statements;
        this.state = state;
        this.cursors = cursors;
        this.signal = signal;
        this.clock = clock;
    }

    /** What one response carries. */
    record Batch(List<FeedFrame> frames, int records) {}

    /**
     * The next response for a peer: everything for it after its cursor, or, if there is nothing yet,
     * whatever arrives within {@code wait}. The peer acknowledges {@code ack} — what it has applied
     * durably — which may lag {@code cursor} while it applies one response and already asks for the
     * next; the empty {@code ack} is nothing applied yet. Without {@code ack} ({@code null}: a peer
     * that does not ask ahead, or predates {@code ack}) the cursor itself is acknowledged.
     *
     * @param identity the peer's pinned identity <em>now</em>: asked again at every look at the
     *                 changes, because it may change while a standing request waits (its storage
     *                 sites, its keys), and a record passed over for a stale identity is never sent
     */
    Batch next(String fingerprint, Supplier<NodeIdentity> identity, String cursor, String ack, Duration wait,
               java.util.function.BooleanSupplier stillPeer) throws InterruptedException {
        long after = cursors.seq(fingerprint, cursor);
        // Never past the cursor: a peer acknowledges only what it was sent.
        long acknowledged;
        try {
            acknowledged = ack == null ? after : Math.min(after, cursors.seq(fingerprint, ack));
        } catch (InvalidPeerException e) {
            throw new InvalidAck();
        }
        if (acknowledged > 0) state.acknowledge(fingerprint, acknowledged, clock.instant());
        long woken = wakes.get();
        Instant deadline = clock.instant().plus(wait);
        while (true) {
            long seen = signal.version();
            if (!stillPeer.getAsBoolean()) throw new InvalidPeerException("you are no longer a peer of this node");
            long from = after;
            NodeIdentity peer = identity.get();
            Scan scan = scan(fingerprint, peer, after);
            after = scan.last;
            if (scan.frames.isEmpty() && from == acknowledged) {
                quietUpTo.merge(fingerprint, after, Math::max); // nothing for this peer in (acknowledged, after]
                acknowledged = after;
            }
            if (!scan.frames.isEmpty() || scan.more) {
                if (scan.frames.isEmpty()) continue; // a long stretch with nothing for this peer: read on
                state.sent(fingerprint, scan.given, scan.taken, after); // durable before the peer can act on it
                audit(peer, scan);
                List<FeedFrame> frames = new ArrayList<>(scan.statements.size() + scan.frames.size() + 1);
                scan.statements.forEach(s -> frames.add(new FeedFrame.Statement(s)));
                frames.addAll(scan.frames);
                frames.add(new FeedFrame.End(cursors.token(fingerprint, after)));
                return new Batch(frames, scan.records);
            }
            Duration left = Duration.between(clock.instant(), deadline);
            if (closed || wakes.get() != woken || left.isNegative() || left.isZero() || !signal.await(seen, left)) {
                return new Batch(List.of(new FeedFrame.End(cursors.token(fingerprint, after))), 0);
            }
        }
    }

    /**
     * One {@code record.shared} event per record handed to the peer or told to it to drop, with the
     * record as subject (so every event about a record is found by its id) and the peer as actor.
     */
    private void audit(NodeIdentity peer, Scan scan) {
        Instant now = clock.instant();
        String actor = "peer:" + peer.nation();
        for (String id : scan.given) {
            audit.accept(new AuditEvent(AuditEvent.Type.SHARED, now, actor, Optional.of(id), AuditEvent.Outcome.SUCCESS,
                    Map.of("peer", peer.nation(), "node", peer.node(), "kind", "record")));
        }
        for (String id : scan.taken) {
            audit.accept(new AuditEvent(AuditEvent.Type.SHARED, now, actor, Optional.of(id), AuditEvent.Outcome.SUCCESS,
                    Map.of("peer", peer.nation(), "node", peer.node(), "kind", "drop")));
        }
    }

    private static final class Scan {
        final List<FeedFrame> frames = new ArrayList<>();
        final Set<EpochKeyStatement> statements = new LinkedHashSet<>();
        /** Every statement this node made, read once per scan if a record needs one. */
        List<EpochKeyStatement> made;
        /** Per epoch key of the peer's nation: its statement, and whether the peer can open it (a response's records share few). */
        final Map<KeyId, Optional<EpochKeyStatement>> byEpoch = new java.util.HashMap<>();
        final Map<KeyId, Boolean> opens = new java.util.HashMap<>();
        final Set<String> given = new LinkedHashSet<>();
        final Set<String> taken = new LinkedHashSet<>();
        long last;
        boolean more;
        long bytes;
        int records;
    }

    /**
     * This node's own entries after {@code after}, as far as one read of the log ({@link #SCAN} entries
     * of any origin) and one response ({@link #MAX_RESPONSE_BYTES}) go. Other origins' entries (records
     * received from peers) are skipped by the store, and the cursor still moves past them.
     */
    private Scan scan(String fingerprint, NodeIdentity peer, long after) {
        Scan scan = new Scan();
        OriginChanges own = metadata.originChangesSince(after, nation, node, SCAN);
        long done = after; // the last own entry handled
        boolean stopped = false; // before a record that cannot be read now
        for (RecordChange change : own.changes()) {
            if (scan.bytes >= MAX_RESPONSE_BYTES) break;
            ChangeEntry e = change.entry();
            long before = done;
            done = e.seq();
            RecordMetadata m = change.record(); // as it is now: every entry of a record comes with the same row
            String id = m.id();
            // Asked only where it decides something: it reads the state database.
            java.util.function.BooleanSupplier held = () -> scan.given.contains(id) || (!scan.taken.contains(id) && state.holds(fingerprint, id));
            if (e.kind() == ChangeKind.RETRACTED) {
                if (m.retraction().isPresent() && held.getAsBoolean()) {
                    scan.frames.add(new FeedFrame.Retract(Tombstone.decode(m.retraction().get().tombstone())));
                    scan.given.remove(id);
                    scan.taken.add(id);
                }
            } else if (m.state() == RecordState.ACTIVE) {
                // A label or residency the policies no longer read decides nothing: neither sent nor
                // withdrawn (a policy file broken for a while must not make peers delete records).
                Optional<Judged> judged = judged(m);
                if (judged.isEmpty()) {
                    passOver(id); // durable before a cursor past it is issued: judged again after a restart
                    continue;
                }
                if (judged.get().releasesTo(peer)) {
                    if (scan.given.contains(id)) continue; // already in this response, as it is now
                    Optional<byte[]> granted;
                    try {
                        granted = sealedFor(scan, peer, m);
                    } catch (RuntimeException ex) {
                        // Not readable now (every replica damaged or out of reach, a re-seal failing): the
                        // feed stops before it, never past it, so the peer gets it once it reads again.
                        if (unreadable.size() < 4096 && unreadable.add(id + " now")) {
                            LOG.warn("record {} cannot be read to send it to {}; that peer's feed waits at it: {}", id, peer.nation(), ex.toString());
                        }
                        if (scan.frames.isEmpty()) throw new Unavailable(id);
                        done = before;
                        stopped = true;
                        break;
                    }
                    if (granted.isEmpty()) continue; // retracted, relabelled or changed meanwhile; its own entry follows
                    byte[] sealed = granted.get();
                    if (sealed.length > FeedFrame.MAX_FRAME) { // no receiver takes it: waiting for it would stop the feed for good
                        if (unreadable.size() < 4096 && unreadable.add(id + " size")) {
                            LOG.warn("record {} is {} bytes sealed, over the {} a feed frame carries: it is not sent to peers",
                                    id, sealed.length, FeedFrame.MAX_FRAME);
                        }
                        continue;
                    }
                    scan.frames.add(new FeedFrame.Record(sealed));
                    statementFor(scan, peer.nation(), sealed).ifPresent(scan.statements::add);
                    scan.given.add(id);
                    scan.taken.remove(id);
                    scan.bytes += sealed.length;
                    scan.records++;
                } else if (held.getAsBoolean()) {
                    scan.frames.add(new FeedFrame.Withdraw(id));
                    scan.given.remove(id);
                    scan.taken.add(id);
                }
            }
        }
        // A full response ends after the last entry it handled if any entry of the read follows, own or
        // not (the next response starts there); otherwise the whole read is done.
        boolean full = (stopped || scan.bytes >= MAX_RESPONSE_BYTES) && done < own.lastSeq();
        scan.last = full ? done : own.lastSeq();
        scan.more = full || own.read() == SCAN;
        return scan;
    }

    /**
     * The record's bytes as a peer gets them: read (again where a relabel or re-seal moved them since it
     * was looked up), with key access for the peer's nation; empty if it was retracted, relabelled or
     * changed meanwhile (its own entry follows).
     */
    private Optional<byte[]> sealedFor(Scan scan, NodeIdentity peer, RecordMetadata m) {
        Optional<byte[]> current = read(m);
        if (current.isEmpty()) {
            String key = m.blob().key();
            m = metadata.find(m.id()).filter(r -> r.state() == RecordState.ACTIVE).orElse(null);
            current = m == null ? Optional.empty() : read(m);
            if (current.isEmpty() && m != null && m.blob().key().equals(key)) { // not moved: gone from every site
                throw new IllegalStateException("its blob " + key + " is on none of its sites");
            }
            if (current.isEmpty() || !mayHold(peer, m)) return Optional.empty();
        }
        return withAccess(scan, peer, m, current.get());
    }

    /** The {@code ack} of a feed request is not a cursor this node issued to the caller (its {@code cursor} is). */
    static final class InvalidAck extends RuntimeException {
        InvalidAck() {
            super("ack: not a cursor this node issued to you", null, false, false);
        }
    }

    /** A record of this node's that a peer may hold cannot be read now: the peer's feed waits at it. */
    static final class Unavailable extends RuntimeException {
        final String recordId;

        Unavailable(String recordId) {
            super("record " + recordId + " cannot be read now", null, false, false);
            this.recordId = recordId;
        }
    }

    void granter(Inbox.AccessGranter granter) {
        this.granter = granter;
    }

    /** Standing requests answer now (this node's identity changed: the response tells the peer so). */
    void wake() {
        wakes.incrementAndGet();
        signal.signal();
    }

    /** Standing requests answer at once from now on (the node is stopping). */
    void close() {
        closed = true;
        signal.signal();
    }

    /** Whether a peer may hold a record now: released to its nation, and its storage meets the residency. */
    boolean mayHold(NodeIdentity peer, RecordMetadata m) {
        return judged(m).map(j -> j.releasesTo(peer)).orElse(false);
    }

    private record Judged(CompiledLabel label, ResidencyPolicy residency) {
        boolean releasesTo(NodeIdentity peer) {
            return label.releasableTo(peer.nation()) && residency.satisfiedBy(peer.storage());
        }
    }

    private void passOver(String id) {
        if (passedOver.contains(id)) return;
        state.passOver(id, clock.instant()); // noted in the memo only once written: a failed write is tried again
        if (passedOver.size() >= 65_536) passedOver.clear();
        passedOver.add(id);
    }

    /**
     * Appends a change-log entry for each own record a feed passed over because the policies did not
     * read it and that they read now, so that every peer's feed meets it again and decides it as it
     * is. Once a start (in the background): the policies change only with a restart.
     */
    void reissuePassedOver() {
        for (String id : state.passedOver()) {
            if (closed) return; // the node is stopping: the rest at the next start
            Optional<RecordMetadata> m = metadata.find(id);
            if (m.isPresent() && m.get().state() == RecordState.ACTIVE) {
                if (judged(m.get()).isEmpty()) continue; // still not read: kept for a later start
                metadata.reissue(id);
                LOG.info("record {}: its label and residency read again under this node's policies; offered to the peers again", id);
            }
            state.forgetPassedOver(id); // reissued, or retracted or gone meanwhile (its own entries decide it)
        }
    }

    /**
     * The record's label and residency as this node's policies read them (compiled once, kept); empty
     * if they no longer read them. A policy changed under a stored record: the feed must not stop at
     * it, nor tell a peer why (the reason quotes the label). Logged once per record (the first few thousand).
     */
    private Optional<Judged> judged(RecordMetadata m) {
        if (labels.size() > 4096) labels.clear();
        if (residencies.size() > 4096) residencies.clear();
        try {
            CompiledLabel label = labels.computeIfAbsent(m.label().json(), json -> policies.compile(policies.decode(LabelFormat.JSON, json)));
            ResidencyPolicy residency = residencies.computeIfAbsent(m.residency(), text -> ResidencyPolicy.parse(text, policies));
            return Optional.of(new Judged(label, residency));
        } catch (io.bulwark.label.LabelError | InvalidResidencyException e) {
            if (unreadable.size() < 4096 && unreadable.add(m.id())) {
                LOG.warn("record {}: its label or residency cannot be read under this node's policies ({}); it is neither sent nor "
                        + "withdrawn, and is offered to the peers again at the first start whose policies read it", m.id(), e.getMessage());
            }
            return Optional.empty();
        }
    }

    /**
     * The statement of the epoch key under which these bytes wrap the record's data key for the
     * recipient: the one it needs to open them. Chosen by the key id in the bytes, not by the record's
     * creation time: a relabel or a re-seal wraps under the epoch current when it seals.
     */
    private Optional<EpochKeyStatement> statementFor(Scan scan, String recipient, byte[] sealed) {
        if (scan.made == null) scan.made = statements.get();
        if (scan.made.isEmpty()) return Optional.empty();
        return SealedRecord.epochKeyFor(sealed, recipient).flatMap(epoch -> statement(scan, recipient, epoch));
    }

    /** This node's statement of an epoch key for the recipient; read afresh if the scan's copy lacks it (a re-seal meanwhile began an epoch). */
    private Optional<EpochKeyStatement> statement(Scan scan, String recipient, KeyId epoch) {
        Optional<EpochKeyStatement> known = scan.byEpoch.get(epoch);
        if (known != null) return known;
        if (scan.made == null) scan.made = statements.get();
        Optional<EpochKeyStatement> found = find(scan.made, recipient, epoch);
        if (found.isEmpty()) {
            scan.made = statements.get();
            found = find(scan.made, recipient, epoch);
        }
        scan.byEpoch.put(epoch, found);
        return found;
    }

    private Optional<EpochKeyStatement> find(List<EpochKeyStatement> made, String recipient, KeyId epoch) {
        for (EpochKeyStatement s : made.reversed()) { // the epoch a record uses is nearly always a recent one
            if (s.recipientNation().equals(recipient) && s.epochKeyId().equals(epoch) && s.originNation().equals(nation) && s.originNode().equals(node)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * The record's bytes with key access the peer can open. A record sealed while this node did not
     * know the nation's KEM key (before its peer was introduced, or while it was not listed) lacks
     * it; one sealed for a KEM key the peer's node does not have (the node made anew, with new keys,
     * and pinned afresh) has it only for that key. The origin then seals it anew.
     */
    private Optional<byte[]> withAccess(Scan scan, NodeIdentity peer, RecordMetadata m, byte[] sealed) {
        if (granter == null) return Optional.of(sealed);
        Predicate<KeyId> opens = epoch -> opens(scan, peer, epoch);
        Optional<KeyId> epoch = SealedRecord.epochKeyFor(sealed, peer.nation());
        if (epoch.isPresent() && opens.test(epoch.get())) return Optional.of(sealed);
        return granter.grantAccess(m, peer.nation(), opens);
    }

    /**
     * Whether the peer can open an epoch of this node's for its nation: the statement was made for a
     * KEM key its identity shows. An epoch without a statement here is taken as opening: sealing it
     * anew would not help.
     */
    private boolean opens(Scan scan, NodeIdentity peer, KeyId epoch) {
        Boolean known = scan.opens.get(epoch);
        if (known != null) return known;
        boolean opens = statement(scan, peer.nation(), epoch).map(s -> peer.kemKeys().contains(s.recipientKemKey())).orElse(true);
        scan.opens.put(epoch, opens);
        return opens;
    }

    private Optional<byte[]> read(RecordMetadata m) {
        Optional<InputStream> in = blobs.open(m.blob().key());
        if (in.isEmpty()) return Optional.empty();
        try (InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read record " + m.id(), e);
        }
    }

    /** How far behind a peer is: the records it may hold that it has not acknowledged, and since when. */
    record Lag(long records, Optional<Instant> oldest, boolean capped) {}

    /**
     * Reads this node's own entries past the peer's acknowledged position (other origins' entries are
     * skipped by the store), at most {@link #LAG_SCAN} entries of any origin: cheap enough for the
     * status computed every 2 s on a node whose log is mostly records it received.
     */
    Lag lag(String fingerprint, NodeIdentity peer) {
        long after = Math.max(state.outbound(fingerprint).ackedSeq(), quietUpTo.getOrDefault(fingerprint, 0L));
        long count = 0;
        Optional<Instant> oldest = Optional.empty();
        int scanned = 0;
        while (scanned < LAG_SCAN) {
            OriginChanges own = metadata.originChangesSince(after, nation, node, SCAN);
            if (own.read() == 0) return new Lag(count, oldest, false);
            for (RecordChange change : own.changes()) {
                RecordMetadata m = change.record();
                boolean concerns = change.entry().kind() == ChangeKind.RETRACTED || m.state() != RecordState.ACTIVE
                        ? state.holds(fingerprint, m.id()) : mayHold(peer, m) || state.holds(fingerprint, m.id());
                if (concerns) {
                    count++;
                    if (oldest.isEmpty()) oldest = Optional.of(change.entry().at());
                }
            }
            after = own.lastSeq();
            scanned += own.read();
        }
        return new Lag(count, oldest, true);
    }
}
