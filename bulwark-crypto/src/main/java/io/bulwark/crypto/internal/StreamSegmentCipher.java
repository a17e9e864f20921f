package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The streaming AEAD of algorithm 0x0401, after Tink's AES-GCM-HKDF streaming AEAD and the STREAM
 * construction of Hoang, Reyhanitabar, Rogaway and Vizár ("Online Authenticated-Encryption and its
 * Nonce-Reuse Misuse-Resistance", CRYPTO 2015):
 *
 * <pre>
 * header        = u16(algorithm id) || key id (8) || salt (32, random) || nonce prefix (7, random)
 * stream key    = HKDF-SHA256(salt = salt, IKM = data key, info = u16(algorithm id) || key id || associated data, L = 32)
 * segment i     = AES-256-GCM(stream key, nonce = prefix || u32(i) || last-flag (0x00 or 0x01), AAD = empty,
 *                             plaintext segment i) = ciphertext || tag (16)
 * ciphertext    = header || segment 0 || segment 1 || ... || segment n-1
 * </pre>
 *
 * Every plaintext segment is {@value #SEGMENT_SIZE} bytes except the last, which holds 0 to
 * {@value #SEGMENT_SIZE} bytes and is the only one encrypted with last-flag 0x01. The index in the nonce
 * detects reordering, the flag truncation and extension, the per-stream key (fresh salt) swaps between
 * streams; the associated data is bound through the key.
 */
public final class StreamSegmentCipher {

    public static final Algorithm ALGORITHM = Algorithm.AES_256_GCM_HKDF_SHA256_64KIB;
    public static final int SEGMENT_SIZE = 64 * 1024;
    public static final int TAG_LENGTH = 16;
    public static final int CIPHERTEXT_SEGMENT_SIZE = SEGMENT_SIZE + TAG_LENGTH;
    public static final int SALT_LENGTH = 32;
    public static final int NONCE_PREFIX_LENGTH = 7;
    public static final int HEADER_LENGTH = 2 + 8 + SALT_LENGTH + NONCE_PREFIX_LENGTH;
    public static final long MAX_SEGMENTS = 1L << 32;

    private static final String INPUT = "streaming AEAD header";

    private final byte[] header;
    private final SecretKey streamKey;
    private final byte[] nonce = new byte[12];
    private final Cipher cipher = Jca.aesGcm();

    private StreamSegmentCipher(byte[] header, SecretKey dataKey, byte[] associatedData) {
        Objects.requireNonNull(associatedData, "associatedData (an empty array for none)");
        this.header = header;
        byte[] salt = Arrays.copyOfRange(header, 10, 10 + SALT_LENGTH);
        byte[] info = new byte[10 + associatedData.length];
        System.arraycopy(header, 0, info, 0, 10);
        System.arraycopy(associatedData, 0, info, 10, associatedData.length);
        byte[] ikm = dataKey.getEncoded();
        byte[] derived = Hkdf.extractAndExpand(salt, ikm, info, 32);
        this.streamKey = new SecretKeySpec(derived, "AES");
        Arrays.fill(ikm, (byte) 0);
        Arrays.fill(derived, (byte) 0);
        System.arraycopy(header, 10 + SALT_LENGTH, nonce, 0, NONCE_PREFIX_LENGTH);
    }

    /** A cipher for a new stream, with a fresh random salt and nonce prefix. */
    public static StreamSegmentCipher forEncryption(SecretKey dataKey, KeyId keyId, byte[] associatedData) {
        byte[] header = new ByteWriter(HEADER_LENGTH).algorithm(ALGORITHM).u64(keyId.value())
                .bytes(Jca.randomBytes(SALT_LENGTH + NONCE_PREFIX_LENGTH)).toByteArray(); // salt, nonce prefix
        return new StreamSegmentCipher(header, dataKey, associatedData);
    }

    /**
     * The cipher of an existing stream, from its header.
     *
     * @throws InvalidEncodingException if the header is short or names another algorithm
     * @throws AEADBadTagException      "decryption failed" if the header names another key
     */
    public static StreamSegmentCipher forDecryption(SecretKey dataKey, KeyId keyId, byte[] header, byte[] associatedData)
            throws GeneralSecurityException {
        ByteReader in = new ByteReader(INPUT, header);
        in.algorithm(ALGORITHM);
        if (header.length != HEADER_LENGTH) {
            throw in.errorAt(0, "the header is " + HEADER_LENGTH + " bytes, found " + header.length);
        }
        if (in.u64("key id") != keyId.value()) {
            throw AesGcmScheme.failed();
        }
        return new StreamSegmentCipher(header.clone(), dataKey, associatedData);
    }

    /** The header to write before the first segment. */
    public byte[] header() {
        return header.clone();
    }

    private GCMParameterSpec nonce(long index, boolean last) {
        if (index < 0 || index >= MAX_SEGMENTS) {
            throw new IllegalArgumentException("segment index " + index + " out of range");
        }
        nonce[7] = (byte) (index >>> 24);
        nonce[8] = (byte) (index >>> 16);
        nonce[9] = (byte) (index >>> 8);
        nonce[10] = (byte) index;
        nonce[11] = (byte) (last ? 1 : 0);
        return new GCMParameterSpec(8 * TAG_LENGTH, nonce);
    }

    /**
     * The header and every segment of {@code plaintext}, exactly as a stream of this cipher writes
     * them, in one array of {@link #ciphertextLength} bytes: segments are encrypted straight into it.
     */
    public byte[] encryptAll(byte[] plaintext) throws GeneralSecurityException {
        long length = ciphertextLength(plaintext.length);
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a plaintext of " + plaintext.length + " bytes does not encrypt into one array");
        }
        byte[] out = new byte[(int) length];
        System.arraycopy(header, 0, out, 0, HEADER_LENGTH);
        int at = HEADER_LENGTH;
        long segments = Math.max(1, (plaintext.length + SEGMENT_SIZE - 1L) / SEGMENT_SIZE);
        for (long i = 0; i < segments; i++) {
            int from = (int) (i * SEGMENT_SIZE);
            at += encryptSegment(i, i == segments - 1, plaintext, from, Math.min(SEGMENT_SIZE, plaintext.length - from), out, at);
        }
        return out;
    }

    /** Encrypts one plaintext segment into {@code out}; returns the bytes written ({@code length + 16}). */
    public int encryptSegment(long index, boolean last, byte[] in, int offset, int length, byte[] out, int outOffset)
            throws GeneralSecurityException {
        if (length > SEGMENT_SIZE || (!last && length != SEGMENT_SIZE)) {
            throw new IllegalArgumentException("segment of " + length + " bytes");
        }
        cipher.init(Cipher.ENCRYPT_MODE, streamKey, nonce(index, last));
        try {
            return cipher.doFinal(in, offset, length, out, outOffset);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Decrypts and authenticates one ciphertext segment into {@code out}; returns the plaintext length.
     * Nothing of {@code out} may be used unless this returns.
     *
     * @throws AEADBadTagException "decryption failed"
     */
    public int decryptSegment(long index, boolean last, byte[] in, int offset, int length, byte[] out, int outOffset)
            throws GeneralSecurityException {
        if (length < TAG_LENGTH || length > CIPHERTEXT_SEGMENT_SIZE || (!last && length != CIPHERTEXT_SEGMENT_SIZE)
                || index < 0 || index >= MAX_SEGMENTS) {
            throw AesGcmScheme.failed();
        }
        cipher.init(Cipher.DECRYPT_MODE, streamKey, nonce(index, last));
        try {
            return cipher.doFinal(in, offset, length, out, outOffset);
        } catch (AEADBadTagException e) {
            Arrays.fill(out, outOffset, Math.min(out.length, outOffset + length), (byte) 0);
            throw AesGcmScheme.failed();
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ciphertext length of a plaintext of {@code plaintextLength} bytes. */
    public static long ciphertextLength(long plaintextLength) {
        long segments = Math.max(1, (plaintextLength + SEGMENT_SIZE - 1) / SEGMENT_SIZE);
        return HEADER_LENGTH + plaintextLength + segments * TAG_LENGTH;
    }
}
