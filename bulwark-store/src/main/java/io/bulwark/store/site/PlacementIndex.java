package io.bulwark.store.site;

import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where each record's replicas are, and the residency it must keep: what {@link Evacuation} and
 * {@link Repair} read and update. The node implements it over its metadata store (see
 * {@code docs/decisions/2026-11-27-storage-sites.md}); {@link InMemoryPlacementIndex} serves tests.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #replace} is atomic and conditional: it takes effect only if the record's placements
 *       are still exactly {@code expected}, so a copy made while the record was retracted or
 *       re-placed never overwrites the newer state.</li>
 *   <li>A replace returns only once durable: after it, the old replicas may be deleted.
 *       {@link #replaceAll} does many at once, each as {@link #replace} would.</li>
 *   <li>Paging is by record id, ascending; records added during a scan may or may not be seen.</li>
 * </ul>
 */
public interface PlacementIndex {

    /**
     * A record's replicas.
     *
     * @param recordId   the record
     * @param residency  the policy its replicas must keep
     * @param placements site id → the replica there; never empty
     */
    record Entry(String recordId, ResidencyPolicy residency, SortedMap<String, BlobRef> placements) {
        public Entry {
            Objects.requireNonNull(recordId, "recordId");
            Objects.requireNonNull(residency, "residency");
            if (placements.isEmpty()) throw new IllegalArgumentException("record " + recordId + " has no placement");
            placements = Collections.unmodifiableSortedMap(new TreeMap<>(placements));
        }

        /** The stored blob (the same at every site). */
        public BlobRef ref() {
            return placements.values().iterator().next();
        }
    }

    /** The record's entry, if it has one. */
    Optional<Entry> get(String recordId);

    /**
     * Records with at least one replica on one of these sites (every record if {@code siteIds} is
     * empty), with ids greater than {@code after} ({@code ""}: from the start), at most {@code limit}.
     */
    List<Entry> page(Set<String> siteIds, String after, int limit);

    /**
     * Sets the record's placements to {@code next} if they are still {@code expected}.
     *
     * @return whether it did; {@code false} if the record changed or is gone
     */
    boolean replace(String recordId, Map<String, BlobRef> expected, Map<String, BlobRef> next);

    /** One conditional {@link #replace}: the record's placements become {@code next} if they are still {@code expected}. */
    record Replacement(String recordId, Map<String, BlobRef> expected, Map<String, BlobRef> next) {
        public Replacement {
            Objects.requireNonNull(recordId, "recordId");
            expected = Map.copyOf(expected);
            next = Map.copyOf(next);
        }
    }

    /**
     * Does each replacement as {@link #replace} does — each conditional and atomic — and returns
     * once all are durable. An index over a database does them in one transaction: one disk sync
     * for a batch of records instead of one per record.
     *
     * @return the ids of the records whose placements it replaced
     */
    default Set<String> replaceAll(List<Replacement> replacements) {
        Set<String> replaced = new java.util.HashSet<>();
        for (Replacement r : replacements) {
            if (replace(r.recordId(), r.expected(), r.next())) replaced.add(r.recordId());
        }
        return replaced;
    }
}
