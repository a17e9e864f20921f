package io.bulwark.store;

import io.bulwark.store.internal.Checks;

/**
 * The bytes given to {@link BlobStore#putCopy} are not the blob they were to be a copy of: their
 * size or SHA-256 differs from the expected {@link BlobRef}. Nothing was stored. The fault is the
 * source's (a replica that rotted or was tampered with), not the store's that refused it.
 */
public final class BlobMismatchException extends StoreException {

    private final transient BlobRef expected;

    /**
     * @param expected  what the bytes should have been
     * @param size      how many bytes were given
     * @param sha256    their SHA-256, hex; empty if the size already differed and it was not computed
     */
    public BlobMismatchException(BlobRef expected, long size, String sha256) {
        super("the copy of blob " + Checks.quote(expected.key()) + " does not match its recorded size and SHA-256 ("
                + size + " bytes" + (sha256.isEmpty() ? "" : " with SHA-256 " + sha256) + " given, "
                + expected.size() + " bytes with SHA-256 " + expected.sha256() + " recorded); nothing was stored");
        this.expected = expected;
    }

    /** What the bytes should have been. */
    public BlobRef expected() {
        return expected;
    }
}
