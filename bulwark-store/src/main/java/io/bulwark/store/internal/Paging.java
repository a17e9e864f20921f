package io.bulwark.store.internal;

import io.bulwark.store.MetadataStore;
import io.bulwark.store.Page;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.bulwark.store.internal.Cursors.Position;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Keyset paging over (created_at desc, id desc) with a visibility filter applied between round
 * trips, shared by every metadata store so that all of them page identically. A page reads at most a
 * window of rows in listing order, so that its cost is bounded whatever the filters and the caller's
 * visibility pass over.
 */
public final class Paging {

    /** Reads matching rows in listing order. */
    public interface Fetch {
        /**
         * One batch of the rows matching the query's filters, as candidates.
         *
         * @param from      where to start; empty for the newest row
         * @param inclusive whether the row at {@code from} itself may be returned
         * @param until     where to stop: rows before it only (it is not returned); empty for no end
         * @param limit     the most rows to return
         */
        List<MetadataStore.Candidate> candidates(Optional<Position> from, boolean inclusive, Optional<Position> until, int limit);

        /** The records with these ids (at most a page of them) that match the query's filters now, by id. */
        Map<String, RecordMetadata> records(List<String> ids);

        /**
         * The position of the row {@code n} rows on from {@code from} (or from the query's
         * {@code createdBefore}), counting every row whatever the query's other filters, its
         * {@code createdAfter} and the row's state; empty if fewer follow.
         */
        Optional<Position> windowEnd(Optional<Position> from, boolean inclusive, int n);
    }

    /** The rows a trip reads once hidden rows made the first fall short (more if a page needs more). */
    static final int MAX_FETCH = 1024;

    private Paging() {
    }

    /**
     * A page of up to {@code pageSize} visible rows from the next {@code window} rows in listing
     * order. Fetches {@code fetchSize} candidates at a time until it has found one visible row more
     * than the page holds (the next page's first row: its position becomes the cursor), the window's
     * end (the first row beyond it becomes the cursor, whether the caller may see it or not: the
     * cursor must leave the store sealed) or the end of the listing (no cursor). Hidden rows already
     * passed over are not fetched again. Trips after the first read at least {@value #MAX_FETCH} rows.
     *
     * <p>A candidate is only what deciding visibility takes; the page's records are read whole at the
     * end, and each is decided again on its label then: one relabelled or retracted in between is
     * left out rather than shown under a label that no longer lets the caller see it.
     */
    public static Page<RecordMetadata> page(RecordQuery query, Predicate<? super MetadataStore.Candidate> visible,
                                            int pageSize, int fetchSize, int window, Fetch fetch) {
        Optional<Position> from = query.cursor().map(Cursors::decode);
        boolean inclusive = true; // a cursor names the first row of its page
        Optional<Position> until = fetch.windowEnd(from, inclusive, window);
        List<MetadataStore.Candidate> shown = new ArrayList<>(Math.min(pageSize, 1024));
        Optional<Position> next;
        read:
        while (true) {
            List<MetadataStore.Candidate> rows = fetch.candidates(from, inclusive, until, fetchSize);
            for (MetadataStore.Candidate row : rows) {
                if (!visible.test(row)) {
                    continue;
                }
                if (shown.size() == pageSize) {
                    next = Optional.of(positionOf(row));
                    break read;
                }
                shown.add(row);
            }
            if (rows.size() < fetchSize) {
                next = until;
                break;
            }
            from = Optional.of(positionOf(rows.getLast()));
            inclusive = false;
            // Rows the caller may not see fill this trip: read on in larger ones, so that a page past
            // many hidden rows costs a few queries, not one for every pageSize + 1 of them.
            fetchSize = Math.max(fetchSize, MAX_FETCH);
        }
        Map<String, RecordMetadata> whole = shown.isEmpty() ? Map.of() : fetch.records(shown.stream().map(MetadataStore.Candidate::id).toList());
        List<RecordMetadata> items = new ArrayList<>(shown.size());
        for (MetadataStore.Candidate c : shown) {
            RecordMetadata m = whole.get(c.id());
            if (m != null && visible.test(MetadataStore.Candidate.of(m))) items.add(m);
        }
        return new Page<>(items, next.map(Cursors::encode));
    }

    private static Position positionOf(MetadataStore.Candidate c) {
        return new Position(c.createdAt().toEpochMilli(), c.id());
    }
}
