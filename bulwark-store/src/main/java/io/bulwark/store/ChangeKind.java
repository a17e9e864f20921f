package io.bulwark.store;

/** What a change-log entry records. */
public enum ChangeKind {
    /** The record was stored at this node (published here or received from a peer or bundle). */
    PUBLISHED,
    /** The record was retracted; its row now carries a tombstone. */
    RETRACTED,
    /** The record's label was replaced. */
    RELABELED
}
