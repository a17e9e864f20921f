package io.bulwark.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a node's change log.
 *
 * @param seq      this node's sequence number for the change: positive, strictly increasing in
 *                 commit order, never reused (also across restarts)
 * @param recordId the record changed
 * @param kind     what happened to it
 * @param at       when this node committed the change (millisecond precision)
 */
public record ChangeEntry(long seq, String recordId, ChangeKind kind, Instant at) {

    public ChangeEntry {
        if (seq <= 0) {
            throw new IllegalArgumentException("seq must be positive: " + seq);
        }
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
    }
}
