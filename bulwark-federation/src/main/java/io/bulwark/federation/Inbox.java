package io.bulwark.federation;

import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.Tombstone;

import java.util.List;
import java.util.Optional;

/**
 * Where records received from a peer go: the node verifies (the origin's pinned key, the binding,
 * that the label releases the record to this nation) and stores them. The link calls it in feed
 * order, one origin at a time.
 */
public interface Inbox {

    /** Learns an epoch key statement addressed to this nation, durably. Rejections are thrown as {@link io.bulwark.record.InvalidRecordException}. */
    void statement(NodeIdentity origin, EpochKeyStatement statement);

    /**
     * Verifies and stores sealed records from {@code origin}, all durable when it returns.
     *
     * @return one entry per record, in order: empty if stored (or already held), else why it was
     *         rejected — a rejected record is stored nowhere, and a version of it held here from the
     *         same origin is withdrawn
     */
    List<Optional<String>> records(NodeIdentity origin, List<byte[]> sealed);

    /**
     * Applies the origin's retraction of a record this node holds; empty if applied (or nothing to
     * do), else the rejection — after which a record held here from that origin is withdrawn.
     */
    Optional<String> retract(NodeIdentity origin, Tombstone tombstone);

    /** The origin relabelled a record so that this nation may no longer hold it: delete it and its blobs. */
    void withdraw(NodeIdentity origin, String recordId);

    /**
     * The origin's side: seals one of this node's records anew so that it carries key access for
     * {@code nation} under an epoch that {@code opens} — for a record sealed before that nation's
     * peer was introduced (its KEM key unknown then), or for a KEM key its node no longer has. The
     * stored version is kept if its key access for the nation already opens (sealed anew meanwhile).
     * Returns the bytes, already stored in the record's place; empty if the record is no longer as
     * {@code record} describes it (retracted or relabelled since it was read: what the peer gets is
     * decided again at that change's own entry).
     */
    @FunctionalInterface
    interface AccessGranter {
        Optional<byte[]> grantAccess(io.bulwark.store.RecordMetadata record, String nation, java.util.function.Predicate<io.bulwark.crypto.KeyId> opens);
    }
}
