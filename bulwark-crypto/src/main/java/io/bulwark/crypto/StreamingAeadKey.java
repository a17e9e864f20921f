package io.bulwark.crypto;

import io.bulwark.crypto.internal.AesGcmScheme;
import io.bulwark.crypto.internal.DecryptingInputStream;
import io.bulwark.crypto.internal.EncryptingOutputStream;
import io.bulwark.crypto.internal.Jca;
import io.bulwark.crypto.internal.StreamSegmentCipher;
import io.bulwark.crypto.internal.SymmetricKeyCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key for streaming AEAD of large payloads (algorithm 0x0401): AES-256-GCM over 64 KiB segments under a
 * per-stream key derived with HKDF-SHA256, in the manner of Tink's AES-GCM-HKDF streaming AEAD and of the
 * STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, CRYPTO 2015). An opaque handle with an id;
 * the key material leaves it only encrypted, through {@link #wrap}. Immutable and thread-safe; the streams
 * it makes are not.
 *
 * <p><b>Security guarantees.</b> A reader gets back exactly the bytes written, with the same associated
 * data, or an error: modified, reordered, dropped, duplicated or appended segments, a truncated stream, and
 * segments moved between streams are all detected. Plaintext of a segment is released only after that
 * segment authenticated. Because a stream is read front to back, a reader may consume authenticated
 * segments of a stream whose end later proves truncated or modified: only a clean end of stream ({@code
 * -1}) vouches for the whole; act on the data only then, or use {@link SegmentDecrypter} per segment.
 * Each stream uses a fresh random salt and nonce prefix: callers never handle nonces. Failures never say
 * which check failed.
 */
public final class StreamingAeadKey {

    /** Plaintext bytes per segment (every segment but the last is full): 65,536. */
    public static final int SEGMENT_SIZE = StreamSegmentCipher.SEGMENT_SIZE;

    /** Ciphertext bytes per full segment: 65,552 (the plaintext and a 16-byte tag). */
    public static final int CIPHERTEXT_SEGMENT_SIZE = StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE;

    /** Bytes of the stream header before segment 0: 49. */
    public static final int HEADER_LENGTH = StreamSegmentCipher.HEADER_LENGTH;

    private final KeyId keyId;
    private final SecretKey key;

    private StreamingAeadKey(KeyId keyId, byte[] key) {
        this.keyId = keyId;
        this.key = new SecretKeySpec(key, "AES");
        Arrays.fill(key, (byte) 0);
    }

    /** A fresh random key with a fresh random id. */
    public static StreamingAeadKey generate() {
        // One draw for both (one per record): the first 8 bytes the public id, the other 32 the key.
        byte[] random = Jca.randomBytes(8 + SymmetricKeyCodec.KEY_LENGTH);
        long id = 0;
        for (int i = 0; i < 8; i++) {
            id = (id << 8) | (random[i] & 0xFF);
        }
        byte[] key = Arrays.copyOfRange(random, 8, random.length);
        Arrays.fill(random, (byte) 0);
        return new StreamingAeadKey(new KeyId(id), key);
    }

    /** Package-private for known-answer tests: a key from given bytes. */
    static StreamingAeadKey fromBytes(KeyId keyId, byte[] key) {
        if (key.length != SymmetricKeyCodec.KEY_LENGTH) {
            throw new IllegalArgumentException("a streaming AEAD key is 32 bytes");
        }
        return new StreamingAeadKey(keyId, key.clone());
    }

    /** The id written into every stream header of this key. */
    public KeyId keyId() {
        return keyId;
    }

    /** Always {@link Algorithm#AES_256_GCM_HKDF_SHA256_64KIB}. */
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM_HKDF_SHA256_64KIB;
    }

    /**
     * A stream that encrypts what is written to it into {@code ciphertext}. The header is written at once;
     * each full segment as soon as the next byte arrives; the last segment on {@link OutputStream#close()},
     * which also closes {@code ciphertext}. Not closing it leaves a truncated, undecryptable stream.
     *
     * @param associatedData authenticated with every segment; an empty array for none
     */
    public OutputStream newEncryptingStream(OutputStream ciphertext, byte[] associatedData) throws IOException {
        return new EncryptingOutputStream(ciphertext,
                StreamSegmentCipher.forEncryption(key, keyId, associatedData));
    }

    /**
     * The whole ciphertext of a plaintext already in memory: the bytes
     * {@link #newEncryptingStream} writes for it (with its own fresh salt and nonce prefix), in one
     * array of {@link #ciphertextLength} bytes, encrypted straight into it with no segment buffer
     * between — a copy of the payload fewer.
     *
     * @param associatedData authenticated with every segment; an empty array for none
     */
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return StreamSegmentCipher.forEncryption(key, keyId, associatedData).encryptAll(plaintext);
    }

    /**
     * A stream of the plaintext of {@code ciphertext}. A failure is an {@link IOException} whose cause is
     * the {@link GeneralSecurityException} ({@link InvalidEncodingException} for a malformed header,
     * {@link AEADBadTagException} "decryption failed" otherwise); it repeats on every later read.
     */
    public InputStream newDecryptingStream(InputStream ciphertext, byte[] associatedData) {
        return new DecryptingInputStream(ciphertext, key, keyId, associatedData);
    }

    /**
     * Random access: a decrypter of single segments of the stream with this header (the first
     * {@value #HEADER_LENGTH} bytes), e.g. for range reads from object storage.
     *
     * @throws InvalidEncodingException if the header is malformed
     * @throws AEADBadTagException      "decryption failed" if the stream is under another key
     */
    public SegmentDecrypter newSegmentDecrypter(byte[] header, byte[] associatedData) throws GeneralSecurityException {
        return new SegmentDecrypter(StreamSegmentCipher.forDecryption(key, keyId, header, associatedData));
    }

    /** The ciphertext length of a plaintext of {@code plaintextLength} bytes. */
    public static long ciphertextLength(long plaintextLength) {
        return StreamSegmentCipher.ciphertextLength(plaintextLength);
    }

    /** Where segment {@code index} starts in the ciphertext. */
    public static long segmentOffset(long index) {
        return HEADER_LENGTH + index * CIPHERTEXT_SEGMENT_SIZE;
    }

    /** The number of segments in a ciphertext of {@code ciphertextLength} bytes (the last is at count - 1). */
    public static long segmentCount(long ciphertextLength) {
        return Math.max(1, (ciphertextLength - HEADER_LENGTH + CIPHERTEXT_SEGMENT_SIZE - 1) / CIPHERTEXT_SEGMENT_SIZE);
    }

    /**
     * Decrypts single segments of one stream. Not thread-safe: one per thread.
     *
     * <p><b>Security guarantees.</b> {@link #decryptSegment} returns the plaintext of a segment only if it
     * authenticates as segment {@code index} of this stream, last or not as stated; it never returns
     * unauthenticated plaintext. Whether the stream is complete is the caller's to establish, by
     * decrypting its last segment with {@code last = true}.
     */
    public static final class SegmentDecrypter {

        private final StreamSegmentCipher cipher;

        private SegmentDecrypter(StreamSegmentCipher cipher) {
            this.cipher = cipher;
        }

        /**
         * @param index             the segment's position, from 0
         * @param ciphertextSegment exactly {@value StreamingAeadKey#CIPHERTEXT_SEGMENT_SIZE} bytes, or 16 to
         *                          that many for the last segment
         * @param last              whether this is the stream's last segment
         * @throws AEADBadTagException "decryption failed"
         */
        public byte[] decryptSegment(long index, byte[] ciphertextSegment, boolean last) throws GeneralSecurityException {
            if (ciphertextSegment.length < StreamSegmentCipher.TAG_LENGTH) {
                throw AesGcmScheme.failed();
            }
            byte[] plaintext = new byte[ciphertextSegment.length - StreamSegmentCipher.TAG_LENGTH];
            cipher.decryptSegment(index, last, ciphertextSegment, 0, ciphertextSegment.length, plaintext, 0);
            return plaintext;
        }
    }

    /**
     * This key encrypted under {@code keyEncryptionKey}: how a data key travels to a recipient.
     *
     * @param associatedData bound to the wrapped key, e.g. the record id; the same must be given to unwrap
     */
    public byte[] wrap(Aead keyEncryptionKey, byte[] associatedData) throws GeneralSecurityException {
        byte[] material = key.getEncoded();
        byte[] plaintext = SymmetricKeyCodec.encode(algorithm(), keyId, material);
        try {
            return keyEncryptionKey.encrypt(plaintext, associatedData);
        } finally {
            Arrays.fill(material, (byte) 0);
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /**
     * The key {@link #wrap} encrypted.
     *
     * @throws InvalidEncodingException if the wrapped key is not a streaming AEAD key
     * @throws AEADBadTagException      "decryption failed" if the key-encryption key or associated data is
     *                                  wrong, or the bytes were modified
     */
    public static StreamingAeadKey unwrap(byte[] wrapped, Aead keyEncryptionKey, byte[] associatedData)
            throws GeneralSecurityException {
        SymmetricKeyCodec.Decoded decoded = SymmetricKeyCodec.decode(Algorithm.AES_256_GCM_HKDF_SHA256_64KIB,
                keyEncryptionKey.decrypt(wrapped, associatedData));
        return new StreamingAeadKey(decoded.keyId(), decoded.key());
    }

    /** The key id only: never key material. */
    @Override
    public String toString() {
        return "StreamingAeadKey[" + algorithm().displayName() + ", id " + keyId + "]";
    }
}
