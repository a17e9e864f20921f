package io.bulwark.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A blob as listed by {@link BlobStore#list()}: what a sweep needs without opening it.
 *
 * @param key          the blob key
 * @param size         its size in bytes
 * @param lastModified when it was last written
 */
public record BlobEntry(String key, long size, Instant lastModified) {

    public BlobEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
    }
}
