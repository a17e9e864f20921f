package io.bulwark.store;

import io.bulwark.store.internal.Checks;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node's metadata store keeps of one record: enough to list, filter, replicate and retract
 * it without opening its sealed bytes. Every field is validated on construction
 * ({@link InvalidRecordException} names the field and the rule), so a value of this type can always
 * be stored.
 *
 * @param id            the record id: a UUIDv7 in canonical lowercase form, unique across nodes
 * @param originNation  the nation of the node that published it (ISO 3166-1 alpha-3)
 * @param originNode    the name of the node that published it
 * @param createdAt     when the origin published it (millisecond precision; finer is truncated)
 * @param contentType   the payload's media type, e.g. {@code application/pdf}
 * @param payloadSize   the plaintext payload's size in bytes
 * @param contentDigest the digest the origin's signature binds: SHA-256 of the sealed record's prefix and payload
 *                      ciphertext, hex (column {@code payload_digest}); never a digest of the plaintext, which
 *                      would let the database confirm a guessed payload
 * @param label         the label, as the store keeps it
 * @param residency     the residency policy, opaque to the store (kept verbatim)
 * @param blob          where the sealed record's bytes lie, their size and digest
 * @param retraction    the retraction, if the record has been retracted
 */
public record RecordMetadata(
        String id,
        String originNation,
        String originNode,
        Instant createdAt,
        String contentType,
        long payloadSize,
        String contentDigest,
        LabelMetadata label,
        String residency,
        BlobRef blob,
        Optional<Retraction> retraction) {

    public RecordMetadata {
        Fields.check("id", id, Checks.uuid7(id));
        Fields.check("originNation", originNation, Checks.nation(originNation));
        Fields.check("originNode", originNode, Checks.text(originNode));
        createdAt = Fields.millis("createdAt", createdAt);
        Fields.check("contentType", contentType, Checks.text(contentType));
        Fields.nonNegative("payloadSize", payloadSize);
        Fields.check("contentDigest", contentDigest, Checks.sha256Hex(contentDigest));
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(residency, "residency");
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(retraction, "retraction");
    }

    /** {@link RecordState#RETRACTED} if the record carries a retraction, else {@link RecordState#ACTIVE}. */
    public RecordState state() {
        return retraction.isPresent() ? RecordState.RETRACTED : RecordState.ACTIVE;
    }

    /** This record with another label. */
    public RecordMetadata withLabel(LabelMetadata newLabel) {
        return new RecordMetadata(id, originNation, originNode, createdAt, contentType, payloadSize,
                contentDigest, newLabel, residency, blob, retraction);
    }

    /** This record, retracted. */
    public RecordMetadata withRetraction(Retraction r) {
        return new RecordMetadata(id, originNation, originNode, createdAt, contentType, payloadSize,
                contentDigest, label, residency, blob, Optional.of(r));
    }

    /**
     * Whether {@code other} describes the same publication as this record: the same id and the same
     * immutable facts — origin, creation time, content type, payload size and digest, residency, and
     * the sealed bytes' size and digest. The label, the retraction and the blob key may differ: a
     * record is relabelled and retracted after it is published, and where a node places the bytes
     * is local. This is the rule by which {@link MetadataStore#insert} tells a redelivery (accepted
     * as a replay) from a clash (a conflict).
     */
    public boolean samePublication(RecordMetadata other) {
        return id.equals(other.id)
                && originNation.equals(other.originNation)
                && originNode.equals(other.originNode)
                && createdAt.equals(other.createdAt)
                && contentType.equals(other.contentType)
                && payloadSize == other.payloadSize
                && contentDigest.equals(other.contentDigest)
                && residency.equals(other.residency)
                && blob.size() == other.blob.size()
                && blob.sha256().equals(other.blob.sha256());
    }
}
