package io.bulwark.store;

import io.bulwark.store.internal.Checks;

import java.util.Objects;

/**
 * Where a record's sealed bytes lie and what they are: the blob key, the size in bytes and the
 * SHA-256 of exactly those bytes. Returned by {@link BlobStore#put} (digest computed over the bytes
 * as written) and kept in {@link RecordMetadata}, so a reader can check the bytes it gets back.
 *
 * @param key    the blob key (see {@link BlobStore} for the key rule)
 * @param size   the number of bytes
 * @param sha256 the SHA-256 of the bytes, 64 lowercase hex digits
 */
public record BlobRef(String key, long size, String sha256) {

    public BlobRef {
        Objects.requireNonNull(key, "key");
        Checks.blobKey(key).ifPresent(v -> {
            throw new InvalidBlobKeyException("blob key " + Checks.quote(key), v.position(), v.rule());
        });
        Fields.nonNegative("sealedSize", size);
        Fields.check("blobDigest", sha256, Checks.sha256Hex(sha256));
    }
}
