package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keystore file, version 1:
 *
 * <pre>
 * offset  size  field
 *  0       8    magic 89 42 57 4B 0D 0A 1A 0A ("\x89BWK\r\n\x1a\n")
 *  8       2    format version, 0x0001
 * 10       2    algorithm id, 0x0501 (PBKDF2-HMAC-SHA256, then AES-256-GCM)
 * 12       4    PBKDF2 iteration count, 1 to 10,000,000
 * 16      32    salt (random)
 * 48      12    nonce (random)
 * 60       4    N = length of what follows, 16 to 16 MiB
 * 64       N    AES-256-GCM(key = PBKDF2-HMAC-SHA256(UTF-8 passphrase, salt, iterations, 32 bytes),
 *                           nonce, AAD = bytes 0 to 63, payload) || tag (16)
 * </pre>
 *
 * PBKDF2-HMAC-SHA256 because it is the strongest passphrase KDF in the JDK (scrypt and Argon2 would need a
 * dependency); 600,000 iterations is the OWASP 2023 recommendation for it. The JDK's PBKDF2 feeds the
 * passphrase to HMAC as UTF-8.
 */
public final class KeystoreEnvelope {

    public static final byte[] MAGIC = {(byte) 0x89, 'B', 'W', 'K', '\r', '\n', 0x1A, '\n'};
    public static final int VERSION = 1;
    public static final Algorithm ALGORITHM = Algorithm.PBKDF2_HMAC_SHA256_AES_256_GCM;
    public static final int HEADER_LENGTH = 64;
    public static final int SALT_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int MAX_ITERATIONS = 10_000_000;
    public static final int MAX_CIPHERTEXT_LENGTH = 16 * 1024 * 1024;

    private static final String INPUT = "keystore file";

    private KeystoreEnvelope() {
    }

    public static byte[] seal(byte[] payload, char[] passphrase, int iterations) {
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("iteration count " + iterations + " outside 1.." + MAX_ITERATIONS);
        }
        byte[] salt = Jca.randomBytes(SALT_LENGTH);
        byte[] nonce = Jca.randomBytes(NONCE_LENGTH);
        int ciphertextLength = payload.length + 16;
        byte[] header = new ByteWriter(HEADER_LENGTH).bytes(MAGIC).u16(VERSION).algorithm(ALGORITHM)
                .u32(iterations).bytes(salt).bytes(nonce).u32(ciphertextLength).toByteArray();
        SecretKey key = deriveKey(passphrase, salt, iterations);
        try {
            Cipher cipher = Jca.aesGcm();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(header);
            byte[] file = Arrays.copyOf(header, HEADER_LENGTH + ciphertextLength);
            cipher.doFinal(payload, 0, payload.length, file, HEADER_LENGTH);
            return file;
        } catch (GeneralSecurityException e) {
            throw new ProviderException("AES-256-GCM failed on valid input", e);
        }
    }

    /**
     * The payload of a keystore file.
     *
     * @throws InvalidEncodingException naming the field: bad magic, unsupported version, unknown algorithm,
     *                                  iteration count out of range, truncated or extended file
     * @throws AEADBadTagException      "wrong passphrase or corrupted keystore" (they cannot be told apart)
     */
    public static byte[] open(byte[] file, char[] passphrase) throws GeneralSecurityException {
        ByteReader in = new ByteReader(INPUT, file);
        int magicLength = Math.min(file.length, MAGIC.length);
        if (!Arrays.equals(file, 0, magicLength, MAGIC, 0, magicLength)) {
            throw in.errorAt(0, "not a Bulwark keystore (bad magic bytes)");
        }
        if (file.length < HEADER_LENGTH) {
            throw in.errorAt(file.length, "truncated: " + file.length + " bytes, the header alone is " + HEADER_LENGTH);
        }
        in.bytes(MAGIC.length, "magic");
        int version = in.u16("version");
        if (version != VERSION) {
            throw in.errorAt(8, "unsupported keystore format version " + version + " (this build reads version " + VERSION + ")");
        }
        in.algorithm(ALGORITHM);
        long iterations = in.u32("iteration count");
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw in.errorAt(12, "PBKDF2 iteration count " + iterations + " outside 1.." + MAX_ITERATIONS);
        }
        byte[] salt = in.bytes(SALT_LENGTH, "salt");
        byte[] nonce = in.bytes(NONCE_LENGTH, "nonce");
        long ciphertextLength = in.u32("ciphertext length");
        if (ciphertextLength < 16 || ciphertextLength > MAX_CIPHERTEXT_LENGTH) {
            throw in.errorAt(60, "ciphertext length " + ciphertextLength + " outside 16.." + MAX_CIPHERTEXT_LENGTH);
        }
        if (in.remaining() < ciphertextLength) {
            throw in.errorAt(file.length, "truncated: the header announces " + ciphertextLength
                    + " bytes of ciphertext, the file has " + in.remaining());
        }
        if (in.remaining() > ciphertextLength) {
            throw in.errorAt(HEADER_LENGTH + ciphertextLength, (in.remaining() - ciphertextLength)
                    + " unexpected bytes after the ciphertext");
        }
        SecretKey key = deriveKey(passphrase, salt, (int) iterations);
        Cipher cipher = Jca.aesGcm();
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(file, 0, HEADER_LENGTH);
        try {
            return cipher.doFinal(file, HEADER_LENGTH, (int) ciphertextLength);
        } catch (AEADBadTagException e) {
            throw new AEADBadTagException("wrong passphrase or corrupted keystore");
        }
    }

    /** The iteration count recorded in a keystore file's header (for tests and diagnostics). */
    public static long iterations(byte[] file) throws InvalidEncodingException {
        ByteReader in = new ByteReader(INPUT, file);
        in.bytes(12, "magic, version and algorithm");
        return in.u32("iteration count");
    }

    private static SecretKey deriveKey(char[] passphrase, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(passphrase, salt, iterations, 256);
        byte[] key = null;
        try {
            key = Jca.pbkdf2HmacSha256().generateSecret(spec).getEncoded();
            return new SecretKeySpec(key, "AES");
        } catch (GeneralSecurityException e) {
            throw new ProviderException("PBKDF2-HMAC-SHA256 failed on valid input", e);
        } finally {
            spec.clearPassword();
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }
}
