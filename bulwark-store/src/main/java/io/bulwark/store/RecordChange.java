package io.bulwark.store;

import java.util.Objects;
import java.util.Optional;

/**
 * One change-log entry with its record.
 *
 * @param entry         the entry
 * @param record        the record it names, as it is now (a later change may have retracted or
 *                      relabelled it since the entry was written: that change has an entry of its own)
 * @param label         the JSON of the label the entry left in force — of a retraction, the record's
 *                      last label; empty for entries written before the store kept it
 * @param previousLabel of a {@link ChangeKind#RELABELED relabel} of an active record, the JSON of the
 *                      label it replaced; empty for every other entry (and for those written before
 *                      the store kept it)
 */
public record RecordChange(ChangeEntry entry, RecordMetadata record, Optional<String> label, Optional<String> previousLabel) {

    public RecordChange(ChangeEntry entry, RecordMetadata record) {
        this(entry, record, Optional.empty(), Optional.empty());
    }

    public RecordChange {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(previousLabel, "previousLabel");
        if (!entry.recordId().equals(record.id())) {
            throw new IllegalArgumentException("entry " + entry.seq() + " names record " + entry.recordId() + ", not " + record.id());
        }
    }
}
