package io.bulwark.audit.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF over a source of perfect-subtree hashes. Every subtree
 * these algorithms need is aligned (it starts at a multiple of its largest power-of-two part), so it
 * splits into perfect subtrees that a source can serve from a cache instead of rehashing leaves.
 */
public final class Proofs {

    /** The hash of the perfect subtree of 2^level leaves starting at leaf {@code index << level}. */
    @FunctionalInterface
    public interface Source {
        byte[] perfect(int level, long index);
    }

    private Proofs() {}

    /** MTH(D[start:end]) for an aligned range. */
    public static byte[] hash(Source s, long start, long end) {
        long n = end - start;
        if (Long.bitCount(n) == 1 && start % n == 0) {
            int level = Long.numberOfTrailingZeros(n);
            return s.perfect(level, start >>> level);
        }
        long k = Hashes.split(n);
        return Hashes.node(hash(s, start, start + k), hash(s, start + k, end));
    }

    /** PATH(m, D[n]): the audit path of leaf m in the tree of the first n leaves. */
    public static List<byte[]> inclusion(Source s, long m, long n) {
        List<byte[]> out = new ArrayList<>();
        path(s, m, 0, n, out);
        return out;
    }

    private static void path(Source s, long m, long start, long end, List<byte[]> out) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = Hashes.split(n);
        if (m < k) {
            path(s, m, start, start + k, out);
            out.add(hash(s, start + k, end));
        } else {
            path(s, m - k, start + k, end, out);
            out.add(hash(s, start, start + k));
        }
    }

    /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true); empty for m = 0 and m = n. */
    public static List<byte[]> consistency(Source s, long m, long n) {
        List<byte[]> out = new ArrayList<>();
        if (m > 0 && m < n) {
            subproof(s, m, 0, n, true, out);
        }
        return out;
    }

    private static void subproof(Source s, long m, long start, long end, boolean whole, List<byte[]> out) {
        long n = end - start;
        if (m == n) {
            if (!whole) {
                out.add(hash(s, start, end));
            }
            return;
        }
        long k = Hashes.split(n);
        if (m <= k) {
            subproof(s, m, start, start + k, whole, out);
            out.add(hash(s, start + k, end));
        } else {
            subproof(s, m - k, start + k, end, false, out);
            out.add(hash(s, start, start + k));
        }
    }
}
