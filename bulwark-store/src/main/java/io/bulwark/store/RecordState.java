package io.bulwark.store;

/** Whether a record may still be read. A retracted record keeps its row and its signed tombstone. */
public enum RecordState {
    ACTIVE,
    RETRACTED
}
