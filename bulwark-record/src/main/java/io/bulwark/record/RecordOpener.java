package io.bulwark.record;

import io.bulwark.crypto.AeadKey;
import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.StreamingAeadKey;
import io.bulwark.label.PolicySet;
import io.bulwark.record.internal.Bytes;
import io.bulwark.record.internal.MerkleTree;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Verifies and opens sealed records at a node of {@code ownNation}: the binding must verify against
 * the origin's pinned key, the label must release the record to this nation, and the data key is
 * unwrapped only through this nation's key access entry and an epoch key learnt from a verified
 * {@link EpochKeyStatement}. Thread-safe.
 *
 * <p><b>Security guarantees.</b> A record whose bytes were changed anywhere — header, label,
 * residency, key access, ciphertext, proof or signature — is refused. A nation the label does not
 * release the record to has no key access entry, so it cannot open it even if it obtains the bytes.
 */
public final class RecordOpener {

    /** Batches remembered as verified; each entry holds a ~3.4 KB signature, so ~3.5 MB at most. */
    private static final int SIGNATURE_CACHE = 1024;

    private final PolicySet policies;
    private final String ownNation;
    private final Supplier<KemKeyset> ownKeys;
    private final OriginKeys origins;
    /**
     * Epoch keys by the origin that announced them and their id: an origin's key access entries open
     * only that origin's records. Keyed by id alone, another pinned origin could copy them and the
     * ciphertext into a record it signs under a label of its own choosing, and have it opened.
     */
    private final Map<Epoch, AeadKey> epochKeys = new ConcurrentHashMap<>();

    private record Epoch(String originNation, String originNode, KeyId id) {}
    /**
     * Batch messages already verified: SHA-256(signed message) → the signature that verified it and
     * the pinned key. Keyed by the message rather than the signature: hashing each record's 3.4 KB
     * signature to look it up cost ~13 µs, more than half of what the cache saved per record at the
     * ~15 records per batch of a busy origin.
     */
    private final Map<ByteBuffer, Verified> verified = new ConcurrentHashMap<>();

    private record Verified(byte[] signature, HybridPublicSigningKey key) {}

    public RecordOpener(PolicySet policies, String ownNation, KemKeyset ownKeys, OriginKeys origins) {
        this(policies, ownNation, () -> ownKeys, origins);
    }

    /** As above, decapsulating with whatever keyset {@code ownKeys} gives then: it grows when the node rotates its keys. */
    public RecordOpener(PolicySet policies, String ownNation, Supplier<KemKeyset> ownKeys, OriginKeys origins) {
        this.policies = policies;
        this.ownNation = ownNation;
        this.ownKeys = ownKeys;
        this.origins = origins;
    }

    /**
     * Learns an epoch key from a statement addressed to this nation: verifies the origin's signature,
     * decapsulates with this node's KEM keys (current or past) and checks the derived key's id.
     */
    public void accept(EpochKeyStatement statement) {
        if (!statement.recipientNation().equals(ownNation)) {
            throw new InvalidRecordException(statement + ": addressed to " + statement.recipientNation() + ", not " + ownNation);
        }
        statement.verify(origins);
        KemKeyset keys = ownKeys.get();
        if (keys.publicKeys().stream().noneMatch(k -> k.keyId().equals(statement.recipientKemKey()))) {
            throw new InvalidRecordException(statement + ": made for KEM key " + statement.recipientKemKey() + ", which this node does not hold");
        }
        AeadKey key;
        try {
            key = AeadKey.fromSharedSecret(keys.decapsulate(statement.encapsulation()));
        } catch (GeneralSecurityException e) {
            throw new InvalidRecordException(statement + ": cannot be decapsulated with this node's KEM keys", e);
        }
        if (!key.keyId().equals(statement.epochKeyId())) {
            throw new InvalidRecordException(statement + ": the derived key does not have the announced id");
        }
        epochKeys.put(new Epoch(statement.originNation(), statement.originNode(), key.keyId()), key);
    }

    /** Forgets the epoch key a statement announced (one learnt but never used, to bound memory). */
    public void forget(EpochKeyStatement statement) {
        epochKeys.remove(new Epoch(statement.originNation(), statement.originNode(), statement.epochKeyId()));
    }

    /** Decodes and verifies a record's bytes. */
    public SealedRecord verify(byte[] sealed) {
        return verify(SealedRecord.decode(sealed, policies));
    }

    /**
     * Verifies a decoded record: the binding against the origin's pinned keys, and that the label
     * releases it to this nation. Returns the record for chaining.
     */
    public SealedRecord verify(SealedRecord record) {
        RecordHeader h = record.header();
        String who = "record " + h.id() + " from " + h.originNation() + "/" + h.originNode();
        SealedRecord.Binding b = record.binding();
        byte[] root = MerkleTree.rootFromProof(MerkleTree.leafHash(record.leaf()), b.leafIndex(), b.batchSize(), b.path());
        if (root == null) {
            throw new InvalidRecordException(who + ": the inclusion proof does not fit its index and batch size");
        }
        byte[] message = RecordSealer.batchMessage(h.originNation(), h.originNode(), b.batchSize(), root);
        ByteBuffer messageDigest = ByteBuffer.wrap(Bytes.sha256().digest(message));
        Verified known = verified.get(messageDigest);
        if (known == null || !Arrays.equals(known.signature(), b.signature())) {
            // Also when only the signature differs: the record is stored with it, so it must verify too.
            HybridPublicSigningKey key = origins.verifying(h.originNation(), h.originNode(), b.signature(), message, who);
            if (verified.size() >= SIGNATURE_CACHE) verified.clear();
            verified.put(messageDigest, new Verified(b.signature().clone(), key));
        } else if (!origins.signingKeys(h.originNation(), h.originNode()).contains(known.key())) {
            // The key that verified it is no longer pinned (revoked, or the peer removed): not from the cache.
            origins.verifying(h.originNation(), h.originNode(), b.signature(), message, who);
        }
        if (!policies.compile(record.label()).releasableTo(ownNation)) {
            throw new InvalidRecordException(who + ": the label does not release it to " + ownNation);
        }
        return record;
    }

    /**
     * The decrypted payload of a verified record, as a stream that fails (IOException) on any
     * tampered segment. Throws if this nation has no key access entry or its epoch key is unknown.
     */
    public InputStream open(SealedRecord verifiedRecord) {
        RecordHeader h = verifiedRecord.header();
        KeyAccess access = verifiedRecord.keyAccess().stream().filter(k -> k.nation().equals(ownNation)).findFirst()
                .orElseThrow(() -> new InvalidRecordException("record " + h.id() + ": no key access entry for " + ownNation));
        AeadKey epoch = Optional.ofNullable(epochKeys.get(new Epoch(h.originNation(), h.originNode(), access.epochKeyId()))).orElseThrow(() ->
                new InvalidRecordException("record " + h.id() + ": epoch key " + access.epochKeyId() + " of " + h.originNation() + "/"
                        + h.originNode() + " is not known here yet; its statement must be accepted first"));
        StreamingAeadKey dataKey;
        try {
            dataKey = StreamingAeadKey.unwrap(access.wrappedKey(), epoch, RecordSealer.keyAccessData(h.id(), ownNation));
        } catch (GeneralSecurityException e) {
            throw new InvalidRecordException("record " + h.id() + ": the data key cannot be unwrapped", e);
        }
        return dataKey.newDecryptingStream(verifiedRecord.ciphertextStream(), RecordSealer.payloadData(h.id()));
    }

    /** The whole decrypted payload of a verified record. */
    public byte[] openAll(SealedRecord verifiedRecord) {
        long size = verifiedRecord.header().payloadSize(); // decode checked the ciphertext for it is there
        if (size > Integer.MAX_VALUE - 8) {
            throw new InvalidRecordException("record " + verifiedRecord.id() + ": " + size + " bytes are too many to open in memory; open it as a stream");
        }
        try (InputStream in = open(verifiedRecord)) {
            byte[] payload = new byte[(int) size];
            if (in.readNBytes(payload, 0, payload.length) != payload.length || in.read() != -1) {
                throw new InvalidRecordException("record " + verifiedRecord.id() + ": payload size differs from the header");
            }
            return payload;
        } catch (IOException e) {
            throw new InvalidRecordException("record " + verifiedRecord.id() + ": the payload does not decrypt", e);
        }
    }
}
