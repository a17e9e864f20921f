package io.bulwark.record;

import io.bulwark.crypto.SigningKeyset;
import io.bulwark.crypto.StreamingAeadKey;
import io.bulwark.label.CompiledLabel;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.PolicySet;
import io.bulwark.record.internal.Bytes;
import io.bulwark.record.internal.MerkleTree;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Seals records at their origin: a fresh data key per record, the payload under streaming
 * AES-256-GCM, the data key wrapped under the current epoch key of each released nation whose key is
 * known (never for any other nation), and one hybrid signature over the Merkle root of a batch.
 *
 * <p>Two steps, so a node can sign many concurrent publishes at once: {@link #prepare} (encrypt and
 * wrap; cheap, parallel) then {@link #sign} (one ML-DSA-65 + Ed25519 signature for the batch).
 * {@link #seal} does both for one record. Thread-safe.
 */
public final class RecordSealer {

    static final byte[] BATCH_DOMAIN = "bulwark-record-batch-v1\0".getBytes(StandardCharsets.US_ASCII);

    private final PolicySet policies;
    private final Supplier<SigningKeyset> signer;
    private final EpochKeyring epochs;
    private final String originNation;
    private final String originNode;
    private final Clock clock;

    public RecordSealer(PolicySet policies, SigningKeyset signer, EpochKeyring epochs, String originNation,
                        String originNode, Clock clock) {
        this(policies, () -> signer, epochs, originNation, originNode, clock);
    }

    /** As above, each batch signed with the primary of whatever keyset {@code signer} gives then (key rotation). */
    public RecordSealer(PolicySet policies, Supplier<SigningKeyset> signer, EpochKeyring epochs, String originNation,
                        String originNode, Clock clock) {
        if (!SealedRecord.NATION.matcher(originNation).matches()) throw new IllegalArgumentException("origin nation is alpha-3");
        if (!SealedRecord.NODE.matcher(originNode).matches()) throw new IllegalArgumentException("origin node: lower-case letters, digits, '-'");
        this.policies = policies;
        this.signer = signer;
        this.epochs = epochs;
        this.originNation = originNation;
        this.originNode = originNode;
        this.clock = clock;
    }

    /** A record encrypted and wrapped, waiting for its batch signature. */
    public static final class Prepared {
        private final RecordHeader header;
        private final ConfidentialityLabel label;
        private final String residency;
        private final List<KeyAccess> keyAccess;
        private final byte[] prefix;
        private final byte[] ciphertext;
        private final MessageDigest afterContent;
        private final byte[] contentDigest;

        private Prepared(RecordHeader header, ConfidentialityLabel label, String residency, List<KeyAccess> keyAccess,
                         byte[] prefix, byte[] ciphertext) {
            this.header = header;
            this.label = label;
            this.residency = residency;
            this.keyAccess = keyAccess;
            this.prefix = prefix;
            this.ciphertext = ciphertext;
            this.afterContent = SealedRecord.hashing(prefix, 0, prefix.length);
            afterContent.update(ciphertext);
            this.contentDigest = SealedRecord.digestSoFar(afterContent);
        }

        public RecordHeader header() {
            return header;
        }
    }

    /**
     * Encrypts the payload and wraps its key for each released nation.
     *
     * @throws InvalidRecordException if the draft is not sealable here: the label does not release the
     *                                record to this node's own nation, or a header field breaks its rule
     */
    public Prepared prepare(RecordDraft draft, byte[] payload) throws GeneralSecurityException {
        if (payload.length != draft.payloadSize()) {
            throw new IllegalArgumentException("payload is " + payload.length + " bytes, the draft says " + draft.payloadSize());
        }
        if (!SealedRecord.CONTENT_TYPE.matcher(draft.contentType()).matches()) {
            throw new InvalidRecordException("content type '" + draft.contentType() + "': a media type of printable ASCII, at most 255 characters");
        }
        byte[] residency = draft.residency().getBytes(StandardCharsets.UTF_8);
        if (residency.length > SealedRecord.MAX_RESIDENCY_BYTES || draft.residency().chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRecordException("residency: at most " + SealedRecord.MAX_RESIDENCY_BYTES + " bytes of printable text");
        }
        CompiledLabel label = policies.compile(draft.label());
        if (!label.releasableTo(originNation)) {
            throw new InvalidRecordException("the label does not release the record to this node's nation " + originNation
                    + "; a node publishes only what it may hold itself");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS); // the format keeps milliseconds
        return prepare(new RecordHeader(RecordId.generate(now), originNation, originNode, now, draft.contentType(), payload.length),
                label, draft.residency(), payload);
    }

    /**
     * Seals a published record anew under another label — a relabel: the same id, creation time and
     * payload, a fresh data key wrapped for the nations the new label releases to.
     *
     * @throws InvalidRecordException if the record is not this node's, or the new label does not
     *                                release it to this node's nation
     */
    public Prepared prepareRelabel(RecordHeader header, ConfidentialityLabel newLabel, String residency, byte[] payload)
            throws GeneralSecurityException {
        if (!header.originNation().equals(originNation) || !header.originNode().equals(originNode)) {
            throw new InvalidRecordException("only the origin node " + header.originNation() + "/" + header.originNode()
                    + " relabels record " + header.id());
        }
        if (payload.length != header.payloadSize()) {
            throw new IllegalArgumentException("payload is " + payload.length + " bytes, the header says " + header.payloadSize());
        }
        CompiledLabel label = policies.compile(newLabel);
        if (!label.releasableTo(originNation)) {
            throw new InvalidRecordException("the new label does not release the record to this node's nation " + originNation
                    + "; a node keeps only what it may hold itself");
        }
        return prepare(header, label, residency, payload);
    }

    private Prepared prepare(RecordHeader header, CompiledLabel label, String residency, byte[] payload) throws GeneralSecurityException {
        StreamingAeadKey dataKey = StreamingAeadKey.generate();
        List<KeyAccess> keyAccess = new ArrayList<>();
        for (String nation : label.releasableNations()) { // sorted: the canonical order of entries
            var epoch = epochs.epoch(nation);
            if (epoch.isPresent()) {
                keyAccess.add(new KeyAccess(nation, epoch.get().key().keyId(),
                        dataKey.wrap(epoch.get().key(), keyAccessData(header.id(), nation))));
            }
        }
        if (keyAccess.stream().noneMatch(k -> k.nation().equals(originNation))) {
            throw new IllegalStateException("no epoch key for this node's own nation " + originNation);
        }
        byte[] ciphertext = dataKey.encrypt(payload, payloadData(header.id()));
        // The compiled label was validated when compiled; its JSON is the encoding PolicySet.encode gives.
        byte[] prefix = SealedRecord.encodePrefix(header, label.json(),
                residency, ciphertext.length, keyAccess);
        return new Prepared(header, label.label(), residency, List.copyOf(keyAccess), prefix, ciphertext);
    }

    /** Signs a batch: one hybrid signature over the Merkle root; each record gets its inclusion proof. */
    public List<SealedRecord> sign(List<Prepared> batch) throws GeneralSecurityException {
        if (batch.isEmpty() || batch.size() > SealedRecord.MAX_BATCH) {
            throw new IllegalArgumentException("a batch holds 1.." + SealedRecord.MAX_BATCH + " records");
        }
        List<byte[]> leaves = batch.stream().map(p -> MerkleTree.leafHash(SealedRecord.leaf(p.contentDigest))).toList();
        MerkleTree.Batch tree = MerkleTree.batch(leaves);
        byte[] signature = signer.get().sign(batchMessage(originNation, originNode, batch.size(), tree.root()));
        List<SealedRecord> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Prepared p = batch.get(i);
            out.add(new SealedRecord(p.header, p.label, p.residency, p.keyAccess, p.prefix, p.ciphertext, p.afterContent, p.contentDigest,
                    new SealedRecord.Binding(batch.size(), i, tree.proofs().get(i), signature))); // each record its own copies
        }
        return out;
    }

    /** Prepares and signs one record. */
    public SealedRecord seal(RecordDraft draft, byte[] payload) throws GeneralSecurityException {
        return sign(List.of(prepare(draft, payload))).getFirst();
    }

    static byte[] batchMessage(String nation, String node, long batchSize, byte[] root) {
        return new Bytes.Writer(96).raw(BATCH_DOMAIN).ascii(nation).bytes8(node.getBytes(StandardCharsets.US_ASCII))
                .u32(batchSize).raw(root).toByteArray();
    }

    static byte[] payloadData(RecordId id) {
        return concat("bulwark-payload-v1\0".getBytes(StandardCharsets.US_ASCII), id.bytes());
    }

    static byte[] keyAccessData(RecordId id, String nation) {
        return concat(concat("bulwark-key-access-v1\0".getBytes(StandardCharsets.US_ASCII), id.bytes()),
                nation.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
