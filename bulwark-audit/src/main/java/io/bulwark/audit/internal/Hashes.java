package io.bulwark.audit.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** RFC 9162 §2.1.1 hashing with SHA-256: leaves and interior nodes in separate domains. */
public final class Hashes {

    public static final int LENGTH = 32;

    private Hashes() {}

    /** A clone of one instance: cheaper than a provider look-up, and every audited request hashes. */
    private static final MessageDigest SHA_256 = digest();

    public static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            return digest();
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** {@code SHA-256(0x00 || leaf)}. */
    public static byte[] leaf(byte[] leaf) {
        MessageDigest d = sha256();
        d.update((byte) 0);
        return d.digest(leaf);
    }

    /** {@code SHA-256(0x01 || left || right)}. */
    public static byte[] node(byte[] left, byte[] right) {
        MessageDigest d = sha256();
        d.update((byte) 1);
        d.update(left);
        return d.digest(right);
    }

    /** The hash of the empty tree, {@code SHA-256()}. */
    public static byte[] empty() {
        return sha256().digest();
    }

    /** The largest power of two smaller than {@code n} (n ≥ 2): where RFC 9162 splits a tree. */
    public static long split(long n) {
        return Long.highestOneBit(n - 1);
    }
}
