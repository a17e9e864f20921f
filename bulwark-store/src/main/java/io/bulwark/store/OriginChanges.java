package io.bulwark.store;

import java.util.List;

/**
 * One read of the change log for the records of one origin node
 * ({@link MetadataStore#originChangesSince}): the entries of that origin's records among those read,
 * and how far the read went, so that a reader that skips every other origin's entries still moves
 * past them.
 *
 * @param changes the entries of the origin's records among those read, in sequence order, each with
 *                its record as it is now
 * @param read    how many entries were read, of any origin: at most the limit asked for, and the
 *                limit itself when the log may hold more
 * @param lastSeq the sequence number of the last entry read, of any origin; the {@code seq} asked
 *                after if none was read. The next read starts after it.
 */
public record OriginChanges(List<RecordChange> changes, int read, long lastSeq) {

    public OriginChanges {
        changes = List.copyOf(changes);
        if (read < changes.size()) {
            throw new IllegalArgumentException("read " + read + " entries but returned " + changes.size());
        }
        if (lastSeq < 0) {
            throw new IllegalArgumentException("lastSeq must not be negative: " + lastSeq);
        }
    }
}
