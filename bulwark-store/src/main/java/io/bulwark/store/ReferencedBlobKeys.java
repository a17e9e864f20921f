package io.bulwark.store;

import io.bulwark.store.internal.KeyHash;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.ToLongFunction;
import java.util.stream.LongStream;

/**
 * The blob keys active records referred to when it was taken (or another set of keys, collected
 * with a {@link Builder}), held as sorted 64-bit hashes (8 bytes a key):
 * how a sweep checks a million blobs against the metadata in one pass over it rather than a lookup
 * per blob. {@link #mayBeReferenced} never answers {@code false} for a key the snapshot holds; for
 * another key it answers {@code true} only if its hash equals one of the n held (probability n / 2⁶⁴,
 * 5 × 10⁻¹⁴ for a million). A sweep then keeps an orphan it could have deleted; the hash is seeded
 * afresh in each process, so a later sweep finds it.
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
        Builder keys = new Builder();
        metadata.forEachReferencedBlobKey(keys::add);
        return keys.build();
    }

    /** Collects keys one by one (8 bytes each, not the key): for several sets filled in one pass. */
    public static final class Builder {
        private final ToLongFunction<String> hash = KeyHash.seeded();
        private final LongStream.Builder hashes = LongStream.builder();

        public void add(String key) {
            hashes.add(hash.applyAsLong(key));
        }

        public ReferencedBlobKeys build() {
            return new ReferencedBlobKeys(hash, hashes.build().sorted().toArray());
        }
    }

    /** {@code false} if no active record referred to {@code key} at the snapshot; {@code true} if one (very probably) did. */
    public boolean mayBeReferenced(String key) {
        return Arrays.binarySearch(sorted, hash.applyAsLong(key)) >= 0;
    }
}
