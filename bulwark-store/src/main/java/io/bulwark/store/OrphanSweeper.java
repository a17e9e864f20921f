package io.bulwark.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Removes what crashed writes leave behind in a {@link BlobStore}: blobs that no record refers to,
 * and partial writes. Run it at startup, before the node takes writes, and then as often as wanted.
 *
 * <h2>The durability protocol</h2>
 * A record is stored in two steps, in this order:
 * <ol>
 *   <li>{@link BlobStore#put} the sealed bytes; it returns once they are durable under their key.</li>
 *   <li>{@link MetadataStore#insert} the metadata (with the blob's {@link BlobRef}); it returns once
 *       the row and its change-log entry are committed durably. Only now is the write acknowledged.</li>
 * </ol>
 * A crash before step 1 completes leaves at most a temporary file; a crash between the steps leaves
 * an <em>orphan</em> blob, stored but not referenced. Neither is ever visible: records are found
 * only through metadata, and metadata is never committed before its blob is durable. So a listed
 * record always has its bytes, and the only debris is unreferenced bytes, which this sweeper
 * deletes. Deletion runs the other way: a node retracting or evacuating a record changes the
 * metadata first and deletes the blob after. A crash between leaves a blob that only a retracted
 * record names (or none); only active records keep their blobs, so the sweep deletes it, and so a
 * retraction's promise — the ciphertext is gone — holds after a crash too.
 *
 * <h2>The grace period</h2>
 * A blob is deleted only if it is unreferenced <em>and</em> was last written more than the grace
 * period ago; a temporary file only if it was started more than the grace period ago. A write in
 * progress has a blob without a row for the moment between its two steps, so the grace period must
 * be longer than that moment ever lasts; the default of one hour is generous. At startup nothing is
 * in progress, and any grace period is safe.
 */
public final class OrphanSweeper {

    /** The default grace period. */
    public static final Duration DEFAULT_GRACE = Duration.ofHours(1);

    private static final Logger LOG = LoggerFactory.getLogger(OrphanSweeper.class);
    private static final int CHUNK = 500;

    /**
     * What a sweep did.
     *
     * @param blobsExamined     blobs listed
     * @param orphansDeleted    unreferenced blobs older than the grace period, deleted
     * @param misplacedDeleted  referenced blobs older than the grace period that belong elsewhere, deleted here
     * @param incompleteDeleted partial writes older than the grace period, deleted
     */
    public record Report(long blobsExamined, long orphansDeleted, long misplacedDeleted, long incompleteDeleted) {
    }

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final Duration grace;
    private final Clock clock;

    /** A sweeper with the {@link #DEFAULT_GRACE default grace period} and the system clock. */
    public OrphanSweeper(MetadataStore metadata, BlobStore blobs) {
        this(metadata, blobs, DEFAULT_GRACE, Clock.systemUTC());
    }

    /**
     * @param grace how old an unreferenced blob or a partial write must be before it is deleted; not
     *              negative
     */
    public OrphanSweeper(MetadataStore metadata, BlobStore blobs, Duration grace, Clock clock) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.blobs = Objects.requireNonNull(blobs, "blobs");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative: " + grace);
        }
        this.grace = grace;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Deletes old partial writes, then every blob older than the grace period that no record
     * refers to.
     *
     * @throws StoreException if either store fails; what was deleted until then stays deleted,
     *                        which is safe, and the next sweep carries on
     */
    public Report sweep() {
        return sweep(ReferencedBlobKeys.snapshot(metadata));
    }

    /**
     * As {@link #sweep()}, with the referenced keys read before (one snapshot can serve the sweeps of
     * several stores). A blob the snapshot does not name is looked up again before it is deleted, so
     * a record stored since the snapshot keeps its blob.
     */
    public Report sweep(ReferencedBlobKeys referenced) {
        return sweep(referenced, key -> false);
    }

    /**
     * As {@link #sweep(ReferencedBlobKeys)}, and deletes too the referenced blobs this store holds
     * that belong elsewhere: a replica left on a site its record's placements no longer name (an
     * evacuation or a removal that could not reach the site). {@code misplaced} must be exact (it is
     * asked once per such blob, just before the delete): a blob it names is deleted from this store.
     */
    public Report sweep(ReferencedBlobKeys referenced, Predicate<String> misplaced) {
        Instant cutoff = clock.instant().minus(grace);
        long incomplete = blobs.deleteIncomplete(cutoff);
        long examined = 0;
        long orphans = 0;
        long elsewhere = 0;
        List<String> candidates = new ArrayList<>();
        try (Stream<BlobEntry> listed = blobs.list()) {
            for (Iterator<BlobEntry> it = listed.iterator(); it.hasNext(); ) {
                BlobEntry e = it.next();
                examined++;
                if (!e.lastModified().isBefore(cutoff)) continue;
                if (!referenced.mayBeReferenced(e.key())) {
                    candidates.add(e.key());
                    if (candidates.size() == CHUNK) {
                        orphans += deleteUnreferenced(candidates);
                        candidates.clear();
                    }
                } else if (misplaced.test(e.key()) && blobs.delete(e.key())) {
                    LOG.debug("orphan sweep: deleted blob {}, whose placements name other sites", e.key());
                    elsewhere++;
                }
            }
        }
        orphans += deleteUnreferenced(candidates);
        Report report = new Report(examined, orphans, elsewhere, incomplete);
        if (orphans > 0 || elsewhere > 0 || incomplete > 0) {
            LOG.info("orphan sweep: {} blobs examined, {} orphan blobs, {} replicas belonging elsewhere and {} partial writes deleted",
                    examined, orphans, elsewhere, incomplete);
        }
        return report;
    }

    private long deleteUnreferenced(List<String> keys) {
        if (keys.isEmpty()) return 0;
        Set<String> referenced = metadata.referencedBlobKeys(keys);
        long deleted = 0;
        for (String key : keys) {
            if (!referenced.contains(key) && blobs.delete(key)) {
                LOG.debug("orphan sweep: deleted unreferenced blob {}", key);
                deleted++;
            }
        }
        return deleted;
    }
}
