package io.bulwark.node;

import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.federation.Inbox;
import io.bulwark.federation.NodeIdentity;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.InvalidRecordException;
import io.bulwark.record.OriginKeys;
import io.bulwark.record.RecordOpener;
import io.bulwark.record.SealedRecord;
import io.bulwark.record.Tombstone;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeReceipt;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordState;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.StoreResult;
import io.bulwark.store.site.Placement;
import io.bulwark.store.site.ReplicatedBlobStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Records from peers, received: each is verified — the origin's pinned key and binding, that it
 * comes from the peer that sent it, that its label releases it to this nation, that this node can
 * open it and that this node's storage meets its residency — before its blob and metadata are
 * stored (all durable before the feed's cursor moves). Anything else is rejected with the reason
 * and stored nowhere. Each record stored is audited as {@code record.received}, each rejected as
 * {@code record.rejected} with the reason, the sending peer as actor. A refused change to a record
 * held here from the sending origin — a new version, or a retraction whose tombstone does not verify
 * — withdraws the version held here rather than leave it in force (decision record
 * 2026-11-29-refused-changes-fail-closed).
 */
final class ReplicaInbox implements Inbox {

    private final String nation;
    private final PolicySet policies;
    private final RecordOpener opener;
    private final OriginKeys origins;
    private final RecordService records;
    private final MetadataStore metadata;
    private final NodeStorage blobs;
    private final EpochLog epochLog;
    /** This node's storage sites as declared to peers now (they change when a site is added or removed). */
    private final java.util.function.Supplier<List<? extends ResidencyPolicy.Site>> storage;
    private final Clock clock;
    private final Set<Long> knownEpochKeys = ConcurrentHashMap.newKeySet();
    /**
     * Statements learnt but not yet kept, per origin ("nation/node") by epoch key id, oldest first:
     * one is appended to the epoch-key log only when a record sealed under it is stored, so a peer
     * cannot grow the log with statements that records it sends never use (or use only in records
     * that are refused). Per origin, because each origin's responses are applied one at a time: one
     * peer's statements never push out another's.
     */
    private final Map<String, java.util.LinkedHashMap<Long, EpochKeyStatement>> pendingStatements = new ConcurrentHashMap<>();
    /**
     * The most statements an origin has waiting unused; past it its oldest are forgotten (the origin
     * sends each again beside its records). Above the most one response carries ({@code Feed.SCAN}),
     * so a response never pushes out its own.
     */
    static final int MAX_PENDING_STATEMENTS = 4096;
    private final Auditor audit;
    /** Where applying a run of received records takes its time, by stage (metric {@code bulwark_federation_apply_stage}). */
    private final Timer verifyTime;
    private final Timer blobTime;
    private final Timer commitTime;

    ReplicaInbox(String nation, PolicySet policies, RecordOpener opener, OriginKeys origins, RecordService records,
                 MetadataStore metadata, NodeStorage blobs, EpochLog epochLog, java.util.function.Supplier<List<? extends ResidencyPolicy.Site>> storage,
                 List<EpochKeyStatement> accepted, Clock clock, Auditor audit, MeterRegistry meters) {
        this.audit = audit;
        this.verifyTime = applyStage(meters, "verify");
        this.blobTime = applyStage(meters, "blob");
        this.commitTime = applyStage(meters, "commit");
        this.nation = nation;
        this.policies = policies;
        this.opener = opener;
        this.origins = origins;
        this.records = records;
        this.metadata = metadata;
        this.blobs = blobs;
        this.epochLog = epochLog;
        this.storage = storage;
        this.clock = clock;
        accepted.forEach(s -> knownEpochKeys.add(s.epochKeyId().value()));
    }

    private static Timer applyStage(MeterRegistry meters, String stage) {
        return Timer.builder("bulwark_federation_apply_stage").tag("stage", stage)
                .description("time a run of records received from a peer spends in each stage once stored: verify (decode, check "
                        + "signature, binding and label, open the payload), blob (write and flush the sealed bytes), commit (the metadata writes, and "
                        + "deleting the blobs of versions they replace)")
                .register(meters);
    }

    @Override
    public void statement(NodeIdentity origin, EpochKeyStatement statement) {
        if (!statement.originNation().equals(origin.nation()) || !statement.originNode().equals(origin.node())) {
            throw new InvalidRecordException(statement + ": not made by the peer that sent it (" + origin.nation() + "/" + origin.node() + ")");
        }
        long id = statement.epochKeyId().value();
        if (knownEpochKeys.contains(id)) return; // redelivered
        var pending = pendingOf(origin);
        synchronized (pending) {
            if (pending.containsKey(id)) return;
            requirePinned(origin);
            opener.accept(statement); // verifies the origin's pinned key and this node's KEM key
            if (pending.size() >= MAX_PENDING_STATEMENTS) {
                var eldest = pending.entrySet().iterator();
                opener.forget(eldest.next().getValue());
                eldest.remove();
            }
            pending.put(id, statement);
        }
    }

    private java.util.LinkedHashMap<Long, EpochKeyStatement> pendingOf(NodeIdentity origin) {
        return pendingStatements.computeIfAbsent(origin.nation() + "/" + origin.node(), o -> new java.util.LinkedHashMap<>());
    }

    /**
     * Appends the statements the records about to be stored are sealed under: durable before any of
     * them is acknowledged. A record under an epoch neither kept nor pending here fails the run whole
     * (it comes again, with its statement), rather than be stored with a key the log would not have
     * after a restart.
     */
    private void keepStatementsOf(NodeIdentity origin, List<Accepted> accepted) {
        var pending = pendingOf(origin);
        synchronized (pending) {
            for (Accepted a : accepted) {
                for (io.bulwark.record.KeyAccess k : a.record().keyAccess()) {
                    long epoch = k.epochKeyId().value();
                    if (!k.nation().equals(nation) || knownEpochKeys.contains(epoch)) continue;
                    EpochKeyStatement statement = pending.get(epoch);
                    if (statement == null) {
                        throw new IllegalStateException("record " + a.record().id() + ": the statement of its epoch key " + k.epochKeyId()
                                + " is no longer held here; the delivery is applied again");
                    }
                    epochLog.append(statement);
                    knownEpochKeys.add(epoch);
                    pending.remove(epoch);
                }
            }
        }
    }

    /** How a withdrawal's marker begins; the origin's signed tombstones begin with their format's magic bytes. */
    private static final String WITHDRAWN = "withdrawn: ";

    /** Whether a retracted row is this node's own withdrawal (reversible), not the origin's retraction (final). */
    private static boolean withdrawnHere(RecordMetadata m) {
        return m.retraction().map(r -> new String(r.tombstone(), 0, Math.min(r.tombstone().length, WITHDRAWN.length()),
                StandardCharsets.UTF_8).equals(WITHDRAWN)).orElse(false);
    }

    /** A record that passed every check; {@code position} is its place in the delivery (and its outcome's). */
    private record Accepted(int position, SealedRecord record, ResidencyPolicy residency, byte[] sealed,
                            Optional<RecordMetadata> existing) {}

    @Override
    public List<Optional<String>> records(NodeIdentity origin, List<byte[]> sealed) {
        long start = System.nanoTime();
        requirePinned(origin);
        List<Optional<String>> outcomes = new ArrayList<>(sealed.size());
        List<Accepted> accepted = new ArrayList<>();
        List<String> ids = new ArrayList<>(sealed.size()); // for the audit: null where the bytes name no record
        Set<String> delivered = new HashSet<>();
        Map<Integer, SealedRecord> refused = new HashMap<>(); // by position: the refused records that decode
        for (byte[] bytes : sealed) {
            Accepted a;
            try {
                a = check(outcomes.size(), origin, bytes);
            } catch (InvalidRecordException e) {
                Optional<SealedRecord> claimed = decodeUnverified(bytes);
                claimed.ifPresent(r -> refused.put(outcomes.size(), r));
                ids.add(claimed.map(r -> r.id().toString()).orElse(null));
                outcomes.add(Optional.of(e.getMessage()));
                continue;
            }
            ids.add(a.record().id().toString());
            if (delivered.add(a.record().id().toString())) {
                accepted.add(a);
                outcomes.add(Optional.empty());
            } else {
                // An origin sends a record once per response, as it is now: two versions in one run
                // would be stored side by side under one key, and one would take the other's blob.
                outcomes.add(Optional.of("record " + a.record().id() + ": sent twice in one delivery"));
            }
        }
        long verified = System.nanoTime();
        if (outcomes.stream().anyMatch(Optional::isPresent)) requirePinned(origin); // refused because it was unpinned meanwhile?
        keepStatementsOf(origin, accepted);
        Stages stored = store(accepted, outcomes);
        // Recorded once stored: a run that fails comes again, and is timed then.
        verifyTime.record(verified - start, TimeUnit.NANOSECONDS);
        if (stored.blobNanos() >= 0) blobTime.record(stored.blobNanos(), TimeUnit.NANOSECONDS);
        if (stored.commitNanos() >= 0) commitTime.record(stored.commitNanos(), TimeUnit.NANOSECONDS);
        refused.forEach((i, r) -> {
            // A version of a record this delivery stored is not outdated by another it refused.
            if (!delivered.contains(ids.get(i)) && outdated(origin, r)) {
                outcomes.set(i, Optional.of(outcomes.get(i).get() + "; the version held here was withdrawn"));
            }
        });
        audit(origin, ids, outcomes); // only once stored: a delivery that fails here comes again, and is audited then
        return outcomes;
    }

    /**
     * A refused version of a record: if this node holds another version of it from the same origin,
     * that version is out of date — the origin relabelled or re-sealed it, and the label it carries
     * here may be one the origin replaced — so it is withdrawn rather than kept in force. Only the
     * sender's own records can be withdrawn so (the feed is the pinned origin's, over mutual TLS), and
     * the same version sent again (a replay, even a damaged one) withdraws nothing. Bytes that do not
     * decode here withdraw nothing either: they cannot be told from a damaged copy.
     */
    private boolean outdated(NodeIdentity origin, SealedRecord offered) {
        return metadata.find(offered.id().toString()).filter(m -> m.state() == RecordState.ACTIVE)
                .filter(held -> !held.contentDigest().equals(offered.contentDigest()))
                .map(held -> withdrawHeld(origin, held, "a new version from " + origin.nation() + "/" + origin.node() + " was refused"))
                .orElse(false);
    }

    /** One {@code record.received} or {@code record.rejected} event per record of a delivery. */
    private void audit(NodeIdentity origin, List<String> ids, List<Optional<String>> outcomes) {
        String actor = "peer:" + origin.nation();
        for (int i = 0; i < ids.size(); i++) {
            Optional<String> rejection = outcomes.get(i);
            audit.record(rejection.isEmpty() ? Type.RECEIVED : Type.REJECTED, actor, ids.get(i),
                    rejection.isEmpty() ? Outcome.SUCCESS : Outcome.FAILURE,
                    rejection.map(r -> Map.of("peer", origin.nation(), "node", origin.node(), "reason", Auditor.detail(r)))
                            .orElse(Map.of("peer", origin.nation(), "node", origin.node())));
        }
    }

    /** The record refused bytes claim to be (unverified: for the audit, and to find the version held here), if they decode. */
    private Optional<SealedRecord> decodeUnverified(byte[] bytes) {
        try {
            return Optional.of(SealedRecord.decode(bytes, policies));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** How long a run's blobs and its metadata took to store; -1 where it stored none. */
    private record Stages(long blobNanos, long commitNanos) {}

    private Stages store(List<Accepted> accepted, List<Optional<String>> outcomes) {
        // While no site can be removed: replicas, then their placements with the metadata.
        return blobs.whileSitesStay(() -> storeWhileSitesStay(accepted, outcomes));
    }

    private Stages storeWhileSitesStay(List<Accepted> accepted, List<Optional<String>> outcomes) {
        // Blobs in parallel (their flushes are shared), then every new record's metadata and
        // placements in one commit.
        long writing = System.nanoTime();
        Map<Integer, ReplicatedBlobStore.Stored> placed = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < accepted.size(); i++) {
                Accepted a = accepted.get(i);
                if (isReplay(a) || a.existing().filter(m -> m.state() == RecordState.RETRACTED && !withdrawnHere(m)).isPresent()) continue;
                int index = i;
                // A new version's key is its own (by its digest): never the key of the version it replaces.
                String key = a.existing().isPresent() ? RecordService.versionKey(a.record().id().toString(), a.record()) : a.record().id().toString();
                puts.add(pool.submit(() -> placed.put(index, switch (blobs.putUnindexed(key, a.residency(), a.sealed(), a.record().encodingDigest())) {
                    case ReplicatedBlobStore.Stored s -> s;
                    case Placement.Refused r -> throw new StoreException("could not store blob " + key + ": residency " + a.residency() + ": " + r);
                })));
            }
            for (Future<?> f : puts) f.get();
        } catch (Exception e) {
            placed.values().forEach(s -> blobs.discard(s.placements()));
            throw new IllegalStateException("storing received records failed: " + e.getMessage(), e);
        }
        long written = System.nanoTime();
        List<RecordMetadata> fresh = new ArrayList<>();
        List<Map<String, BlobRef>> freshPlacements = new ArrayList<>();
        List<Accepted> freshFrom = new ArrayList<>();
        for (int i = 0; i < accepted.size(); i++) {
            Accepted a = accepted.get(i);
            ReplicatedBlobStore.Stored stored = placed.get(i);
            if (stored == null) continue; // already held, or retracted here: nothing to do
            BlobRef blob = stored.ref();
            RecordMetadata meta = metadataOf(a, blob);
            if (a.existing().isEmpty()) {
                fresh.add(meta);
                freshPlacements.add(stored.placements());
                freshFrom.add(a);
                continue;
            }
            // A new version of a record held here: its placements first, then the metadata names it.
            blobs.recordPlacements(blob.key(), a.residency(), stored.placements());
            if (a.existing().get().state() == RecordState.RETRACTED) { // withdrawn here, released to this nation again
                StoreResult<ChangeReceipt> r = metadata.reinstate(meta.id(), meta.label(), blob, meta.contentDigest());
                if (!(r instanceof StoreResult.Success<ChangeReceipt>)) {
                    blobs.delete(blob.key());
                    outcomes.set(a.position(), Optional.of("record " + meta.id() + ": " + r));
                }
            } else { // the origin relabelled it and this nation may still hold it
                StoreResult<ChangeReceipt> r = metadata.relabel(meta.id(), meta.label(), blob, meta.contentDigest());
                if (r instanceof StoreResult.Success<ChangeReceipt>) {
                    if (!a.existing().get().blob().key().equals(blob.key())) blobs.delete(a.existing().get().blob().key());
                } else {
                    blobs.delete(blob.key());
                    outcomes.set(a.position(), Optional.of("record " + meta.id() + ": " + r));
                }
            }
        }
        if (!fresh.isEmpty()) {
            List<StoreResult<ChangeReceipt>> results;
            try {
                results = metadata.insertAll(fresh, freshPlacements);
            } catch (RuntimeException e) {
                freshPlacements.forEach(blobs::discard);
                throw e;
            }
            for (int i = 0; i < results.size(); i++) {
                if (!(results.get(i) instanceof StoreResult.Success<ChangeReceipt>)) {
                    blobs.discard(freshPlacements.get(i));
                    outcomes.set(freshFrom.get(i).position(), Optional.of("record " + fresh.get(i).id() + ": " + results.get(i)));
                }
            }
        }
        return placed.isEmpty() ? new Stages(-1, -1) : new Stages(written - writing, System.nanoTime() - written);
    }

    private Accepted check(int position, NodeIdentity origin, byte[] bytes) {
        SealedRecord r = opener.verify(bytes); // origin's pinned key, the binding, released to this nation
        String id = r.id().toString();
        if (!r.header().originNation().equals(origin.nation()) || !r.header().originNode().equals(origin.node())) {
            throw new InvalidRecordException("record " + id + ": published by " + r.header().originNation() + "/"
                    + r.header().originNode() + ", not by the peer that sent it (" + origin.nation() + "/" + origin.node() + ")");
        }
        ResidencyPolicy residency;
        try {
            residency = ResidencyPolicy.parse(r.residency(), policies);
        } catch (InvalidResidencyException e) {
            throw new InvalidRecordException("record " + id + ": " + e.getMessage());
        }
        if (!residency.satisfiedBy(storage.get())) {
            throw new InvalidRecordException("record " + id + ": residency " + residency + " is not met by this node's storage");
        }
        try {
            opener.openAll(r); // this nation's key access works, and the payload decrypts whole
        } catch (InvalidRecordException e) {
            throw new InvalidRecordException("record " + id + ": cannot be opened here: " + e.getMessage());
        }
        Optional<RecordMetadata> existing = metadata.find(id);
        if (existing.isPresent() && (!existing.get().originNation().equals(origin.nation()) || !existing.get().originNode().equals(origin.node()))) {
            // Ids are the origin's to give: a peer's record under an id held here from another origin (or
            // this node's own) would otherwise replace that record as if it were a new version of it.
            throw new InvalidRecordException("record " + id + ": this node holds a record with this id from "
                    + existing.get().originNation() + "/" + existing.get().originNode() + ", not from the peer that sent it ("
                    + origin.nation() + "/" + origin.node() + ")");
        }
        if (existing.isPresent()) {
            // A relabel or a re-seal changes a record's label and key access, never what it is or where it
            // may lie: the row keeps those from the first version, so a version changing them is refused.
            RecordMetadata held = existing.get();
            List<String> changed = new ArrayList<>();
            if (!held.residency().equals(r.residency())) changed.add("residency");
            if (!held.createdAt().equals(r.header().created())) changed.add("creation time");
            if (!held.contentType().equals(r.header().contentType())) changed.add("content type");
            if (held.payloadSize() != r.header().payloadSize()) changed.add("payload size");
            if (!changed.isEmpty()) {
                throw new InvalidRecordException("record " + id + ": this version changes its " + String.join(", ", changed)
                        + " from the version held here; a version changes only a record's label and key access");
            }
        }
        return new Accepted(position, r, residency, bytes, existing);
    }

    private boolean isReplay(Accepted a) {
        return a.existing().filter(m -> m.state() == RecordState.ACTIVE
                && m.blob().sha256().equals(a.record().encodingDigest())).isPresent();
    }

    private RecordMetadata metadataOf(Accepted a, BlobRef blob) {
        SealedRecord r = a.record();
        return new RecordMetadata(r.id().toString(), r.header().originNation(), r.header().originNode(), r.header().created(),
                r.header().contentType(), r.header().payloadSize(), r.contentDigest(), records.labelMetadata(r.label()),
                r.residency(), blob, Optional.empty());
    }

    @Override
    public Optional<String> retract(NodeIdentity origin, Tombstone tombstone) {
        requirePinned(origin);
        Optional<String> refused = refusal(origin, tombstone);
        if (refused.isPresent()) requirePinned(origin);
        String id = tombstone.id().toString();
        Optional<RecordMetadata> meta = metadata.find(id);
        if (refused.isPresent()) {
            // The origin wants the record gone, and its feed says so; only the proof failed. Keeping it
            // would leave it in force here while the origin counts this node as having dropped it.
            String why = refused.get();
            boolean withdrawn = meta.filter(m -> m.state() == RecordState.ACTIVE)
                    .map(m -> withdrawHeld(origin, m, "its retraction was refused: " + why)).orElse(false);
            return withdrawn ? Optional.of(why + "; the record was withdrawn here instead") : refused;
        }
        if (meta.isEmpty()) return Optional.empty(); // never held (or already gone): nothing to retract
        if (!meta.get().originNation().equals(origin.nation()) || !meta.get().originNode().equals(origin.node())) {
            return Optional.of(tombstone + ": record " + id + " is not the peer's");
        }
        if (withdrawnHere(meta.get())) {
            // Withdrawn here before (a change of the origin's was refused); its proof now verifies: the
            // record is retracted for good, and its row keeps the origin's tombstone, not this node's marker.
            StoreResult<ChangeReceipt> r = metadata.replaceTombstone(id, meta.get().retraction().orElseThrow().tombstone(),
                    tombstone.encode(), tombstone.at());
            if (!(r instanceof StoreResult.Success<ChangeReceipt>)) return Optional.of(tombstone + ": " + r);
            audit.record(Type.RETRACT, "peer:" + origin.nation(), id, Outcome.SUCCESS,
                    Map.of("peer", origin.nation(), "node", origin.node(), "kind", "retraction", "replaces", "withdrawal"));
            return Optional.empty();
        }
        StoreResult<ChangeReceipt> r = metadata.retract(id, tombstone.encode(), tombstone.at());
        if (r instanceof StoreResult.Success<ChangeReceipt>) {
            blobs.delete(meta.get().blob().key());
            audit.record(Type.RETRACT, "peer:" + origin.nation(), id, Outcome.SUCCESS,
                    Map.of("peer", origin.nation(), "node", origin.node(), "kind", "retraction"));
            return Optional.empty();
        }
        return meta.get().state() == RecordState.RETRACTED ? Optional.empty() : Optional.of(tombstone + ": " + r);
    }

    /**
     * Applies nothing from an origin no longer pinned here: removed from the peer list (or the list
     * unreadable) while its response was being applied. Each of its records and retractions would be
     * refused as "not pinned", and a refusal withdraws the version held here; the response fails
     * instead, so it is not acknowledged and comes again if the peer is listed again.
     */
    private void requirePinned(NodeIdentity origin) {
        if (origins.signingKeys(origin.nation(), origin.node()).isEmpty()) {
            throw new IllegalStateException(origin.nation() + "/" + origin.node() + " is no longer a pinned peer here: its response is not applied");
        }
    }

    /** Why a tombstone is not the sending origin's proof; empty if it is. */
    private Optional<String> refusal(NodeIdentity origin, Tombstone tombstone) {
        if (!tombstone.originNation().equals(origin.nation()) || !tombstone.originNode().equals(origin.node())) {
            return Optional.of(tombstone + ": not made by the peer that sent it");
        }
        try {
            tombstone.verify(origins);
            return Optional.empty();
        } catch (InvalidRecordException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public void withdraw(NodeIdentity origin, String recordId) {
        requirePinned(origin);
        metadata.find(recordId).filter(m -> m.state() == RecordState.ACTIVE)
                .ifPresent(m -> withdrawHeld(origin, m, "relabelled to exclude " + nation));
    }

    /**
     * Withdraws a record held from {@code origin}: the row stays, retracted with a local marker rather
     * than the origin's signed tombstone, and the bytes go. A later relabel that releases the record
     * here again reinstates it (see store()). Returns whether it was withdrawn (not if it is another
     * origin's record).
     */
    private boolean withdrawHeld(NodeIdentity origin, RecordMetadata held, String why) {
        if (!held.originNation().equals(origin.nation()) || !held.originNode().equals(origin.node())) return false;
        byte[] marker = (WITHDRAWN + origin.nation() + "/" + origin.node() + ": " + why).getBytes(StandardCharsets.UTF_8);
        if (!(metadata.retract(held.id(), marker, clock.instant()) instanceof StoreResult.Success<ChangeReceipt>)) return false;
        blobs.delete(held.blob().key());
        audit.record(Type.RETRACT, "peer:" + origin.nation(), held.id(), Outcome.SUCCESS,
                Map.of("peer", origin.nation(), "node", origin.node(), "kind", "withdrawal", "reason", Auditor.detail(why)));
        return true;
    }
}
