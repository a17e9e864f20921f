package io.bulwark.store;

import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.VerifyingInputStream;

import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Sealed-record bytes by key. The bytes are opaque (already encrypted and signed by the record
 * layer); the store only keeps them whole.
 *
 * <h2>Contract every implementation keeps</h2>
 * <ul>
 *   <li><b>Keys.</b> A key is 1 to 200 characters from {@code [A-Za-z0-9._-]}, not starting with a
 *       dot. Any other key is an {@link InvalidBlobKeyException} naming it, the offset and the rule,
 *       raised before any byte is read or written; so a key can never name a path outside the
 *       store.</li>
 *   <li><b>All or nothing.</b> When {@link #put} returns, the blob is durable (it survives a crash
 *       of the process or the machine) and visible under its key in full. Until then, readers see
 *       the previous blob under that key or none — never a partial one, even after a process
 *       crash. After a power cut, a key that held no blob before and whose put had not returned
 *       may hold a partial blob: nothing refers to such a key (metadata is written after put
 *       returns), and the orphan sweep removes it. A key that held a blob holds the old one or the
 *       new one, whole.</li>
 *   <li><b>Integrity.</b> {@link #put} returns the size and SHA-256 of exactly the bytes stored.</li>
 *   <li><b>Faults</b> are {@link StoreException}s naming the key.</li>
 *   <li><b>Thread safety.</b> Every method may be called from many threads at once.</li>
 * </ul>
 */
public interface BlobStore extends AutoCloseable {

    /**
     * Stores the stream's bytes under {@code key}, replacing any blob there atomically. Reads the
     * stream to its end; does not close it.
     *
     * @return the key, the size and the SHA-256 of the bytes stored
     * @throws InvalidBlobKeyException if the key breaks the key rule
     * @throws StoreException          if the stream or the storage fails; nothing is then stored
     */
    BlobRef put(String key, InputStream content);

    /**
     * Stores a copy of a blob whose size and SHA-256 are known — a replica being moved or restored —
     * under its key: as {@link #put}, but only if the stream's bytes are exactly that blob. The
     * check is the digest the store computes over the bytes as it stores them, so a copy costs one
     * pass over the bytes, not a pass to check them as they are read and another as they are
     * written. Reads the stream to its end; does not close it.
     *
     * <p>The default checks the bytes as they are read, then stores them with {@link #put};
     * stores override it to hash once.
     *
     * @return {@code expected}: the key, the size and the SHA-256 of the bytes stored
     * @throws BlobMismatchException if the bytes differ in size or SHA-256; nothing is then stored,
     *                               and a blob already under the key is left as it was
     * @throws StoreException        if the stream or the storage fails; nothing is then stored
     */
    default BlobRef putCopy(BlobRef expected, InputStream content) {
        VerifyingInputStream checked = new VerifyingInputStream(content, expected.size(), expected.sha256(), "blob " + Checks.quote(expected.key()));
        BlobRef stored;
        try {
            stored = put(expected.key(), checked);
        } catch (StoreException e) {
            if (checked.mismatched()) throw new BlobMismatchException(expected, checked.bytesRead(), checked.digest());
            throw e;
        }
        if (!stored.equals(expected)) {
            throw new IllegalStateException("store " + this + " stored " + stored + " from bytes checked to be " + expected);
        }
        return stored;
    }

    /**
     * Stores bytes held in memory whose size and SHA-256 the caller computed over exactly these bytes,
     * under {@code ref.key()} — a sealed record, whose encoding's digest comes from sealing or
     * decoding it at the cost of its trailer. A store that needs the digest only to report it
     * records it as given and does not hash the bytes a second time; reads still check every byte
     * against it, so a wrong digest is found at the first read, never served. The default checks the
     * bytes as {@link #putCopy} does.
     *
     * @return {@code ref}
     * @throws IllegalArgumentException if {@code bytes} is not {@code ref.size()} long
     * @throws BlobMismatchException    (the default) if the bytes do not have {@code ref}'s SHA-256
     * @throws StoreException           if the storage fails; nothing is then stored
     */
    default BlobRef putKnown(BlobRef ref, byte[] bytes) {
        Checks.knownSize(ref, bytes);
        return putCopy(ref, new java.io.ByteArrayInputStream(bytes));
    }

    /**
     * The blob's bytes, to be read and closed by the caller; empty if there is no blob under the
     * key. A stream once opened reads the blob as it was, even if it is replaced meanwhile.
     */
    Optional<InputStream> open(String key);

    /**
     * Deletes the blob under the key.
     *
     * @return whether there was one
     */
    boolean delete(String key);

    /**
     * Deletes the blobs under these keys; keys with no blob are skipped. Stores that can delete many
     * objects in one request (S3's {@code DeleteObjects}) do so, which is what makes moving many
     * blobs cheap.
     *
     * @throws StoreException naming a key that could not be deleted; the others may have been
     */
    default void deleteAll(java.util.Collection<String> keys) {
        keys.forEach(this::delete);
    }

    /**
     * The size in bytes of the blob stored under the key, or empty if there is none. Asks the store's
     * own record of the blob (a file's length, an object's {@code Content-Length}): a replica cut short
     * shows here without being read.
     */
    java.util.OptionalLong size(String key);

    /** Whether a blob is stored under the key. */
    default boolean exists(String key) {
        return size(key).isPresent();
    }

    /**
     * Every stored blob, in no particular order, for sweeping. Partial writes are not listed. The
     * stream holds directory or connection resources: close it (try-with-resources).
     */
    Stream<BlobEntry> list();

    /**
     * Removes what crashed writes left behind (temporary files; for S3, incomplete multipart
     * uploads) that were started before {@code startedBefore}. Never touches a stored blob.
     *
     * @return how many leftovers were removed
     */
    int deleteIncomplete(Instant startedBefore);

    @Override
    void close();
}
