package io.bulwark.record.internal;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing over SHA-256: leaf hash
 * {@code H(0x00 || leaf)}, node hash {@code H(0x01 || left || right)}, the tree split at the largest
 * power of two below its size; inclusion proofs as in RFC 9162 §2.1.3.
 */
public final class MerkleTree {

    private MerkleTree() {}

    public static byte[] leafHash(byte[] leaf) {
        MessageDigest d = Bytes.sha256();
        d.update((byte) 0);
        return d.digest(leaf);
    }

    static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest d = Bytes.sha256();
        d.update((byte) 1);
        d.update(left);
        return d.digest(right);
    }

    /** The root over leaf hashes {@code hashes[from, to)}. */
    public static byte[] root(List<byte[]> leafHashes) {
        return new Subtrees(leafHashes).root(0, leafHashes.size());
    }

    private static int largestPowerOfTwoBelow(int n) {
        return Integer.highestOneBit(n - 1);
    }

    /** The inclusion proof (audit path) of leaf {@code index}, RFC 9162 PATH(m, D[n]). */
    public static List<byte[]> inclusionProof(List<byte[]> leafHashes, int index) {
        return new Subtrees(leafHashes).path(index);
    }

    /** A batch's root and the inclusion proof of each of its leaves, in leaf order. */
    public record Batch(byte[] root, List<List<byte[]>> proofs) {}

    /**
     * The root and every inclusion proof at once, each subtree hashed once: about 2n hashes for n
     * leaves, where n proofs one by one rehash O(n) subtrees each.
     */
    public static Batch batch(List<byte[]> leafHashes) {
        Subtrees tree = new Subtrees(leafHashes);
        List<List<byte[]>> proofs = new ArrayList<>(leafHashes.size());
        for (int i = 0; i < leafHashes.size(); i++) proofs.add(tree.path(i));
        return new Batch(tree.root(0, leafHashes.size()), proofs);
    }

    /** Subtree hashes of one list of leaves, each computed once. */
    private static final class Subtrees {
        private final List<byte[]> h;
        private final Map<Long, byte[]> hashes = new HashMap<>();

        Subtrees(List<byte[]> leafHashes) {
            this.h = leafHashes;
        }

        byte[] root(int from, int to) {
            int n = to - from;
            if (n == 1) return h.get(from);
            long key = ((long) from << 32) | to;
            byte[] known = hashes.get(key);
            if (known != null) return known;
            int k = largestPowerOfTwoBelow(n);
            byte[] hash = nodeHash(root(from, from + k), root(from + k, to));
            hashes.put(key, hash);
            return hash;
        }

        List<byte[]> path(int index) {
            List<byte[]> path = new ArrayList<>();
            path(index, 0, h.size(), path);
            return path;
        }

        private void path(int m, int from, int to, List<byte[]> out) {
            int n = to - from;
            if (n == 1) return;
            int k = largestPowerOfTwoBelow(n);
            if (m < k) {
                path(m, from, from + k, out);
                out.add(root(from + k, to));
            } else {
                path(m - k, from + k, to, out);
                out.add(root(from, from + k));
            }
        }
    }

    /** The number of hashes in an inclusion proof of {@code index} in a tree of {@code size}. */
    public static int proofLength(long index, long size) {
        int length = 0;
        long fn = index;
        long sn = size - 1;
        while (sn > 0) {
            if ((fn & 1) == 0 && fn == sn) {
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            }
            length++;
            fn >>>= 1;
            sn >>>= 1;
        }
        return length;
    }

    /**
     * The root that an inclusion proof yields for a leaf hash (RFC 9162 §2.1.3.2), or {@code null} if the
     * proof does not fit the index and size.
     */
    public static byte[] rootFromProof(byte[] leafHash, long index, long size, List<byte[]> path) {
        if (index >= size) return null;
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>>= 1;
                        sn >>>= 1;
                    }
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 ? r : null;
    }
}
