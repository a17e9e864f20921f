package io.bulwark.store;

import io.bulwark.store.internal.KeyHash;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * The blob keys records referred to when it was taken, held as sorted 64-bit hashes (8 bytes a key):
 * how a sweep checks a million blobs against the metadata in one pass over it rather than a lookup
 * per blob. {@link #mayBeReferenced} never answers {@code false} for a key the snapshot holds; it may
 * answer {@code true} for another key whose hash collides (for n keys, about n² / 2⁶⁵ such keys: one
 * in ten million sweeps of a million). A sweep then keeps an orphan it could have deleted; the hash is
 * seeded afresh in each process, so a later sweep finds it.
 */
public final class ReferencedBlobKeys {

    private final ToLongFunction<String> hash;
    private final long[] sorted;

    private ReferencedBlobKeys(ToLongFunction<String> hash, long[] sorted) {
        this.hash = hash;
        this.sorted = sorted;
    }

    /** Reads every referenced blob key from {@code metadata} once. */
    public static ReferencedBlobKeys snapshot(MetadataStore metadata) {
        Objects.requireNonNull(metadata, "metadata");
        ToLongFunction<String> hash = KeyHash.seeded();
        long[][] hashes = {new long[1024]};
        int[] n = {0};
        metadata.forEachReferencedBlobKey(key -> {
            if (n[0] == hashes[0].length) hashes[0] = Arrays.copyOf(hashes[0], n[0] * 2);
            hashes[0][n[0]++] = hash.applyAsLong(key);
        });
        long[] sorted = Arrays.copyOf(hashes[0], n[0]);
        Arrays.sort(sorted);
        return new ReferencedBlobKeys(hash, sorted);
    }

    /** {@code false} if no record referred to {@code key} at the snapshot; {@code true} if one (very probably) did. */
    public boolean mayBeReferenced(String key) {
        return Arrays.binarySearch(sorted, hash.applyAsLong(key)) >= 0;
    }
}
