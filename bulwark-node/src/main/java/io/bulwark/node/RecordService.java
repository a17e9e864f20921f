package io.bulwark.node;

import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.Category;
import io.bulwark.label.CompiledLabel;
import io.bulwark.label.CompiledSubject;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.internal.BoundedCache;
import io.bulwark.record.InvalidRecordException;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordId;
import io.bulwark.record.RecordOpener;
import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;
import io.bulwark.record.Tombstone;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeReceipt;
import io.bulwark.store.LabelMetadata;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.Page;
import io.bulwark.store.RecordChange;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.bulwark.store.RecordState;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.StoreResult;
import io.bulwark.store.site.Placement;
import io.bulwark.store.site.ReplicatedBlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a node does with records, whatever the transport: publish (validate, seal, store durably),
 * read (decide, verify, decrypt), list what a caller may see, and retract.
 *
 * <p><b>Security guarantees.</b> A caller reads a record only when its label permits the caller's
 * subject; otherwise the answer is the same as for a missing record. A caller cannot publish a label
 * it could not read itself. Storage holds only sealed records (ciphertext); a record is acknowledged
 * only after its blob and its metadata are durable. Publish, read, denied read, retraction and
 * relabel are audited (docs/audit.md); listing is not — it would log every page a client scrolls,
 * and what a list reveals is only what the caller may read anyway.
 */
public final class RecordService {

    private final PolicySet policies;
    private final String nation;
    private final RecordSealer sealer;
    private final BatchSigner signer;
    private final RecordOpener opener;
    private final java.util.function.Supplier<SigningKeyset> signingKeys;
    private final MetadataStore metadata;
    private final NodeStorage blobs;
    /** Changed at runtime by an approved {@code residency.default} (docs/approvals.md). */
    private volatile ResidencyPolicy defaultResidency;
    private final Clock clock;
    private final Counter published;
    private final Counter reads;
    private final Counter denied;
    private final Timer publishTime;
    /** Where a publish's time goes, by stage (metric {@code bulwark_publish_stage}, tag {@code stage}). */
    private final Timer prepareTime;
    private final Timer signTime;
    private final Timer blobTime;
    private final Timer commitTime;
    /** Labels as received (header text), read once: labels repeat heavily, and reading one is pure. */
    private final BoundedCache<String, ReadLabel> labelsByText = new BoundedCache<>(CACHED_LABELS);
    /** Labels of stored records, by their JSON: {@link #compiledLabel} is on every read, list and feed. */
    private final BoundedCache<String, CompiledLabel> labelsByJson = new BoundedCache<>(4096);
    /** Callers' compiled subjects: a principal's attributes are fixed (a changed user is another Principal). */
    private final BoundedCache<Principal, CompiledSubject> subjects = new BoundedCache<>(4096);
    /** Label texts up to this length are cached, so the cache's memory is bounded by count and size. */
    static final int CACHED_LABEL_CHARS = 2048;
    static final int CACHED_LABELS = 1024;
    private final Changes changes;
    private final Auditor audit;

    /** What the rest of the node hears of committed changes: federation answers its peers at once. */
    interface Changes {
        Changes NONE = new Changes() {
            @Override public void committed() { }
            @Override public void dropping(String id, String kind, long seq, java.util.function.Predicate<String> mayStillHold) { }
        };

        /** A change-log entry was committed. */
        void committed();

        /** Peers holding the record that may no longer hold it owe a confirmation of {@code kind} past {@code seq}. */
        void dropping(String id, String kind, long seq, java.util.function.Predicate<String> mayStillHold);
    }

    RecordService(PolicySet policies, String nation, RecordSealer sealer, RecordOpener opener, java.util.function.Supplier<SigningKeyset> signingKeys,
                  MetadataStore metadata, NodeStorage blobs, ResidencyPolicy defaultResidency, Clock clock, MeterRegistry meters,
                  Changes changes, Auditor audit) {
        this.changes = changes;
        this.audit = audit;
        this.policies = policies;
        this.nation = nation;
        this.sealer = sealer;
        this.signer = new BatchSigner(sealer, meters);
        this.opener = opener;
        this.signingKeys = signingKeys;
        this.metadata = metadata;
        this.blobs = blobs;
        this.defaultResidency = defaultResidency;
        this.clock = clock;
        this.published = meters.counter("bulwark_records_published");
        this.reads = meters.counter("bulwark_records_read");
        this.denied = meters.counter("bulwark_records_denied");
        this.publishTime = meters.timer("bulwark_publish");
        this.prepareTime = publishStage(meters, "prepare");
        this.signTime = publishStage(meters, "sign");
        this.blobTime = publishStage(meters, "blob");
        this.commitTime = publishStage(meters, "commit");
    }

    private static Timer publishStage(MeterRegistry meters, String stage) {
        return Timer.builder("bulwark_publish_stage").tag("stage", stage)
                .description("time a publish spends in each stage: prepare (encrypt), sign (wait for and share a batch signature), "
                        + "blob (write and flush the sealed bytes), commit (the metadata transaction)")
                .register(meters);
    }

    PolicySet policies() {
        return policies;
    }

    /** The residency of records published from now on without one. */
    void defaultResidency(ResidencyPolicy residency) {
        this.defaultResidency = residency;
    }

    ResidencyPolicy defaultResidency() {
        return defaultResidency;
    }

    /** What a publish returns. */
    public record Published(String id, ConfidentialityLabel label, String marking, String contentType, long size,
                            Instant created, String residency) {}

    /** A record a caller may read, with its payload. */
    public record Opened(RecordMetadata metadata, String marking, byte[] payload) {}

    /** The caller as a subject of decisions; compiled once per principal (a refusal is not cached). */
    CompiledSubject subject(Principal principal) {
        return subjects.get(principal, p -> {
            try {
                return policies.compile(p.toSubject(policies));
            } catch (InvalidLabelException | io.bulwark.node.identity.InvalidIdentityException e) {
                throw Problem.forbidden("your identity's attributes are not valid here: " + e.getMessage());
            }
        });
    }

    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
    /** type/subtype and parameters (RFC 9110 §8.3.1), as a record's header holds it: printable ASCII, at most 255 characters. */
    private static final java.util.regex.Pattern MEDIA_TYPE = java.util.regex.Pattern.compile("(?=.{3,255}$)" + TOKEN + "/" + TOKEN
            + "(?:[ \\t]*;[ \\t]*" + TOKEN + "=(?:" + TOKEN + "|\"(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\x20-\\x7e])*\"))*");

    public Published publish(Principal principal, String labelText, String residencyText, String contentType, byte[] payload) {
        Timer.Sample sample = Timer.start();
        requireRole(principal, Role.ANALYST, "publish");
        ReadLabel read = readLabel(labelText);
        ConfidentialityLabel label = read.label();
        CompiledLabel compiled = read.compiled();
        CompiledSubject subject = subject(principal);
        if (!compiled.permits(subject)) {
            String reason = compiled.decide(subject).reason();
            audit.record(Type.PUBLISH, Auditor.actor(principal), null, Outcome.DENIED,
                    Map.of("label", compiled.canonicalMarking(), "reason", Auditor.detail(reason)));
            throw Problem.forbidden("you may not publish a record you could not read yourself: " + reason);
        }
        if (!compiled.releasableTo(nation)) {
            throw Problem.unprocessable("Label not releasable here", "the label does not release the record to this node's nation "
                    + nation + "; a node holds only what its nation may hold");
        }
        ResidencyPolicy residency = residency(residencyText);
        String type = contentType == null || contentType.isBlank() ? "application/octet-stream" : contentType.strip();
        if (!MEDIA_TYPE.matcher(type).matches()) {
            throw Problem.badRequest("Content-Type: a media type such as text/plain or application/json; charset=utf-8 (RFC 9110 §8.3.1), "
                    + "at most 255 characters, not '" + (type.length() > 80 ? type.substring(0, 80) + "…" : type) + "'");
        }
        SealedRecord sealed;
        // When each stage began and ended (nanoTime); recorded in the stage timers once the publish has succeeded.
        long[] at = new long[6];
        try {
            sealed = signer.seal(() -> {
                at[0] = System.nanoTime();
                RecordSealer.Prepared p = sealer.prepare(new RecordDraft(label, residency.toString(), type, payload.length), payload);
                at[1] = System.nanoTime();
                return p;
            });
            at[2] = System.nanoTime();
        } catch (InvalidRecordException e) {
            throw Problem.badRequest(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sealing");
        }
        // Durable replicas first, then the metadata, its change-log entry and the replicas' placements
        // in one transaction: a crash in between leaves orphans (swept at start), never a visible half-record.
        String id = sealed.id().toString();
        byte[] bytes = sealed.encode();
        // The label sealed is the label read (the sealer compiles it again and keeps that form); checked
        // rather than assumed, as it costs one comparison, so the metadata always describes what was sealed.
        boolean asRead = sealed.label().equals(label);
        LabelMetadata labelMeta = asRead ? read.metadata() : labelMetadata(sealed.label());
        blobs.whileSitesStay(() -> {
            at[3] = System.nanoTime();
            ReplicatedBlobStore.Stored stored = switch (blobs.putUnindexed(id, residency, bytes, sealed.encodingDigest())) {
                case ReplicatedBlobStore.Stored s -> s;
                // Placement refuses before writing anything, so a refused publish leaves nothing behind.
                case Placement.Refused r -> throw new Problem(r.unavailable() ? 503 : 422,
                        r.unavailable() ? "Storage unavailable" : "Residency cannot be met", "residency " + residency + ": " + r);
            };
            at[4] = System.nanoTime();
            RecordMetadata meta = new RecordMetadata(id, nation, sealed.header().originNode(), sealed.header().created(), type,
                    payload.length, sealed.contentDigest(), labelMeta, residency.toString(), stored.ref(), Optional.empty());
            StoreResult<?> result;
            try {
                result = metadata.insert(meta, stored.placements());
                at[5] = System.nanoTime();
            } catch (RuntimeException e) {
                blobs.discard(stored.placements());
                throw e;
            }
            if (!result.succeeded()) {
                blobs.discard(stored.placements());
                throw new IllegalStateException("the store refused a new record: " + result);
            }
            return result;
        });
        changes.committed();
        String marking = asRead ? compiled.canonicalMarking() : policies.canonicalMarking(sealed.label());
        audit.record(Type.PUBLISH, Auditor.actor(principal), id, Outcome.SUCCESS, Map.of("label", marking));
        published.increment();
        sample.stop(publishTime);
        prepareTime.record(at[1] - at[0], TimeUnit.NANOSECONDS);
        signTime.record(at[2] - at[1], TimeUnit.NANOSECONDS);
        blobTime.record(at[4] - at[3], TimeUnit.NANOSECONDS);
        commitTime.record(at[5] - at[4], TimeUnit.NANOSECONDS);
        return new Published(id, sealed.label(), marking, type, payload.length, sealed.header().created(), residency.toString());
    }

    /**
     * The blob key of a new version of a record: its own, by its digest (each sealing has a fresh data
     * key), never the key of the version it replaces, which is deleted once the metadata names the new
     * one. (By the clock, two versions in one millisecond shared a key, and the second's delete took
     * the blob it had just written.)
     */
    static String versionKey(String id, SealedRecord sealed) {
        return id + ".r" + sealed.encodingDigest().substring(0, 16);
    }

    /** The record if it exists, is not retracted and the caller may read it; else empty (never says which). */
    public Optional<Opened> read(Principal principal, String id) {
        requireRole(principal, Role.ANALYST, "read records");
        Optional<RecordMetadata> meta = visible(principal, id, "read");
        Optional<byte[]> bytes = Optional.empty();
        // A relabel or re-seal moves a record to a new blob and deletes the old one: a read that
        // looked up the old place asks again (the decision is made again, too).
        for (int attempt = 0; meta.isPresent() && bytes.isEmpty(); attempt++) {
            bytes = tryReadBlob(meta.get());
            if (bytes.isEmpty()) {
                if (attempt == 2) throw new IllegalStateException("record " + id + " has metadata but no blob");
                meta = visible(principal, id, "read");
            }
        }
        if (meta.isEmpty()) {
            return Optional.empty();
        }
        SealedRecord record = opener.verify(bytes.get()); // storage is not trusted: the binding is checked on every read
        if (!record.id().toString().equals(id)) {
            throw new IllegalStateException("storage returned another record for " + id);
        }
        byte[] payload = opener.openAll(record);
        String marking = policies.canonicalMarking(record.label());
        audit.record(Type.READ, Auditor.actor(principal), id, Outcome.SUCCESS, Map.of("label", marking));
        reads.increment();
        return Optional.of(new Opened(meta.get(), marking, payload));
    }

    /**
     * The record if it is active and the caller may read it. A refusal is audited as
     * {@code record.read_denied} ({@code operation}: what the caller tried), though the caller is told
     * only "not found".
     */
    private Optional<RecordMetadata> visible(Principal principal, String id, String operation) {
        try {
            RecordId.parse(id);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a malformed id is a missing record, too
        }
        Optional<RecordMetadata> meta = metadata.find(id).filter(m -> m.state() == RecordState.ACTIVE);
        if (meta.isPresent()) {
            CompiledSubject subject = subject(principal);
            // A label the policies no longer read permits nobody: a 404 like any other, never a 500
            // that would tell the caller the id exists.
            Optional<CompiledLabel> readable = readable(meta.get().label().json(), id);
            if (readable.isEmpty()) return Optional.empty();
            CompiledLabel label = readable.get();
            if (!label.permits(subject)) {
                denied.increment();
                audit.record(Type.READ_DENIED, Auditor.actor(principal), id, Outcome.DENIED, Map.of("operation", operation,
                        "label", policies.canonicalMarking(label.label()), "reason", Auditor.detail(label.decide(subject).reason())));
                return Optional.empty();
            }
        }
        return meta;
    }

    /** The compiled label of stored metadata; labels repeat, so the parsed form is kept by its JSON. */
    CompiledLabel compiledLabel(RecordMetadata m) {
        return compiledLabel(m.label().json());
    }

    private CompiledLabel compiledLabel(String json) {
        return labelsByJson.get(json, j -> policies.compile(policies.decode(LabelFormat.JSON, j)));
    }

    /**
     * One page of the records the caller may see, newest first, from the next {@code window} records
     * in listing order (at least the page size; see {@link MetadataStore#scan}): hidden records are
     * never shown or counted, and a page may be short (even empty) with a next cursor when the window
     * ends first, or when a record found is relabelled or retracted before it is read whole. The
     * cursor may name a hidden record's position: it must leave the node sealed.
     */
    public Page<RecordMetadata> list(Principal principal, RecordQuery query, int window) {
        requireRole(principal, Role.ANALYST, "list records");
        CompiledSubject subject = subject(principal);
        return metadata.scan(query.withState(RecordState.ACTIVE), c -> permits(c.labelJson(), subject, c.id()), query.pageSize(),
                Math.max(window, query.pageSize()));
    }

    /** The most change-log entries one request for changes reads, seen or not: bounds its cost. */
    static final int MAX_CHANGES_SCANNED = 100_000;
    private static final int CHANGES_READ = 1_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecordService.class);
    private volatile boolean waitsStopped;
    /** Labels of stored records this node's policies do not read: a failure is not cached by {@link #compiledLabel}. */
    private final BoundedCache<String, Boolean> unreadableLabels = new BoundedCache<>(1024);

    /** How a caller sees one change. */
    public enum Seen {
        /** Not at all. */
        NOTHING,
        /** With the record's metadata as it is now. */
        IN_FULL,
        /**
         * Only that the record is no longer available to the caller (its id and when): retracted,
         * withdrawn from this nation, or relabelled beyond the caller's access — which of them is
         * not said, so that a record relabelled away is not told apart from one that is gone.
         */
        AS_REMOVED
    }

    /** A change as the caller sees it. */
    public record SeenChange(RecordChange change, Seen seen) {}

    /**
     * What a caller learns from {@link #changesAfter}: the changes it may see, oldest first, and the
     * position in this node's change log to continue after — past every change read, seen or not.
     */
    public record SeenChanges(List<SeenChange> changes, long after) {}

    /**
     * The changes to records the caller may see — records published here or received from peers,
     * relabelled, and records no longer available to the caller — after position {@code after} of
     * this node's change log, oldest first, each with its record as it is now. A publication or
     * relabel is seen in full if the record's label now permits the caller. A record is seen as
     * removed at its retraction (or withdrawal from this nation) if its label permits the caller,
     * and at a relabel if the label it replaced did and the new one does not; the earlier changes of
     * a record now retracted are not seen. At most {@code limit} changes, from at most
     * {@value #MAX_CHANGES_SCANNED} entries read.
     *
     * <p>With nothing to see yet, waits up to {@code wait} for a change (a standing request: it
     * answers as soon as one commits). Changes the caller may not see shape nothing it gets but the
     * position, which must leave the node sealed: they never end a wait early — not even when there
     * are more of them than one request reads, in which case the request answers at its deadline.
     */
    public SeenChanges changesAfter(Principal principal, long after, int limit, java.time.Duration wait) throws InterruptedException {
        return changesAfter(principal, after, limit, wait, MAX_CHANGES_SCANNED);
    }

    /** {@link #changesAfter(Principal, long, int, java.time.Duration)} reading at most {@code maxScanned} entries (tests set it low). */
    SeenChanges changesAfter(Principal principal, long after, int limit, java.time.Duration wait, int maxScanned) throws InterruptedException {
        requireRole(principal, Role.ANALYST, "read the changes to records");
        CompiledSubject subject = subject(principal);
        long deadline = System.nanoTime() + wait.toNanos();
        long position = after;
        int scanned = 0;
        List<SeenChange> seen = new ArrayList<>();
        while (true) {
            long version = metadata.committed().version();
            while (scanned < maxScanned && position < metadata.lastSeq()) {
                List<RecordChange> read = metadata.recordChangesSince(position, Math.min(CHANGES_READ, maxScanned - scanned));
                if (read.isEmpty()) break;
                for (RecordChange c : read) {
                    position = c.entry().seq();
                    scanned++;
                    Seen how = seen(subject, c);
                    if (how == Seen.NOTHING) continue;
                    seen.add(new SeenChange(c, how));
                    if (seen.size() == limit) return new SeenChanges(seen, position);
                }
            }
            long left = deadline - System.nanoTime();
            if (!seen.isEmpty() || left <= 0 || waitsStopped) return new SeenChanges(seen, position);
            metadata.committed().await(version, java.time.Duration.ofNanos(left));
        }
    }

    /**
     * How a caller sees an entry. In full: a publication or relabel of a record its label now permits
     * the caller to read. As removed: the entry took the record from the caller — a retraction (or
     * withdrawal) of a record whose label then permitted the caller, or a relabel whose replaced label
     * permitted the caller and whose new one does not, of a record the caller has not regained since.
     * Each judged by the labels of the entry's moment (entries from before the store kept them fall
     * back to the label of now), so that a record taken from a caller once shows one removal, whether
     * it was retracted or relabelled away, and whenever the caller reads the log.
     */
    private Seen seen(CompiledSubject subject, RecordChange c) {
        RecordMetadata m = c.record();
        String then = c.label().orElse(m.label().json());
        boolean gone = m.state() == RecordState.RETRACTED;
        return switch (c.entry().kind()) {
            case RETRACTED -> permits(then, subject, m.id()) ? Seen.AS_REMOVED : Seen.NOTHING;
            case PUBLISHED, RELABELED -> {
                boolean now = !gone && permits(m.label().json(), subject, m.id());
                if (now) yield Seen.IN_FULL;
                boolean lostHere = c.previousLabel().filter(before -> permits(before, subject, m.id())).isPresent()
                        && !permits(then, subject, m.id());
                yield lostHere ? Seen.AS_REMOVED : Seen.NOTHING;
            }
        };
    }

    /** Whether a stored label permits the subject; a label this node's policies no longer read permits nobody. */
    private boolean permits(String labelJson, CompiledSubject subject, String recordId) {
        return readable(labelJson, recordId).map(label -> label.permits(subject)).orElse(false);
    }

    /**
     * A stored label, compiled; empty if this node's policies no longer read it (a policy changed
     * under stored labels): nobody may see such a record, and neither a read, a listing nor the change
     * log may fail at it. Logged once per label, not at every read past it.
     */
    private Optional<CompiledLabel> readable(String labelJson, String recordId) {
        if (unreadableLabels.get(labelJson) != null) return Optional.empty();
        try {
            return Optional.of(compiledLabel(labelJson));
        } catch (io.bulwark.label.LabelError e) {
            unreadableLabels.put(labelJson, Boolean.TRUE);
            LOG.warn("record {}: its label cannot be read under this node's policies ({}); records with it are shown to nobody",
                    recordId, e.getMessage());
            return Optional.empty();
        }
    }

    /** This node's latest change-log position: where a caller that wants only what comes next starts. */
    public long latestChange(Principal principal) {
        requireRole(principal, Role.ANALYST, "read the changes to records");
        return metadata.lastSeq();
    }

    /** Standing requests for changes answer now, and later ones do not wait: the node is stopping. */
    void stopWaits() {
        waitsStopped = true;
        metadata.committed().signal();
    }

    /**
     * Retracts a record: only analysts of the origin nation who may read it. A signed tombstone
     * replaces it and its blob is deleted.
     */
    public synchronized boolean retract(Principal principal, String id) {
        requireRole(principal, Role.ANALYST, "retract records");
        Optional<RecordMetadata> meta = visible(principal, id, "retract");
        if (meta.isEmpty()) return false;
        if (!meta.get().originNation().equals(nation) || !principal.nationality().equals(nation)) {
            throw Problem.forbidden("only users of the origin nation " + meta.get().originNation() + " may retract this record");
        }
        Tombstone tombstone;
        try {
            tombstone = Tombstone.sign(signingKeys.get(), nation, meta.get().originNode(), RecordId.parse(id), clock.instant(), principal.name());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the tombstone", e);
        }
        StoreResult<ChangeReceipt> result = metadata.retract(id, tombstone.encode(), tombstone.at());
        if (!(result instanceof StoreResult.Success<ChangeReceipt> done)) return false;
        blobs.delete(meta.get().blob().key());
        audit.record(Type.RETRACT, Auditor.actor(principal), id, Outcome.SUCCESS, Map.of());
        // Expect the holders' confirmations before waking the feed: once it has sent the retraction,
        // the holdings no longer name them, and a quick acknowledgement would find nothing to confirm.
        changes.dropping(id, "retraction", done.value().seq(), n -> false);
        changes.committed();
        return true;
    }

    /**
     * Relabels a record: only users of the origin nation who may read it and the new label alike. The
     * record is sealed anew under the same id (key access for the nations the new label releases to);
     * peers that may no longer hold it are told to delete it, and owe a confirmation.
     *
     * <p>Relabel, retraction and {@link #grantAccess} each replace a record's version from the one
     * they read: they run one at a time (they are rare), or a re-seal for a new peer that read the
     * record before a relabel committed would commit the old label again after it.
     */
    public synchronized Published relabel(Principal principal, String id, String labelText) {
        requireRole(principal, Role.ANALYST, "relabel records");
        Optional<RecordMetadata> meta = visible(principal, id, "relabel");
        if (meta.isEmpty()) throw Problem.notFound();
        if (!meta.get().originNation().equals(nation) || !principal.nationality().equals(nation)) {
            throw Problem.forbidden("only users of the origin nation " + meta.get().originNation() + " may relabel this record");
        }
        ReadLabel read = readLabel(labelText);
        ConfidentialityLabel label = read.label();
        CompiledLabel compiled = read.compiled();
        if (!compiled.permits(subject(principal))) {
            throw Problem.forbidden("you may not give a record a label you could not read yourself: " + compiled.decide(subject(principal)).reason());
        }
        if (!compiled.releasableTo(nation)) {
            throw Problem.unprocessable("Label not releasable here", "the new label does not release the record to this node's nation " + nation);
        }
        SealedRecord old = opener.verify(readBlob(meta.get()));
        byte[] payload = opener.openAll(old);
        SealedRecord sealed;
        try {
            sealed = signer.seal(() -> sealer.prepareRelabel(old.header(), label, old.residency(), payload));
        } catch (InvalidRecordException e) {
            throw Problem.unprocessable("Cannot relabel", e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sealing");
        }
        // The new version goes under a new key, so the old one stays whole until the metadata points away.
        // Same residency as before: the sites that met it then are asked to meet it again.
        ResidencyPolicy residency = ResidencyPolicy.parse(old.residency(), policies);
        BlobRef blob = switch (blobs.put(versionKey(id, sealed), residency, sealed.encode(), sealed.encodingDigest())) {
            case ReplicatedBlobStore.Stored s -> s.ref();
            // As for a publish: refused before anything is written, so nothing is left behind.
            case Placement.Refused r -> throw new Problem(r.unavailable() ? 503 : 422,
                    r.unavailable() ? "Storage unavailable" : "Residency cannot be met", "residency " + residency + ": " + r);
        };
        StoreResult<ChangeReceipt> result = metadata.relabel(id, labelMetadata(sealed.label()), blob, sealed.contentDigest());
        if (!(result instanceof StoreResult.Success<ChangeReceipt> done)) {
            blobs.delete(blob.key());
            throw Problem.notFound();
        }
        if (!meta.get().blob().key().equals(blob.key())) blobs.delete(meta.get().blob().key());
        String marking = policies.canonicalMarking(sealed.label());
        audit.record(Type.RELABEL, Auditor.actor(principal), id, Outcome.SUCCESS,
                Map.of("old", policies.canonicalMarking(old.label()), "new", marking));
        changes.dropping(id, "withdrawal", done.value().seq(), compiled::releasableTo); // before the feed wakes, as in retract
        changes.committed();
        return new Published(id, sealed.label(), marking, meta.get().contentType(),
                meta.get().payloadSize(), meta.get().createdAt(), residency.toString());
    }

    /**
     * Seals one of this node's records anew, same id and label, with key access for every nation the
     * label releases it to whose key is now known, each under its current epoch — for a peer
     * introduced after the record was sealed, or one whose node was made anew with other keys. The
     * stored version is returned as it is if its key access for {@code forNation} is under an epoch
     * that {@code opens}. Returns the stored bytes; empty if the record is no longer active under the
     * label and residency {@code m} has — the caller decided on those, and a relabel meanwhile has its
     * own change-log entry (so nothing sealed under a label that may not release the record to
     * {@code forNation} goes out).
     */
    public synchronized Optional<byte[]> grantAccess(RecordMetadata m, String forNation, java.util.function.Predicate<KeyId> opens) {
        Optional<RecordMetadata> now = metadata.find(m.id()).filter(r -> r.state() == RecordState.ACTIVE
                && r.label().json().equals(m.label().json()) && r.residency().equals(m.residency()));
        if (now.isEmpty()) return Optional.empty();
        RecordMetadata current = now.get();
        SealedRecord old = opener.verify(readBlob(current));
        if (old.keyAccess().stream().anyMatch(k -> k.nation().equals(forNation) && opens.test(k.epochKeyId()))) return Optional.of(old.encode());
        SealedRecord sealed;
        try {
            byte[] plain = opener.openAll(old);
            sealed = signer.seal(() -> sealer.prepareRelabel(old.header(), old.label(), old.residency(), plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sealing");
        }
        byte[] bytes = sealed.encode();
        BlobRef blob = blobs.putOrThrow(versionKey(m.id(), sealed), ResidencyPolicy.parse(old.residency(), policies), bytes, sealed.encodingDigest());
        if (!(metadata.relabel(m.id(), current.label(), blob, sealed.contentDigest()) instanceof StoreResult.Success<ChangeReceipt>)) {
            blobs.delete(blob.key());
            throw new IllegalStateException("record " + m.id() + " changed while it was sealed anew");
        }
        blobs.delete(current.blob().key());
        changes.committed();
        return Optional.of(bytes);
    }

    private Optional<byte[]> tryReadBlob(RecordMetadata m) {
        Optional<InputStream> in;
        try {
            in = blobs.open(m.blob().key());
        } catch (io.bulwark.store.StoreException e) {
            throw new Problem(503, "Storage unavailable", "no replica of record " + m.id() + " can be read now; try again later");
        }
        if (in.isEmpty()) return Optional.empty();
        try (InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read record " + m.id() + " from storage", e);
        }
    }

    private byte[] readBlob(RecordMetadata m) {
        return tryReadBlob(m).orElseThrow(() -> new IllegalStateException("record " + m.id() + " has metadata but no blob"));
    }

    private ResidencyPolicy residency(String text) {
        if (text == null || text.isBlank()) return defaultResidency;
        try {
            return ResidencyPolicy.parse(text, policies);
        } catch (InvalidResidencyException e) {
            throw Problem.badRequest(e.getMessage());
        }
    }

    static void requireRole(Principal principal, Role role, String what) {
        if (!principal.has(role)) {
            throw Problem.forbidden("the role " + role.id() + " is needed to " + what + "; you have " + principal.roles());
        }
    }

    /**
     * A label as received, read: everything derived from its text alone under this node's policies —
     * the valid label, compiled (with its JSON and canonical marking), and its metadata for the store.
     */
    record ReadLabel(CompiledLabel compiled, LabelMetadata metadata) {
        ConfidentialityLabel label() {
            return compiled.label();
        }
    }

    /**
     * Reads a label as received (XML, JSON or a marking). Texts read before are answered from a
     * bounded cache keyed by the exact text; a text that fails is read (and refused) again each time.
     */
    ReadLabel readLabel(String text) {
        if (text == null || text.length() > CACHED_LABEL_CHARS) {
            return readLabelUncached(text);
        }
        return labelsByText.get(text, this::readLabelUncached);
    }

    private ReadLabel readLabelUncached(String text) {
        if (text == null || text.isBlank()) {
            throw Problem.badRequest("the label is missing: send it in the Bulwark-Label header, e.g. NATO SECRET//REL TO DEU, FRA");
        }
        String t = text.strip();
        LabelFormat format = t.startsWith("<") ? LabelFormat.XML : t.startsWith("{") ? LabelFormat.JSON : LabelFormat.MARKING;
        CompiledLabel compiled;
        try {
            compiled = policies.compile(policies.decode(format, t));
        } catch (InvalidLabelException e) {
            throw Problem.unprocessable("Invalid label", e.getMessage());
        }
        return new ReadLabel(compiled, labelMetadata(compiled));
    }

    LabelMetadata labelMetadata(ConfidentialityLabel label) {
        return labelMetadata(policies.compile(label));
    }

    private static LabelMetadata labelMetadata(CompiledLabel compiled) {
        ConfidentialityLabel label = compiled.label();
        List<String> values = new ArrayList<>();
        for (Category c : label.categories()) {
            for (String v : c.values()) if (!values.contains(v)) values.add(v);
        }
        return new LabelMetadata(compiled.json(), label.policy(), label.classification(), values);
    }

    void close() {
        signer.close();
    }
}
