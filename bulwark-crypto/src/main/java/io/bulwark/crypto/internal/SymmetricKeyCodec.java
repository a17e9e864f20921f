package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import java.util.Arrays;

/**
 * The plaintext of a wrapped symmetric key: {@code u16 algorithm id || key id (8) || key (32)}. It is only
 * ever written inside an AEAD ciphertext.
 */
public final class SymmetricKeyCodec {

    public static final int KEY_LENGTH = 32;
    public static final int LENGTH = 2 + 8 + KEY_LENGTH;

    private SymmetricKeyCodec() {
    }

    public record Decoded(KeyId keyId, byte[] key) {
    }

    public static byte[] encode(Algorithm algorithm, KeyId keyId, byte[] key) {
        return new ByteWriter(LENGTH).algorithm(algorithm).u64(keyId.value()).bytes(key).toByteArray();
    }

    public static Decoded decode(Algorithm expected, byte[] encoded) throws InvalidEncodingException {
        try {
            ByteReader in = new ByteReader("wrapped key", encoded);
            in.algorithm(expected);
            KeyId keyId = new KeyId(in.u64("key id"));
            byte[] key = in.bytes(KEY_LENGTH, "key");
            in.end();
            return new Decoded(keyId, key);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** A fresh random 8-byte key id. */
    public static KeyId randomKeyId() {
        return new KeyId(Jca.random().nextLong());
    }
}
