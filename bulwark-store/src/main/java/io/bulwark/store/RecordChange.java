package io.bulwark.store;

import java.util.Objects;

/**
 * One change-log entry with its record.
 *
 * @param entry  the entry
 * @param record the record it names, as it is now (a later change may have retracted or
 *               relabelled it since the entry was written: that change has an entry of its own)
 */
public record RecordChange(ChangeEntry entry, RecordMetadata record) {

    public RecordChange {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(record, "record");
        if (!entry.recordId().equals(record.id())) {
            throw new IllegalArgumentException("entry " + entry.seq() + " names record " + entry.recordId() + ", not " + record.id());
        }
    }
}
