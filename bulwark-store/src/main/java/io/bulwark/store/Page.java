package io.bulwark.store;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a listing, newest first.
 *
 * @param items      the items on this page, in order
 * @param nextCursor an opaque cursor for the next page, present if the listing may go on: the next
 *                   page may hold fewer items than this one, even none (a page reads a bounded
 *                   window of rows); absent at the listing's end. Pass it back with
 *                   {@link RecordQuery#withCursor(String)}
 * @param <T>        the item type
 */
public record Page<T>(List<T> items, Optional<String> nextCursor) {

    public Page {
        items = List.copyOf(items);
        Objects.requireNonNull(nextCursor, "nextCursor");
    }
}
