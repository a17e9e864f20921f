package io.bulwark.crypto;

import io.bulwark.crypto.internal.Jca;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 digest of a public key's encoding: stable, 32 bytes, shown as 64 lower-case hex digits.
 * Peers are pinned by fingerprint. {@link #equals} compares in constant time.
 */
public final class Fingerprint {

    private static final int LENGTH = 32;

    private final byte[] digest;

    private Fingerprint(byte[] digest) {
        this.digest = digest;
    }

    /** The fingerprint of an encoded public key. */
    static Fingerprint of(byte[] encodedPublicKey) {
        return new Fingerprint(Jca.sha256(encodedPublicKey));
    }

    /**
     * Parses 64 hex digits (either case), e.g. a pinned fingerprint from configuration.
     *
     * @throws InvalidEncodingException if the text is not exactly 64 hex digits
     */
    public static Fingerprint parse(String hex) throws InvalidEncodingException {
        if (hex.length() != 2 * LENGTH) {
            throw new InvalidEncodingException("fingerprint", 0,
                    "expected " + 2 * LENGTH + " hex digits, found " + hex.length() + " characters");
        }
        for (int i = 0; i < hex.length(); i++) {
            if (!HexFormat.isHexDigit(hex.charAt(i))) { // ASCII only: Character.digit takes other scripts' digits too
                throw new InvalidEncodingException("fingerprint", i, "'" + hex.charAt(i) + "' is not a hex digit");
            }
        }
        return new Fingerprint(HexFormat.of().parseHex(hex));
    }

    /** The first 8 bytes, used as the key id of the key pair. */
    KeyId keyId() {
        long id = 0;
        for (int i = 0; i < 8; i++) {
            id = (id << 8) | (digest[i] & 0xFF);
        }
        return new KeyId(id);
    }

    /** The 32 digest bytes (a copy). */
    public byte[] bytes() {
        return digest.clone();
    }

    /** 64 lower-case hex digits. */
    public String hex() {
        return HexFormat.of().formatHex(digest);
    }

    /** Constant-time comparison of the digests. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Fingerprint that && MessageDigest.isEqual(digest, that.digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return hex();
    }
}
