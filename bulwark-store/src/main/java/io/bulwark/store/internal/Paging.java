package io.bulwark.store.internal;

import io.bulwark.store.Page;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.bulwark.store.internal.Cursors.Position;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Keyset paging over (created_at desc, id desc) with a visibility filter applied between round
 * trips, shared by every metadata store so that all of them page identically.
 */
public final class Paging {

    /** Reads one batch of matching rows in listing order, starting at or after a position. */
    @FunctionalInterface
    public interface Fetch {
        /**
         * @param from      where to start; empty for the newest row
         * @param inclusive whether the row at {@code from} itself may be returned
         * @param limit     the most rows to return
         */
        List<RecordMetadata> rows(Optional<Position> from, boolean inclusive, int limit);
    }

    /** The rows a trip reads once hidden rows made the first fall short (more if a page needs more). */
    static final int MAX_FETCH = 1024;

    private Paging() {
    }

    /**
     * A page of up to {@code pageSize} visible rows. Fetches {@code fetchSize} rows at a time until
     * it has found one visible row more than the page holds (the next page's first row: its
     * position becomes the cursor) or the end. So the cursor is issued only when a visible row
     * follows and never carries a hidden row's position; hidden rows already passed over are not
     * fetched again. Trips after the first read at least {@value #MAX_FETCH} rows.
     */
    public static Page<RecordMetadata> page(RecordQuery query, Predicate<? super RecordMetadata> visible,
                                            int pageSize, int fetchSize, Fetch fetch) {
        Optional<Position> from = query.cursor().map(Cursors::decode);
        boolean inclusive = true; // a cursor names the first row of its page
        List<RecordMetadata> page = new ArrayList<>(Math.min(pageSize, 1024));
        while (true) {
            List<RecordMetadata> rows = fetch.rows(from, inclusive, fetchSize);
            for (RecordMetadata row : rows) {
                if (!visible.test(row)) {
                    continue;
                }
                if (page.size() == pageSize) {
                    return new Page<>(page, Optional.of(Cursors.encode(positionOf(row))));
                }
                page.add(row);
            }
            if (rows.size() < fetchSize) {
                return new Page<>(page, Optional.empty());
            }
            from = Optional.of(positionOf(rows.getLast()));
            inclusive = false;
            // Rows the caller may not see fill this trip: read on in larger ones, so that a page past
            // many hidden rows costs a few queries, not one for every pageSize + 1 of them.
            fetchSize = Math.max(fetchSize, MAX_FETCH);
        }
    }

    public static Position positionOf(RecordMetadata r) {
        return new Position(r.createdAt().toEpochMilli(), r.id());
    }
}
