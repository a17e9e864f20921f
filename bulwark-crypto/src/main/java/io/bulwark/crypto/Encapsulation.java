package io.bulwark.crypto;

import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The result of {@link HybridPublicKemKey#encapsulate()}: a fresh 32-byte shared secret, and the
 * encapsulation to send to the key's holder, who recovers the same secret with
 * {@link KemKeyset#decapsulate}. Use the secret through {@link AeadKey#fromSharedSecret}.
 */
public final class Encapsulation {

    /** Length of every encapsulation: 1130 bytes. */
    public static final int LENGTH = io.bulwark.crypto.internal.HybridKemScheme.ENCAPSULATION_LENGTH;

    private final SecretKey sharedSecret;
    private final byte[] encapsulation;

    Encapsulation(byte[] sharedSecret, byte[] encapsulation) {
        this.sharedSecret = new SecretKeySpec(sharedSecret, "Generic");
        Arrays.fill(sharedSecret, (byte) 0);
        this.encapsulation = encapsulation;
    }

    /** The 32-byte shared secret (algorithm "Generic", format "RAW"). Keep it secret. */
    public SecretKey sharedSecret() {
        return sharedSecret;
    }

    /** The encoded encapsulation, {@value #LENGTH} bytes (a copy): public, send it to the recipient. */
    public byte[] encapsulation() {
        return encapsulation.clone();
    }

    /**
     * The id of the KEM key an encoded encapsulation was made to: whoever holds that key's private
     * half can decapsulate it.
     *
     * @throws InvalidEncodingException if the bytes are not a hybrid KEM encapsulation
     */
    public static KeyId recipientKeyId(byte[] encapsulation) throws InvalidEncodingException {
        return io.bulwark.crypto.internal.HybridKemScheme.parse(encapsulation).keyId();
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "Encapsulation[" + encapsulation.length + " bytes]";
    }
}
