package io.bulwark.crypto.internal;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Signature;
import javax.crypto.Cipher;
import javax.crypto.KEM;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;

/**
 * Factories for the JDK 25's own providers, named explicitly so that a provider another layer installs
 * (Bouncy Castle for TLS) can never be picked up here by accident. A missing algorithm is a broken
 * platform, not bad input: it surfaces as an unchecked {@link ProviderException}.
 */
public final class Jca {

    /** SUN: ML-DSA, SHA-256. */
    public static final String SUN = "SUN";
    /** SunEC: Ed25519, X25519 keys. */
    public static final String SUN_EC = "SunEC";
    /** SunJCE: ML-KEM, DHKEM, AES-GCM, HKDF, PBKDF2. */
    public static final String SUN_JCE = "SunJCE";

    private static final SecureRandom RANDOM = new SecureRandom();

    /*
     * Prototypes, never initialised or used themselves: a clone costs a fraction of a provider lookup.
     * (Instances are not thread-safe and requests run on virtual threads, so no ThreadLocal: each
     * caller gets its own clone.)
     */
    private static final MessageDigest SHA_256 = digestPrototype();
    private static final Mac HMAC_SHA_256 = macPrototype();

    private Jca() {
    }

    /** Fresh random bytes from the platform's default SecureRandom (thread-safe). */
    public static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public static SecureRandom random() {
        return RANDOM;
    }

    /** A new SHA-256 (SUN). */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new ProviderException("SUN's SHA-256 is not cloneable", e);
        }
    }

    private static MessageDigest digestPrototype() {
        try {
            return MessageDigest.getInstance("SHA-256", SUN);
        } catch (GeneralSecurityException e) {
            throw missing("SHA-256", e);
        }
    }

    /** A new, uninitialised HMAC-SHA256 (SunJCE). */
    public static Mac hmacSha256() {
        try {
            return (Mac) HMAC_SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new ProviderException("SunJCE's HmacSHA256 is not cloneable", e);
        }
    }

    private static Mac macPrototype() {
        try {
            return Mac.getInstance("HmacSHA256", SUN_JCE);
        } catch (GeneralSecurityException e) {
            throw missing("HmacSHA256", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    public static KeyPairGenerator keyPairGenerator(String algorithm, String provider) {
        try {
            return KeyPairGenerator.getInstance(algorithm, provider);
        } catch (GeneralSecurityException e) {
            throw missing(algorithm, e);
        }
    }

    public static KeyFactory keyFactory(String algorithm, String provider) {
        try {
            return KeyFactory.getInstance(algorithm, provider);
        } catch (GeneralSecurityException e) {
            throw missing(algorithm, e);
        }
    }

    public static Signature signature(String algorithm, String provider) {
        try {
            return Signature.getInstance(algorithm, provider);
        } catch (GeneralSecurityException e) {
            throw missing(algorithm, e);
        }
    }

    public static KEM kem(String algorithm) {
        try {
            return KEM.getInstance(algorithm, SUN_JCE);
        } catch (GeneralSecurityException e) {
            throw missing(algorithm, e);
        }
    }

    public static Cipher aesGcm() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding", SUN_JCE);
        } catch (GeneralSecurityException e) {
            throw missing("AES/GCM/NoPadding", e);
        }
    }

    public static SecretKeyFactory pbkdf2HmacSha256() {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256", SUN_JCE);
        } catch (GeneralSecurityException e) {
            throw missing("PBKDF2WithHmacSHA256", e);
        }
    }

    private static ProviderException missing(String algorithm, GeneralSecurityException cause) {
        return new ProviderException(algorithm + " is missing from the JDK's own providers (a JDK 25 is required)", cause);
    }
}
