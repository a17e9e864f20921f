package io.bulwark.audit.internal;

import java.util.Arrays;

/**
 * The right edge of a Merkle tree: the roots of its perfect subtrees, largest first, one per set bit
 * of the size. Enough to append a leaf and to compute the root in O(log n) without reading any other
 * hash. Not thread-safe: the writer owns one and publishes {@link #copy() copies}.
 */
public final class Frontier {

    /** Receives each perfect subtree completed by an append: {@code level} ≥ 1 covers 2^level leaves. */
    @FunctionalInterface
    public interface NodeSink {
        void completed(int level, long index, byte[] hash);
    }

    private byte[][] stack = new byte[64][];
    private int depth;
    private long size;

    public long size() {
        return size;
    }

    /** Appends a leaf hash, reporting every perfect subtree it completes. */
    public void append(byte[] leafHash, NodeSink sink) {
        byte[] h = leafHash;
        long index = size;
        int level = 0;
        // Each trailing one bit of the old size is a perfect subtree of that level waiting for a sibling.
        while ((index & 1) == 1) {
            h = Hashes.node(stack[--depth], h);
            level++;
            index >>>= 1;
            sink.completed(level, index, h);
        }
        stack[depth++] = h;
        size++;
    }

    /** RFC 9162 MTH over all leaves appended so far. */
    public byte[] root() {
        if (depth == 0) {
            return Hashes.empty();
        }
        byte[] r = stack[depth - 1];
        for (int i = depth - 2; i >= 0; i--) {
            r = Hashes.node(stack[i], r);
        }
        return r;
    }

    public Frontier copy() {
        Frontier f = new Frontier();
        f.stack = Arrays.copyOf(stack, stack.length);
        f.depth = depth;
        f.size = size;
        return f;
    }
}
