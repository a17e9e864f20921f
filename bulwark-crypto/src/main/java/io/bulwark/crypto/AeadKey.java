package io.bulwark.crypto;

import io.bulwark.crypto.internal.AesGcmScheme;
import io.bulwark.crypto.internal.GcmCipherPool;
import io.bulwark.crypto.internal.Hkdf;
import io.bulwark.crypto.internal.Jca;
import io.bulwark.crypto.internal.SymmetricKeyCodec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One AES-256-GCM key with its id: an opaque handle. The key material leaves it only encrypted, through
 * {@link #wrap}. See {@link Aead} for the guarantees. Immutable and thread-safe.
 */
public final class AeadKey implements Aead {

    private static final byte[] SHARED_SECRET_INFO =
            "BulwarkAeadKeyFromSharedSecretV1".getBytes(StandardCharsets.US_ASCII);

    private final KeyId keyId;
    private final SecretKey key;
    /** Ciphers that know this key's schedule: it wraps a data key per record and nation. */
    private final GcmCipherPool ciphers = new GcmCipherPool();

    private AeadKey(KeyId keyId, byte[] key) {
        this.keyId = keyId;
        this.key = new SecretKeySpec(key, "AES");
        Arrays.fill(key, (byte) 0);
    }

    /** A fresh random key with a fresh random id. */
    public static AeadKey generate() {
        return new AeadKey(SymmetricKeyCodec.randomKeyId(), Jca.randomBytes(AesGcmScheme.KEY_LENGTH));
    }

    /**
     * The key both ends of a hybrid KEM derive from its shared secret: key and id come from
     * {@code HKDF-SHA256(salt = empty, IKM = secret, info = "BulwarkAeadKeyFromSharedSecretV1", L = 40)},
     * the first 32 bytes the AES key, the last 8 the key id.
     *
     * @throws InvalidKeyException unless the secret is 32 raw bytes (as {@link Encapsulation#sharedSecret()}
     *                             and {@link KemKeyset#decapsulate} give)
     */
    public static AeadKey fromSharedSecret(SecretKey sharedSecret) throws InvalidKeyException {
        byte[] secret = "RAW".equals(sharedSecret.getFormat()) ? sharedSecret.getEncoded() : null;
        if (secret == null || secret.length != 32) {
            throw new InvalidKeyException("a hybrid KEM shared secret is 32 raw bytes");
        }
        byte[] okm = Hkdf.extractAndExpand(new byte[0], secret, SHARED_SECRET_INFO, 40);
        Arrays.fill(secret, (byte) 0);
        long id = 0;
        for (int i = 32; i < 40; i++) {
            id = (id << 8) | (okm[i] & 0xFF);
        }
        AeadKey key = new AeadKey(new KeyId(id), Arrays.copyOf(okm, 32));
        Arrays.fill(okm, (byte) 0);
        return key;
    }

    /** Package-private for known-answer tests: a key from given bytes. */
    static AeadKey fromBytes(KeyId keyId, byte[] key) {
        if (key.length != AesGcmScheme.KEY_LENGTH) {
            throw new IllegalArgumentException("an AES-256 key is 32 bytes");
        }
        return new AeadKey(keyId, key.clone());
    }

    /** The id written into every ciphertext of this key. */
    public KeyId keyId() {
        return keyId;
    }

    /** Always {@link Algorithm#AES_256_GCM}. */
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return AesGcmScheme.encrypt(key, ciphers, keyId, plaintext, associatedData);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return AesGcmScheme.decrypt(key, ciphers, keyId, ciphertext, associatedData);
    }

    /**
     * This key encrypted under {@code keyEncryptionKey}: how a data key travels to a recipient.
     *
     * @param associatedData bound to the wrapped key, e.g. the record id; the same must be given to unwrap
     */
    public byte[] wrap(Aead keyEncryptionKey, byte[] associatedData) throws GeneralSecurityException {
        byte[] material = key.getEncoded();
        byte[] plaintext = SymmetricKeyCodec.encode(Algorithm.AES_256_GCM, keyId, material);
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
     * @throws InvalidEncodingException if the wrapped key is not an AES-256-GCM key
     * @throws javax.crypto.AEADBadTagException "decryption failed" if the key-encryption key or associated
     *                                          data is wrong, or the bytes were modified
     */
    public static AeadKey unwrap(byte[] wrapped, Aead keyEncryptionKey, byte[] associatedData)
            throws GeneralSecurityException {
        SymmetricKeyCodec.Decoded decoded = SymmetricKeyCodec.decode(Algorithm.AES_256_GCM,
                keyEncryptionKey.decrypt(wrapped, associatedData));
        return new AeadKey(decoded.keyId(), decoded.key());
    }

    /** The key id only: never key material. */
    @Override
    public String toString() {
        return "AeadKey[" + Algorithm.AES_256_GCM.displayName() + ", id " + keyId + "]";
    }
}
