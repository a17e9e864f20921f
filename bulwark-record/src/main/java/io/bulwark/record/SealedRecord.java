package io.bulwark.record;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.StreamingAeadKey;
import io.bulwark.label.CompiledLabel;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.internal.Bytes;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A sealed record as stored and shipped (docs/formats/sealed-record.md, version 2):
 * <pre>
 *   prefix     = magic "BWSR", version, header, label (canonical JSON), residency,
 *                payload algorithm, ciphertext length, key access entries
 *   ciphertext = the payload under a fresh data key, streaming AES-256-GCM (64 KiB segments)
 *   trailer    = SHA-256(prefix || ciphertext), batch size, leaf index, inclusion proof, hybrid signature
 * </pre>
 * The origin signs the RFC 9162 Merkle root over a batch of leaves, each leaf
 * {@code SHA-256("bulwark-sealed-record-v2" 0x00 || SHA-256(prefix || ciphertext))}; every record
 * carries its inclusion proof and the batch signature, so it stands alone.
 *
 * <p>The content digest is a prefix of the encoding's own hash: the SHA-256 state it leaves, fed the
 * trailer, is the SHA-256 of the whole encoding ({@link #encodingDigest}). So one pass over the
 * bytes gives both what the signature binds and what a blob store records, where two passes were
 * needed when the digest covered the ciphertext alone (decision record 2026-11-27-one-digest-pass).
 *
 * <p>{@link #decode} checks everything that needs no key: structure and bounds, the label is valid
 * and canonical under the policy set, the key access entries name only nations the label releases
 * the record to, and the content matches its digest. The signature is checked by
 * {@link RecordOpener#verify}. Immutable.
 */
public final class SealedRecord {

    static final byte[] MAGIC = {'B', 'W', 'S', 'R'};
    static final int VERSION = 2;
    static final byte[] LEAF_DOMAIN = "bulwark-sealed-record-v2\0".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_LABEL_BYTES = PolicySet.MAX_LABEL_CHARS;
    static final int MAX_RESIDENCY_BYTES = 1024;
    static final int MAX_WRAPPED_KEY = 256;
    static final int MAX_SIGNATURE = 8192;
    static final int MAX_BATCH = 1 << 16;
    /** Payloads above this are refused: the record layer holds a record in memory. */
    public static final long MAX_PAYLOAD = 1L << 31;
    static final Pattern NATION = Pattern.compile("[A-Z]{3}");
    static final Pattern NODE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Pattern CONTENT_TYPE = Pattern.compile("[\\x21-\\x7e][\\x20-\\x7e]{0,254}");

    private final RecordHeader header;
    private final ConfidentialityLabel label;
    private final String residency;
    private final List<KeyAccess> keyAccess;
    /**
     * The bytes, in one of two forms: a record sealed here keeps its prefix and ciphertext apart (as
     * sealing made them) and its trailer, built once; a decoded record keeps the encoding it was read
     * from (a private copy) with the offsets where the ciphertext and the trailer begin, so reading one
     * copies its bytes once, and hashing or re-encoding it builds nothing.
     */
    private final byte[] encoding;
    private final int prefixEnd;
    private final int contentEnd;
    private final byte[] prefix;
    private final byte[] ciphertext;
    private final byte[] trailer;
    private final byte[] contentDigest;
    /** SHA-256 fed the prefix and the ciphertext, never finished itself: cloned to finish. */
    private final MessageDigest afterContent;
    private final Binding binding;
    private volatile String encodingDigest;

    /** The trailer's binding: where the record sits in its signed batch, and the batch signature. */
    public static final class Binding {
        private final long batchSize;
        private final long leafIndex;
        private final List<byte[]> path;
        private final byte[] signature;

        public Binding(long batchSize, long leafIndex, List<byte[]> path, byte[] signature) {
            this(batchSize, leafIndex, path.stream().map(byte[]::clone).toList(), signature.clone(), true);
        }

        /** Arrays just read from a record's own copy of its bytes, which no one else holds: not copied again. */
        private Binding(long batchSize, long leafIndex, List<byte[]> path, byte[] signature, boolean owned) {
            this.batchSize = batchSize;
            this.leafIndex = leafIndex;
            this.path = List.copyOf(path);
            this.signature = signature;
        }

        public long batchSize() { return batchSize; }
        public long leafIndex() { return leafIndex; }
        public List<byte[]> path() { return path; }
        public byte[] signature() { return signature; }
    }

    /** A record sealed here: its prefix and ciphertext as sealing made them. */
    SealedRecord(RecordHeader header, ConfidentialityLabel label, String residency, List<KeyAccess> keyAccess,
                 byte[] prefix, byte[] ciphertext, MessageDigest afterContent, byte[] contentDigest, Binding binding) {
        this(header, label, residency, keyAccess, null, 0, 0, prefix, ciphertext, afterContent, contentDigest, binding);
    }

    private SealedRecord(RecordHeader header, ConfidentialityLabel label, String residency, List<KeyAccess> keyAccess,
                         byte[] encoding, int prefixEnd, int contentEnd, byte[] prefix, byte[] ciphertext,
                         MessageDigest afterContent, byte[] contentDigest, Binding binding) {
        this.header = header;
        this.label = label;
        this.residency = residency;
        this.keyAccess = List.copyOf(keyAccess);
        this.encoding = encoding;
        this.prefixEnd = prefixEnd;
        this.contentEnd = contentEnd;
        this.prefix = prefix;
        this.ciphertext = ciphertext;
        this.trailer = encoding == null ? trailer(contentDigest, binding) : null;
        this.afterContent = afterContent;
        this.contentDigest = contentDigest;
        this.binding = binding;
    }

    public RecordHeader header() { return header; }
    public RecordId id() { return header.id(); }
    public ConfidentialityLabel label() { return label; }
    public String residency() { return residency; }
    public List<KeyAccess> keyAccess() { return keyAccess; }
    public Binding binding() { return binding; }

    /** SHA-256 of the prefix and the ciphertext, as the binding's Merkle leaf commits to it; lowercase hex. */
    public String contentDigest() { return java.util.HexFormat.of().formatHex(contentDigest); }

    /**
     * SHA-256 of {@link #encode()}, lowercase hex: what a blob store records for these bytes. Costs a
     * pass over the trailer only (see the class comment).
     */
    public String encodingDigest() {
        String d = encodingDigest;
        if (d == null) {
            MessageDigest whole = clone(afterContent);
            if (encoding == null) whole.update(trailer);
            else whole.update(encoding, contentEnd, encoding.length - contentEnd);
            encodingDigest = d = java.util.HexFormat.of().formatHex(whole.digest());
        }
        return d;
    }

    /** The ciphertext, read in place. */
    InputStream ciphertextStream() {
        return encoding == null ? new ByteArrayInputStream(ciphertext) : new ByteArrayInputStream(encoding, prefixEnd, contentEnd - prefixEnd);
    }

    /** The record's bytes: prefix, ciphertext, trailer. */
    public byte[] encode() {
        if (encoding != null) return encoding.clone();
        byte[] out = new byte[prefix.length + ciphertext.length + trailer.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(ciphertext, 0, out, prefix.length, ciphertext.length);
        System.arraycopy(trailer, 0, out, prefix.length + ciphertext.length, trailer.length);
        return out;
    }

    private static byte[] trailer(byte[] contentDigest, Binding binding) {
        Bytes.Writer w = new Bytes.Writer(64 + 33 * binding.path().size() + binding.signature().length);
        w.raw(contentDigest).u32(binding.batchSize()).u32(binding.leafIndex()).u8(binding.path().size());
        binding.path().forEach(w::raw);
        return w.bytes16(binding.signature()).toByteArray();
    }

    /** The Merkle leaf this record contributes to its batch. */
    byte[] leaf() {
        return leaf(contentDigest);
    }

    static byte[] leaf(byte[] contentDigest) {
        MessageDigest d = Bytes.sha256();
        d.update(LEAF_DOMAIN);
        return d.digest(contentDigest);
    }

    /** SHA-256 fed {@code length} bytes of {@code bytes}, left open for the trailer. */
    static MessageDigest hashing(byte[] bytes, int offset, int length) {
        MessageDigest d = Bytes.sha256();
        d.update(bytes, offset, length);
        return d;
    }

    /** The digest of what {@code open} has been fed so far, leaving {@code open} as it was. */
    static byte[] digestSoFar(MessageDigest open) {
        return clone(open).digest();
    }

    private static MessageDigest clone(MessageDigest d) {
        try {
            return (MessageDigest) d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 is cloneable", e);
        }
    }

    // === encoding of the prefix =====================================================================

    static byte[] encodePrefix(RecordHeader h, String labelJson, String residency, long ciphertextLength,
                               List<KeyAccess> keyAccess) {
        byte[] label = labelJson.getBytes(StandardCharsets.UTF_8);
        Bytes.Writer w = new Bytes.Writer(128 + label.length + 64 * keyAccess.size());
        w.raw(MAGIC).u8(VERSION)
                .raw(h.id().bytes()).ascii(h.originNation()).bytes8(h.originNode().getBytes(StandardCharsets.US_ASCII))
                .u64(h.created().toEpochMilli()).bytes8(h.contentType().getBytes(StandardCharsets.US_ASCII))
                .u64(h.payloadSize())
                .bytes32(label).bytes16(residency.getBytes(StandardCharsets.UTF_8))
                .u16(Algorithm.AES_256_GCM_HKDF_SHA256_64KIB.id()).u64(ciphertextLength)
                .u8(keyAccess.size());
        for (KeyAccess k : keyAccess) {
            w.ascii(k.nation()).u64(k.epochKeyId().value()).bytes16(k.wrappedKey());
        }
        return w.toByteArray();
    }

    // === decoding ===================================================================================

    /**
     * Reads and checks a sealed record without any key (see the class comment); throws
     * {@link InvalidRecordException} naming the byte offset, the field and the rule.
     */
    public static SealedRecord decode(byte[] encoding, PolicySet policies) {
        byte[] bytes = encoding.clone(); // the record keeps these: no one else may change them
        Bytes.Reader r = new Bytes.Reader("sealed record", bytes, 0, bytes.length);
        int at = r.position();
        if (!Arrays.equals(r.raw(4, "magic"), MAGIC)) throw r.error(at, "magic", "not a Bulwark sealed record (magic BWSR)");
        at = r.position();
        int version = r.u8("version");
        if (version != VERSION) {
            throw r.error(at, "version", (version == 1 ? "version 1, a pre-release format no longer read"
                    : "unknown version " + version) + "; this node reads version " + VERSION);
        }
        RecordId id;
        at = r.position();
        try {
            id = RecordId.fromBytes(r.raw(16, "id"));
        } catch (IllegalArgumentException e) {
            throw r.error(at, "id", "not a UUIDv7");
        }
        at = r.position();
        String nation = r.ascii(r.raw(3, "origin nation"), at, "origin nation", NATION, "an ISO 3166-1 alpha-3 code");
        at = r.position();
        String node = r.ascii(r.sized(1, 1, 63, "origin node"), at, "origin node", NODE, "lower-case letters, digits and '-'");
        at = r.position();
        long created = r.u64("created");
        if (created < 0 || created > 253402300799999L) throw r.error(at, "created", "not a time between 1970 and 9999");
        at = r.position();
        String contentType = r.ascii(r.sized(1, 1, 255, "content type"), at, "content type", CONTENT_TYPE, "a media type");
        at = r.position();
        long payloadSize = r.u64("payload size");
        if (payloadSize < 0 || payloadSize > MAX_PAYLOAD) throw r.error(at, "payload size", "above the limit of " + MAX_PAYLOAD);
        at = r.position();
        byte[] labelBytes = r.sized(4, 1, MAX_LABEL_BYTES, "label");
        String labelJson = new String(labelBytes, StandardCharsets.UTF_8);
        ConfidentialityLabel label;
        CompiledLabel compiled;
        try {
            label = policies.decode(LabelFormat.JSON, labelJson);
            compiled = policies.compile(label);
        } catch (InvalidLabelException e) {
            throw r.error(at, "label", e.getMessage());
        }
        if (!policies.encode(label, LabelFormat.JSON).equals(labelJson)) {
            throw r.error(at, "label", "not in canonical JSON form");
        }
        at = r.position();
        byte[] residencyBytes = r.sized(2, 0, MAX_RESIDENCY_BYTES, "residency");
        String residency = new String(residencyBytes, StandardCharsets.UTF_8);
        if (!Arrays.equals(residency.getBytes(StandardCharsets.UTF_8), residencyBytes) || residency.chars().anyMatch(Character::isISOControl)) {
            throw r.error(at, "residency", "not printable UTF-8");
        }
        at = r.position();
        int algorithm = r.u16("payload algorithm");
        if (algorithm != Algorithm.AES_256_GCM_HKDF_SHA256_64KIB.id()) {
            throw r.error(at, "payload algorithm", "unknown or unsupported algorithm 0x%04x".formatted(algorithm));
        }
        at = r.position();
        long ciphertextLength = r.u64("ciphertext length");
        if (ciphertextLength != StreamingAeadKey.ciphertextLength(payloadSize)) {
            throw r.error(at, "ciphertext length", "does not match the payload size " + payloadSize);
        }
        at = r.position();
        int entries = r.u8("key access count");
        if (entries == 0) throw r.error(at, "key access count", "a record has at least one key access entry");
        List<KeyAccess> keyAccess = new ArrayList<>();
        String previous = "";
        for (int i = 0; i < entries; i++) {
            at = r.position();
            String n = r.ascii(r.raw(3, "key access nation"), at, "key access[" + i + "].nation", NATION, "an ISO 3166-1 alpha-3 code");
            if (n.compareTo(previous) <= 0) throw r.error(at, "key access[" + i + "].nation", "entries are unique and sorted by nation");
            if (!compiled.releasableTo(n)) {
                throw r.error(at, "key access[" + i + "].nation", "a key access entry for " + n
                        + ", a nation the label does not release the record to");
            }
            previous = n;
            KeyId epoch = new KeyId(r.u64("key access epoch key id"));
            keyAccess.add(new KeyAccess(n, epoch, r.sized(2, 1, MAX_WRAPPED_KEY, "key access[" + i + "].wrapped key")));
        }
        int prefixEnd = r.position();
        if (bytes.length - prefixEnd < ciphertextLength) {
            throw r.error(prefixEnd, "ciphertext", "truncated: " + ciphertextLength + " bytes declared");
        }
        r.skip((int) ciphertextLength, "ciphertext");
        int contentEnd = r.position();
        MessageDigest afterContent = hashing(bytes, 0, contentEnd);
        at = r.position();
        byte[] digest = r.raw(32, "content digest");
        if (!MessageDigest.isEqual(digest, digestSoFar(afterContent))) {
            throw r.error(at, "content digest", "the prefix and ciphertext do not match their digest");
        }
        at = r.position();
        long batchSize = r.u32("batch size");
        if (batchSize < 1 || batchSize > MAX_BATCH) throw r.error(at, "batch size", "outside 1.." + MAX_BATCH);
        at = r.position();
        long leafIndex = r.u32("leaf index");
        if (leafIndex >= batchSize) throw r.error(at, "leaf index", "not below the batch size " + batchSize);
        at = r.position();
        int pathLength = r.u8("proof length");
        int expected = io.bulwark.record.internal.MerkleTree.proofLength(leafIndex, batchSize);
        if (pathLength != expected) {
            throw r.error(at, "proof length", pathLength + " hashes; leaf " + leafIndex + " of " + batchSize + " needs " + expected);
        }
        List<byte[]> path = new ArrayList<>();
        for (int i = 0; i < pathLength; i++) path.add(r.raw(32, "proof hash"));
        byte[] signature = r.sized(2, 1, MAX_SIGNATURE, "signature");
        r.end("end of record");
        RecordHeader header = new RecordHeader(id, nation, node, Instant.ofEpochMilli(created), contentType, payloadSize);
        return new SealedRecord(header, label, residency, keyAccess, bytes, prefixEnd, contentEnd, null, null, afterContent, digest,
                new Binding(batchSize, leafIndex, path, signature, true));
    }

    /**
     * The epoch key under which a record's bytes wrap its data key for {@code nation}, read from the
     * prefix alone — nothing checked, nothing hashed: for a node choosing what goes with a record it
     * stored itself (the epoch key statement a recipient needs to open it). Empty if the record has
     * no entry for the nation.
     *
     * @throws InvalidRecordException if the bytes end before the key access entries do
     */
    public static Optional<KeyId> epochKeyFor(byte[] bytes, String nation) {
        Bytes.Reader r = new Bytes.Reader("sealed record", bytes, 0, bytes.length);
        r.raw(4 + 1 + 16 + 3, "magic, version, id, origin nation");
        r.sized(1, 0, 255, "origin node");
        r.u64("created");
        r.sized(1, 0, 255, "content type");
        r.u64("payload size");
        r.sized(4, 0, Integer.MAX_VALUE, "label");
        r.sized(2, 0, 65535, "residency");
        r.u16("payload algorithm");
        r.u64("ciphertext length");
        int entries = r.u8("key access count");
        byte[] wanted = nation.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < entries; i++) {
            byte[] n = r.raw(3, "key access nation");
            long epoch = r.u64("key access epoch key id");
            r.sized(2, 0, 65535, "key access wrapped key");
            if (Arrays.equals(n, wanted)) return Optional.of(new KeyId(epoch));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "SealedRecord[" + header.id() + " from " + header.originNation() + "/" + header.originNode() + "]";
    }
}
