package io.bulwark.audit;

/** What {@link AuditVerifier} found: an intact log, or the first sign of tampering. */
public sealed interface AuditVerification {

    /**
     * Every entry matches its leaf hash and its index, and every signed tree head matches the entries
     * and carries a valid signature.
     *
     * @param entries        how many entries the log holds
     * @param signedEntries  how many of them the latest signed tree head covers; the rest (written
     *                       after it, e.g. just before a crash) are covered by no signature yet
     * @param treeHeads      how many signed tree heads were checked
     */
    record Intact(long entries, long signedEntries, int treeHeads) implements AuditVerification {}

    /**
     * The first problem, in entry order.
     *
     * @param index  the first bad entry; for {@link Tampering#ROOT_MISMATCH}, the first entry the
     *               failing head covers that no earlier good head does; for {@link Tampering#BAD_SIGNATURE},
     *               the failing head's tree size
     * @param detail one sentence for an operator
     */
    record Tampered(Tampering kind, long index, String detail) implements AuditVerification {}

    /** The kinds of tampering, as far as the stored data lets them be told apart. */
    enum Tampering {
        /** An entry's leaf no longer hashes to its stored leaf hash, or is not a valid canonical leaf. */
        EDITED,
        /** An index is missing: no entry is stored at it, or none claims it. */
        DELETED,
        /** An entry claims an index that another entry already claims, or an index appears twice. */
        INSERTED,
        /** An entry claims another entry's index, and that other entry is present elsewhere. */
        REORDERED,
        /** A tree head's root differs from the root of the entries it covers: the head or an entry was changed consistently with its hash. */
        ROOT_MISMATCH,
        /** A tree head's signature does not verify with any of the given keys. */
        BAD_SIGNATURE
    }
}
