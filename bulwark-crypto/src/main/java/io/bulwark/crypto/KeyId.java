package io.bulwark.crypto;

import java.util.HexFormat;

/**
 * The 8-byte identifier of a key, written into every signature, encapsulation and ciphertext so that the
 * right key of a keyset is found on verify and decrypt. For a hybrid key pair it is the first 8 bytes of
 * the public key's {@link Fingerprint}; for a symmetric key it is random.
 *
 * @param value the 8 bytes, big-endian
 */
public record KeyId(long value) {

    /** The id as 16 lower-case hex digits, as in the formats document. */
    public String hex() {
        return HexFormat.of().toHexDigits(value);
    }

    @Override
    public String toString() {
        return hex();
    }
}
