package io.bulwark.store;

/**
 * An infrastructure fault: the database or the filesystem failed (disk full, I/O error, corrupt
 * file, store closed). Not used for expected outcomes (see {@link StoreResult}) nor for bad input
 * (see {@link InvalidInputException}).
 *
 * <p>The message says what the store was doing, in the domain's words ("could not insert record
 * …"); it never carries SQL. The underlying exception, if any, is the cause, for the logs.
 *
 * <p>One kind is told apart, because the caller must not blame the store for it:
 * {@link BlobMismatchException}, bytes given to {@link BlobStore#putCopy} that are not the blob.
 */
public sealed class StoreException extends RuntimeException permits BlobMismatchException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
