package io.bulwark.crypto;

import io.bulwark.crypto.internal.AesGcmScheme;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/**
 * AES-256-GCM keys that rotate, e.g. a recipient's epoch keys: the primary encrypts; every key of the set
 * decrypts what it encrypted, found by the key id in the ciphertext. See {@link Aead} for the guarantees.
 * Immutable and thread-safe.
 */
public final class AeadKeyset implements Aead {

    private final List<AeadKey> keys;
    private final int primary;

    private AeadKeyset(List<AeadKey> keys, int primary) {
        this.keys = List.copyOf(keys);
        this.primary = primary;
    }

    /**
     * A keyset of {@code primary} and {@code older} keys that only decrypt.
     *
     * @throws IllegalArgumentException if two keys share an id
     */
    public static AeadKeyset of(AeadKey primary, AeadKey... older) {
        List<AeadKey> keys = new ArrayList<>(List.of(older));
        keys.add(primary);
        requireDistinctIds(keys);
        return new AeadKeyset(keys, keys.size() - 1);
    }

    /** A keyset with one fresh key. */
    public static AeadKeyset generate() {
        return of(AeadKey.generate());
    }

    /** A new keyset whose primary is a fresh key; every key of this one is kept for decrypting. */
    public AeadKeyset rotate() {
        return withPrimary(AeadKey.generate());
    }

    /**
     * A new keyset whose primary is {@code key}, added if it is not in the set (matched by id).
     */
    public AeadKeyset withPrimary(AeadKey key) {
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).keyId().equals(key.keyId())) {
                return new AeadKeyset(keys, i);
            }
        }
        List<AeadKey> more = new ArrayList<>(keys);
        more.add(key);
        return new AeadKeyset(more, more.size() - 1);
    }

    /** The key that encrypts. */
    public AeadKey primary() {
        return keys.get(primary);
    }

    /** The ids of every key, oldest first. */
    public List<KeyId> keyIds() {
        return keys.stream().map(AeadKey::keyId).toList();
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return primary().encrypt(plaintext, associatedData);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        KeyId id = AesGcmScheme.keyId(ciphertext);
        for (AeadKey key : keys) {
            if (key.keyId().equals(id)) {
                return key.decrypt(ciphertext, associatedData);
            }
        }
        throw AesGcmScheme.failed();
    }

    private static void requireDistinctIds(List<AeadKey> keys) {
        if (keys.stream().map(AeadKey::keyId).distinct().count() != keys.size()) {
            throw new IllegalArgumentException("two keys share an id");
        }
    }

    /** Key ids only: never key material. */
    @Override
    public String toString() {
        return "AeadKeyset[primary " + primary().keyId() + ", keys " + keyIds() + "]";
    }
}
