package io.bulwark.store.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 for the store's blob digests and paths. */
public final class Digests {

    /** Never used itself: cloned, which costs a fraction of a provider look-up (one per put and per path). */
    private static final MessageDigest SHA_256 = newSha256();

    private Digests() {}

    /** A new SHA-256. */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
