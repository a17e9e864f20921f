package io.bulwark.audit;

import io.bulwark.audit.internal.Hashes;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verification of RFC 9162 inclusion and consistency proofs, for anyone holding a signed tree head
 * and a proof — a partner node needs nothing else of the log.
 *
 * <p><b>Security guarantees.</b> {@link #verifyInclusion} returns normally only if the leaf hash is
 * at {@code index} in the tree of {@code treeSize} leaves whose root is {@code root};
 * {@link #verifyConsistency} only if the tree with {@code oldRoot} is a prefix of the tree with
 * {@code newRoot} (so nothing the old head covered was changed, removed or reordered). Both rest on
 * SHA-256 collision resistance and RFC 9162's separation of leaf and node hashes; neither says who
 * made the roots — check the tree heads' signatures with {@link SignedTreeHead#verify}.
 */
public final class AuditProofs {

    private AuditProofs() {}

    /** The leaf hash of a stored entry: {@code SHA-256(0x00 || leaf)}. */
    public static byte[] leafHash(byte[] leaf) {
        return Hashes.leaf(leaf);
    }

    /**
     * RFC 9162 §2.1.3.2.
     *
     * @throws InvalidProofException if the proof does not fit the index and size, or yields another root
     */
    public static void verifyInclusion(byte[] leafHash, long index, long treeSize, List<byte[]> proof, byte[] root)
            throws InvalidProofException {
        checkHash("leaf hash", leafHash);
        checkHash("root", root);
        if (index < 0 || index >= treeSize) {
            throw new InvalidProofException("leaf index " + index + " is not inside a tree of " + treeSize + " leaves");
        }
        long fn = index;
        long sn = treeSize - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            checkHash("proof hash", p);
            if (sn == 0) {
                throw new InvalidProofException("the inclusion proof has more hashes than a tree of " + treeSize + " needs");
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = Hashes.node(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = Hashes.node(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            throw new InvalidProofException("the inclusion proof has fewer hashes than a tree of " + treeSize + " needs");
        }
        if (!MessageDigest.isEqual(r, root)) {
            throw new InvalidProofException("the inclusion proof of leaf " + index + " yields another root");
        }
    }

    /**
     * RFC 9162 §2.1.4.2. A tree is consistent with itself (empty proof, equal roots) and every tree
     * with the empty one (empty proof).
     *
     * @throws InvalidProofException if the sizes are out of order, the proof has the wrong shape, or
     *                               it does not yield both roots
     */
    public static void verifyConsistency(long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof)
            throws InvalidProofException {
        checkHash("old root", oldRoot);
        checkHash("new root", newRoot);
        if (oldSize < 0 || oldSize > newSize) {
            throw new InvalidProofException("old size " + oldSize + " must lie between 0 and the new size " + newSize);
        }
        if (oldSize == 0 || oldSize == newSize) {
            if (!proof.isEmpty()) {
                throw new InvalidProofException("a consistency proof from size " + oldSize + " to " + newSize + " is empty");
            }
            if (oldSize == newSize && !MessageDigest.isEqual(oldRoot, newRoot)) {
                throw new InvalidProofException("two trees of size " + oldSize + " with different roots");
            }
            return;
        }
        if (proof.isEmpty()) {
            throw new InvalidProofException("the consistency proof from size " + oldSize + " to " + newSize + " is empty");
        }
        for (byte[] p : proof) {
            checkHash("proof hash", p);
        }
        // Step 2: a power-of-two old tree is itself a node of the new one, so the proof leaves it out.
        int next = 0;
        byte[] first;
        if (Long.bitCount(oldSize) == 1) {
            first = oldRoot;
        } else {
            first = proof.get(next++);
        }
        long fn = oldSize - 1;
        long sn = newSize - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = first;
        byte[] sr = first;
        for (; next < proof.size(); next++) {
            byte[] c = proof.get(next);
            if (sn == 0) {
                throw new InvalidProofException("the consistency proof has more hashes than sizes " + oldSize + " and " + newSize + " need");
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = Hashes.node(c, fr);
                sr = Hashes.node(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = Hashes.node(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            throw new InvalidProofException("the consistency proof has fewer hashes than sizes " + oldSize + " and " + newSize + " need");
        }
        if (!MessageDigest.isEqual(fr, oldRoot)) {
            throw new InvalidProofException("the consistency proof does not yield the old root");
        }
        if (!MessageDigest.isEqual(sr, newRoot)) {
            throw new InvalidProofException("the consistency proof does not yield the new root");
        }
    }

    private static void checkHash(String what, byte[] hash) throws InvalidProofException {
        if (hash == null || hash.length != Hashes.LENGTH) {
            throw new InvalidProofException("the " + what + " must be " + Hashes.LENGTH + " bytes, found "
                    + (hash == null ? "none" : hash.length));
        }
    }
}
