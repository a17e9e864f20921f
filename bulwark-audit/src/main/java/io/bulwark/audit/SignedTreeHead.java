package io.bulwark.audit;

import io.bulwark.audit.internal.Hashes;
import io.bulwark.crypto.HybridPublicSigningKey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SignatureException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The log's signed statement "my first {@code treeSize} entries hash to {@code rootHash}", made at
 * {@code timestamp} with the node's hybrid signing key over {@link #signingInput}.
 *
 * <p><b>Security guarantees.</b> {@link #verify} succeeds only for a signature by one of the given keys
 * over exactly this size, root and timestamp, under the domain tag {@value #DOMAIN} — a tree-head
 * signature cannot be replayed as any other Bulwark signature, nor another signature as a tree head.
 *
 * @param timestamp when the head was signed, to the millisecond
 */
public record SignedTreeHead(long treeSize, byte[] rootHash, Instant timestamp, byte[] signature) {

    /** The domain tag that starts every signing input; the version in it names the encoding. */
    public static final String DOMAIN = "bulwark-audit-sth-v1";
    private static final byte[] DOMAIN_BYTES = DOMAIN.getBytes(StandardCharsets.US_ASCII);

    public SignedTreeHead {
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size must not be negative: " + treeSize);
        }
        if (rootHash.length != Hashes.LENGTH) {
            throw new IllegalArgumentException("root hash must be " + Hashes.LENGTH + " bytes, found " + rootHash.length);
        }
        Objects.requireNonNull(timestamp, "timestamp");
        rootHash = rootHash.clone();
        signature = signature.clone();
    }

    /**
     * {@code "bulwark-audit-sth-v1" (20 ASCII bytes) || u64 tree size || u64 timestamp in ms since the
     * epoch || root hash (32)}, integers big-endian: 68 bytes.
     */
    public static byte[] signingInput(long treeSize, byte[] rootHash, Instant timestamp) {
        return ByteBuffer.allocate(DOMAIN_BYTES.length + 16 + rootHash.length)
                .put(DOMAIN_BYTES).putLong(treeSize).putLong(timestamp.toEpochMilli()).put(rootHash)
                .array();
    }

    public byte[] signingInput() {
        return signingInput(treeSize, rootHash, timestamp);
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * Verifies the signature against the keys the verifier trusts for this log (a node's current and
     * former signing keys).
     *
     * @throws GeneralSecurityException if no key of {@code keys} made a valid signature over this head
     */
    public void verify(Collection<HybridPublicSigningKey> keys) throws GeneralSecurityException {
        byte[] input = signingInput();
        GeneralSecurityException last = new SignatureException("no key to verify the tree head with");
        for (HybridPublicSigningKey key : keys) {
            try {
                key.verify(signature, input);
                return;
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedTreeHead(long size, byte[] root, Instant time, byte[] sig)
                && treeSize == size && Arrays.equals(rootHash, root) && timestamp.equals(time) && Arrays.equals(signature, sig);
    }

    @Override
    public int hashCode() {
        return Objects.hash(treeSize, Arrays.hashCode(rootHash), timestamp, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "SignedTreeHead[size " + treeSize + ", root " + HexFormat.of().formatHex(rootHash) + ", at " + timestamp + "]";
    }
}
