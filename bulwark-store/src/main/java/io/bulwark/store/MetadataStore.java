package io.bulwark.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A node's record metadata and its change log.
 *
 * <h2>Contract every implementation keeps</h2>
 * <ul>
 *   <li><b>Durable acknowledgement.</b> When a mutating method returns, its change is committed and
 *       survives a crash (kill -9, power loss) of the process or the machine.</li>
 *   <li><b>Atomic change log.</b> Every change to a record and its change-log entry are committed in
 *       one transaction: there is never a record change without its entry, nor an entry without its
 *       change.</li>
 *   <li><b>Sequence numbers.</b> Change-log sequence numbers are positive, strictly increasing in
 *       commit order and never reused, also across restarts; a reader that has seen every entry up
 *       to {@code n} misses nothing by asking {@link #changesSince(long, int) changesSince(n, …)}.</li>
 *   <li><b>Exactly-once effect.</b> Redelivering a change the store already holds (the same
 *       publication, the same retraction, the same label) writes nothing and returns the earlier
 *       change's sequence number with {@link ChangeReceipt#replayed()} set.</li>
 *   <li><b>Expected outcomes are values.</b> A missing record is {@link StoreResult.NotFound}; a
 *       request that clashes with what is stored is {@link StoreResult.Conflict}. Bad input is an
 *       {@link InvalidInputException}, raised before anything is written. A database fault is a
 *       {@link StoreException}, after which the change is not applied.</li>
 *   <li><b>No counting of hidden records.</b> The store offers no count: the node decides what a
 *       caller may see, and counts only that. {@link #scan} pages over what the caller may see, a
 *       bounded window of rows a page: a hidden record never appears on a page or counts towards
 *       its size, but a page's cursor may name one, so cursors leave the node sealed.</li>
 *   <li><b>Thread safety.</b> Every method may be called from many threads (virtual threads
 *       included) at once. Concurrent writes are group-committed: many callers are acknowledged by
 *       one commit.</li>
 * </ul>
 *
 * <p>Metadata is written after the record's blob is durable (see {@link OrphanSweeper}), so a record
 * this store lists always has its bytes.
 */
public interface MetadataStore extends AutoCloseable {

    /** The largest {@code limit} for {@link #changesSince}. */
    int MAX_CHANGES = 10_000;

    /**
     * Stores a new record and appends {@link ChangeKind#PUBLISHED} to the change log, in one
     * transaction.
     *
     * @param record an {@link RecordState#ACTIVE active} record (retract it afterwards if need be)
     * @return the receipt with the PUBLISHED entry's seq; if a record with this id is already stored
     *         and is {@link RecordMetadata#samePublication the same publication}, the existing
     *         entry's seq marked {@link ChangeReceipt#replayed() replayed} (whatever the record's
     *         label or state has become since); if it is another publication under the same id,
     *         {@link StoreResult.Conflict}
     * @throws InvalidRecordException if the record is retracted
     */
    StoreResult<ChangeReceipt> insert(RecordMetadata record);

    /**
     * Inserts each record as {@link #insert} would, all in one transaction (one commit).
     *
     * @return one result per record, in the order given; a record repeated within the list is a
     *         replay of (or a conflict with) its first occurrence
     * @throws InvalidRecordException if any record is retracted; then none is inserted
     */
    List<StoreResult<ChangeReceipt>> insertAll(List<RecordMetadata> records);

    /**
     * As {@link #insert(RecordMetadata)}, and in the same transaction records where the record's
     * blob replicas lie ({@code placements}: site id → replica, under the blob's key and the
     * record's residency): a record and its placements become durable together, in one commit. An
     * insert that does not succeed records no placements.
     */
    StoreResult<ChangeReceipt> insert(RecordMetadata record, Map<String, BlobRef> placements);

    /** As {@link #insertAll(List)}, each record with its placements as {@link #insert(RecordMetadata, Map)} does; one map per record. */
    List<StoreResult<ChangeReceipt>> insertAll(List<RecordMetadata> records, List<Map<String, BlobRef>> placements);

    /** The record with this id, in whatever state; empty if none. */
    Optional<RecordMetadata> find(String id);

    /**
     * Marks a record {@link RecordState#RETRACTED}, keeping the signed tombstone, and appends
     * {@link ChangeKind#RETRACTED}, in one transaction. The row stays, so that the retraction can be
     * replicated and shown; its blob is left for the node to remove.
     *
     * @param tombstone the signed tombstone (opaque to the store), non-empty
     * @param at        when the record was retracted
     * @return the RETRACTED entry's receipt; if the record was already retracted with this very
     *         tombstone and time, that entry's seq marked replayed; {@link StoreResult.NotFound} if
     *         no record has this id; {@link StoreResult.Conflict} if it was retracted otherwise
     */
    StoreResult<ChangeReceipt> retract(String id, byte[] tombstone, Instant at);

    /**
     * Replaces the tombstone of a retracted record, if it is still {@code expected}, with another:
     * a replica this node withdrew itself (its marker) that its origin's signed tombstone now
     * retracts for good. The record stays retracted and the change log gains no entry (nothing a
     * reader sees changes); compare-and-set, so a retraction stored meanwhile is never overwritten.
     *
     * @return the receipt of the record's RETRACTED entry (no entry is added), marked replayed if
     *         this very tombstone and time are stored already; {@link StoreResult.NotFound} if no
     *         record has this id; {@link StoreResult.Conflict} if it is active or retracted otherwise
     */
    StoreResult<ChangeReceipt> replaceTombstone(String id, byte[] expected, byte[] tombstone, Instant at);

    /**
     * Replaces a record's label, the place of its sealed bytes and its content digest (a relabel
     * seals the record anew), and appends {@link ChangeKind#RELABELED}, in one transaction. The new
     * blob must be durable before; the old one is left for the node to remove.
     *
     * @return the RELABELED entry's receipt; if the record already carries exactly this label and
     *         blob and digest, the seq of the change that gave it (PUBLISHED or RELABELED) marked replayed;
     *         {@link StoreResult.NotFound} if no record has this id; {@link StoreResult.Conflict} if
     *         the record is retracted
     */
    StoreResult<ChangeReceipt> relabel(String id, LabelMetadata newLabel, BlobRef newBlob, String newContentDigest);

    /**
     * Appends {@link ChangeKind#RELABELED} for an active record and changes nothing else: the entry's
     * label before and after are the record's label. For a record the node's policies could not read
     * for a while, so that whoever reads the change log past it (a peer's feed) judges it again.
     *
     * @return the entry's receipt; {@link StoreResult.NotFound} if no record has this id;
     *         {@link StoreResult.Conflict} if the record is retracted
     */
    StoreResult<ChangeReceipt> reissue(String id);

    /**
     * Makes a retracted record active again under a label, blob and content digest, and appends
     * {@link ChangeKind#RELABELED}, in one transaction. For a replica this node dropped itself when its
     * origin relabelled it away, and that the origin now releases to it again; the caller decides that
     * the retraction is such a withdrawal and not the origin's tombstone (which is final). The new blob
     * must be durable before.
     *
     * @return the RELABELED entry's receipt; {@link StoreResult.NotFound} if no record has this id;
     *         {@link StoreResult.Conflict} if the record is active
     */
    StoreResult<ChangeReceipt> reinstate(String id, LabelMetadata label, BlobRef blob, String contentDigest);

    /**
     * A row of a listing as far as deciding who may see it takes: its id, creation time and label
     * (JSON, as {@link LabelMetadata#json()}). {@link #scan} decides on candidates, and reads whole
     * only the records it shows.
     */
    record Candidate(String id, Instant createdAt, String labelJson) {
        /** The candidate a record is. */
        public static Candidate of(RecordMetadata m) {
            return new Candidate(m.id(), m.createdAt(), m.label().json());
        }
    }

    /**
     * The rows one page reads at most in listing order, whatever its filters and its caller's
     * visibility pass over, unless a scan gives its own window: bounds a page's cost.
     */
    int SCAN_WINDOW = 10_000;

    /**
     * One page of records matching the query, newest first (creation time, then id, descending),
     * from the next {@value #SCAN_WINDOW} records in listing order (see {@link #scan} for what a
     * window counts).
     * The page holds up to {@link RecordQuery#pageSize()} records — fewer, even none, if the window
     * ends first or a record found stops matching before it is read whole; it has a next cursor if
     * the page is full and another matching record follows, or if the window ended before the
     * listing did.
     */
    Page<RecordMetadata> list(RecordQuery query);

    /**
     * One page of the records matching the query <em>that the caller may see</em>, newest first,
     * read from the next {@code window} records in listing order from the cursor, or from the
     * query's {@code createdBefore} (all of them, whatever the query's other filters, its
     * {@code createdAfter}, their state or visibility), {@link RecordQuery#pageSize()} rows per round
     * trip, until it has {@code pageSize} visible records, the window ends or the listing does.
     * {@code createdAfter} filters rows but never ends a window or the listing early: whether a
     * window reaches past it would tell the caller, who chooses it, where hidden records lie; so a
     * listing with {@code createdAfter} goes on, page by cheap page, to the oldest record.
     *
     * <p>{@code visible} decides on each row's {@link Candidate}; the records shown are then read
     * whole and decided again on their label at that moment, so that one relabelled in between is
     * never shown under a label that no longer lets the caller see it (it is left out).
     *
     * <p><b>Security guarantees.</b> A record for which {@code visible} is false never appears on a
     * page and never counts towards its size. A page that ends full has a next cursor only if a
     * further <em>visible</em> record exists in the window, and it names that record's position (the
     * first row of the next page), so the hidden rows passed over are not read again. A page that
     * ends with its window has a next cursor naming the first row beyond the window, which the
     * caller may not be allowed to see: so a cursor must leave the node sealed (the node's HTTP API
     * seals it). What a page tells of hidden records is whether its window ended before the
     * listing did: that at least so many rows lie below the page's start — from
     * {@code createdBefore}, a point the caller chooses, the creation times of every
     * {@code window}-th record counted from the oldest. Paging with the cursors returns every visible
     * record exactly once, as long as visibility does not change in between.
     *
     * <p>{@code visible} is called without any database resource held; it may block.
     *
     * @param pageSize the number of visible records per page, 1 to {@value RecordQuery#MAX_PAGE_SIZE}
     * @param window   the most rows the page reads, at least {@code pageSize}
     * @throws InvalidQueryException if {@code pageSize} or {@code window} is out of range
     */
    Page<RecordMetadata> scan(RecordQuery query, Predicate<? super Candidate> visible, int pageSize, int window);

    /**
     * Change-log entries with a sequence number greater than {@code seq}, in sequence order: what a
     * replica that has applied everything up to {@code seq} must apply next.
     *
     * @param seq   the last sequence number the reader has; 0 for the beginning
     * @param limit the most entries to return, 1 to {@value #MAX_CHANGES}
     * @throws InvalidQueryException if {@code seq} is negative or {@code limit} out of range
     */
    List<ChangeEntry> changesSince(long seq, int limit);

    /**
     * Of the change-log entries after {@code seq}, the entries of the records published by one origin
     * node, each with its record: what a node needs to feed its own records to peers on a log that also
     * holds records it received (the others are skipped inside the store, not read one by one).
     *
     * <p>The read covers the first {@code limit} entries after {@code seq}, <em>of any origin</em>,
     * exactly those that {@link #changesSince(long, int) changesSince(seq, limit)} returns; of them it
     * returns, in sequence order, those whose record has this {@code originNation} and
     * {@code originNode}, each with the record as it is now, in whatever state (a retracted record
     * comes with its retraction). {@link OriginChanges#read()} says how many entries were read and
     * {@link OriginChanges#lastSeq()} the last one's sequence number ({@code seq} if none), whatever
     * their origin: a reader that continues after {@code lastSeq} misses none of the origin's entries
     * and reads no skipped entry again.
     *
     * @param seq           the last sequence number the reader has; 0 for the beginning
     * @param originNation  the origin's nation, as in {@link RecordMetadata#originNation()}
     * @param originNode    the origin node's name, as in {@link RecordMetadata#originNode()}
     * @param limit         the most entries to read (of any origin), 1 to {@value #MAX_CHANGES}
     * @throws InvalidQueryException if {@code seq} is negative or {@code limit} out of range
     */
    OriginChanges originChangesSince(long seq, String originNation, String originNode, int limit);

    /**
     * Change-log entries with a sequence number greater than {@code seq}, in sequence order, each with
     * its record as it is now: what a reader that shows changes record by record (filtered by who may
     * see each) needs, in one read.
     *
     * @param seq   the last sequence number the reader has; 0 for the beginning
     * @param limit the most entries to return, 1 to {@value #MAX_CHANGES}
     * @throws InvalidQueryException if {@code seq} is negative or {@code limit} out of range
     */
    List<RecordChange> recordChangesSince(long seq, int limit);

    /** The sequence number of the latest change-log entry; 0 if the log is empty. */
    long lastSeq();

    /**
     * Signalled after every commit that appended to the change log (and when the store closes), once
     * {@link #lastSeq()} gives the new entries: a reader that waits for changes reads the signal's
     * {@link ChangeSignal#version() version}, then {@code lastSeq()} (and the log, if it grew), and
     * awaits a move past that version only if it found nothing new.
     */
    ChangeSignal committed();

    /**
     * Which of these blob keys an active record refers to: the blobs a sweep must keep. A retracted
     * record's blob is deleted when it is retracted; if a crash prevented that, the sweep does it.
     *
     * @return the subset of {@code blobKeys} that are referenced
     */
    Set<String> referencedBlobKeys(Collection<String> blobKeys);

    /**
     * Gives every blob key an active record refers to to {@code sink}, in one pass and no
     * particular order: how a sweep of a large store learns them all ({@link ReferencedBlobKeys}).
     */
    void forEachReferencedBlobKey(Consumer<String> sink);

    /**
     * Commits what was already submitted, then releases the database. Later calls raise
     * {@link StoreException}.
     */
    @Override
    void close();
}
