package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import java.security.GeneralSecurityException;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM AEAD ciphertexts (algorithm 0x0301):
 *
 * <pre>
 * ciphertext = u16(algorithm id) || key id (8) || nonce (12, random) || GCM ciphertext || tag (16)
 * GCM AAD    = u16(algorithm id) || key id || associated data
 * </pre>
 */
public final class AesGcmScheme {

    public static final Algorithm ALGORITHM = Algorithm.AES_256_GCM;
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    public static final int HEADER_LENGTH = 2 + 8;
    public static final int OVERHEAD = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;

    private static final String INPUT = "AES-256-GCM ciphertext";

    private AesGcmScheme() {
    }

    /** @param ciphers Ciphers used before with {@code key} and no other (see {@link GcmCipherPool}) */
    public static byte[] encrypt(SecretKey key, GcmCipherPool ciphers, KeyId keyId, byte[] plaintext, byte[] associatedData)
            throws GeneralSecurityException {
        Objects.requireNonNull(associatedData, "associatedData (an empty array for none)");
        byte[] out = new byte[OVERHEAD + plaintext.length];
        out[0] = (byte) (ALGORITHM.id() >>> 8);
        out[1] = (byte) ALGORITHM.id();
        long id = keyId.value();
        for (int i = 0; i < 8; i++) {
            out[2 + i] = (byte) (id >>> (56 - 8 * i));
        }
        byte[] nonce = Jca.randomBytes(NONCE_LENGTH);
        System.arraycopy(nonce, 0, out, HEADER_LENGTH, NONCE_LENGTH);
        Cipher cipher = ciphers.take();
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(8 * TAG_LENGTH, nonce));
        cipher.updateAAD(out, 0, HEADER_LENGTH);
        cipher.updateAAD(associatedData);
        try {
            cipher.doFinal(plaintext, 0, plaintext.length, out, HEADER_LENGTH + NONCE_LENGTH);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        ciphers.give(cipher);
        return out;
    }

    /**
     * The key id of a ciphertext, after checking its public framing.
     *
     * @throws InvalidEncodingException if shorter than the overhead or the algorithm id is not AES-256-GCM
     */
    public static KeyId keyId(byte[] ciphertext) throws InvalidEncodingException {
        ByteReader in = new ByteReader(INPUT, ciphertext);
        in.algorithm(ALGORITHM);
        if (ciphertext.length < OVERHEAD) {
            throw in.errorAt(0, "an " + ALGORITHM.displayName() + " ciphertext is at least " + OVERHEAD
                    + " bytes, found " + ciphertext.length);
        }
        return new KeyId(in.u64("key id"));
    }

    /**
     * @throws AEADBadTagException "decryption failed", whatever the key-dependent reason
     */
    public static byte[] decrypt(SecretKey key, GcmCipherPool ciphers, KeyId keyId, byte[] ciphertext, byte[] associatedData)
            throws GeneralSecurityException {
        Objects.requireNonNull(associatedData, "associatedData (an empty array for none)");
        if (!keyId(ciphertext).equals(keyId)) {
            throw failed();
        }
        Cipher cipher = ciphers.take();
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(8 * TAG_LENGTH, ciphertext, HEADER_LENGTH, NONCE_LENGTH));
        cipher.updateAAD(ciphertext, 0, HEADER_LENGTH);
        cipher.updateAAD(associatedData);
        try {
            int offset = HEADER_LENGTH + NONCE_LENGTH;
            byte[] plaintext = cipher.doFinal(ciphertext, offset, ciphertext.length - offset);
            ciphers.give(cipher);
            return plaintext;
        } catch (AEADBadTagException e) {
            throw failed();
        }
    }

    public static AEADBadTagException failed() {
        return new AEADBadTagException("decryption failed");
    }
}
