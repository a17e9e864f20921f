package io.bulwark.crypto;

import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.ByteWriter;
import io.bulwark.crypto.internal.Component;
import io.bulwark.crypto.internal.HybridKemScheme;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.DecapsulateException;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A node's hybrid ML-KEM-768 + X25519 KEM keys: the primary, which peers are told to encapsulate to, and
 * the keys it replaced, kept so that what was sent to them still opens. An opaque handle: private keys
 * never leave it except encrypted inside a {@link Keystore}.
 *
 * <p><b>Security guarantees.</b> {@link #decapsulate} finds the key by the id in the encapsulation and
 * recovers the sender's shared secret (see {@link HybridPublicKemKey}). A tampered encapsulation yields an
 * unrelated secret (ML-KEM implicit rejection) or fails; either way the AEAD under that secret then fails.
 * Immutable and thread-safe: {@link #rotate()} returns a new keyset.
 */
public final class KemKeyset {

    private static final int MAX_KEYS = 1024;

    private record Entry(HybridPublicKemKey publicKey, PrivateKey mlKem768, PrivateKey x25519) {
    }

    private final List<Entry> entries;
    private final int primary;

    private KemKeyset(List<Entry> entries, int primary) {
        this.entries = List.copyOf(entries);
        this.primary = primary;
    }

    /** A keyset with one fresh key pair as primary. */
    public static KemKeyset generate() {
        return new KemKeyset(List.of(newEntry()), 0);
    }

    private static Entry newEntry() {
        KeyPair pq = Component.ML_KEM_768.generate();
        KeyPair classical = Component.X25519.generate();
        return new Entry(HybridPublicKemKey.of(pq.getPublic(), classical.getPublic()), pq.getPrivate(),
                classical.getPrivate());
    }

    /** A new keyset whose primary is a fresh key pair; every key of this one is kept for decapsulating. */
    public KemKeyset rotate() {
        List<Entry> more = new ArrayList<>(entries);
        more.add(newEntry());
        if (more.size() > MAX_KEYS) {
            throw new IllegalStateException("a keyset holds at most " + MAX_KEYS + " keys: retire old keys first");
        }
        return new KemKeyset(more, more.size() - 1);
    }

    /**
     * A new keyset without the key {@code id} (retiring it: what was sent to it no longer opens here).
     *
     * @throws IllegalArgumentException if {@code id} is the primary or not in this keyset
     */
    public KemKeyset withoutKey(KeyId id) {
        int index = indexOf(id);
        if (index < 0) {
            throw new IllegalArgumentException("no key " + id + " in this keyset");
        }
        if (index == primary) {
            throw new IllegalArgumentException("key " + id + " is the primary: rotate before retiring it");
        }
        List<Entry> fewer = new ArrayList<>(entries);
        fewer.remove(index);
        return new KemKeyset(fewer, index < primary ? primary - 1 : primary);
    }

    /** The public key of the primary: the one to publish to peers. */
    public HybridPublicKemKey primary() {
        return entries.get(primary).publicKey();
    }

    /** Every public key of the set, oldest first. */
    public List<HybridPublicKemKey> publicKeys() {
        return entries.stream().map(Entry::publicKey).toList();
    }

    /**
     * Recovers the 32-byte shared secret of an encapsulation made to any key of this set.
     *
     * @throws InvalidEncodingException if the encapsulation is malformed
     * @throws DecapsulateException     "decapsulation failed" if no key of this set has its key id, or the
     *                                  X25519 share is refused
     */
    public SecretKey decapsulate(byte[] encapsulation) throws GeneralSecurityException {
        HybridKemScheme.Parsed parsed = HybridKemScheme.parse(encapsulation);
        int index = indexOf(parsed.keyId());
        if (index < 0) {
            throw new DecapsulateException("decapsulation failed");
        }
        Entry entry = entries.get(index);
        byte[] secret = HybridKemScheme.decapsulate(entry.mlKem768(), entry.x25519(),
                entry.publicKey().rawMlKem768(), entry.publicKey().rawX25519(), parsed);
        try {
            return new SecretKeySpec(secret, "Generic");
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private int indexOf(KeyId id) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).publicKey().keyId().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    /** Keystore payload encoding, see docs/formats/crypto.md. */
    void encodePrivate(ByteWriter out) {
        out.algorithm(Algorithm.ML_KEM_768_X25519).u16(entries.size()).u16(primary);
        for (Entry entry : entries) {
            out.bytes(entry.publicKey().encode())
                    .lengthPrefixed(entry.mlKem768().getEncoded())
                    .lengthPrefixed(entry.x25519().getEncoded());
        }
    }

    static KemKeyset decodePrivate(ByteReader in) throws GeneralSecurityException {
        in.algorithm(Algorithm.ML_KEM_768_X25519);
        int count = in.u16("key count");
        int primary = in.u16("primary index");
        if (count < 1 || count > MAX_KEYS || primary >= count) {
            throw in.error("KEM keyset with " + count + " keys and primary " + primary);
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = in.position();
            HybridPublicKemKey publicKey = HybridPublicKemKey.parse(
                    in.bytes(HybridPublicKemKey.ENCODED_LENGTH, "hybrid public KEM key"));
            PrivateKey pq = SigningKeyset.privateKey(in, Component.ML_KEM_768);
            PrivateKey classical = SigningKeyset.privateKey(in, Component.X25519);
            Encapsulation test = publicKey.encapsulate();
            byte[] secret = HybridKemScheme.decapsulate(pq, classical, publicKey.rawMlKem768(),
                    publicKey.rawX25519(), HybridKemScheme.parse(test.encapsulation()));
            if (!MessageDigest.isEqual(secret, test.sharedSecret().getEncoded())) {
                throw in.errorAt(at, "KEM key " + publicKey.keyId() + ": private key does not match public key");
            }
            for (Entry earlier : entries) {
                if (earlier.publicKey().keyId().equals(publicKey.keyId())) {
                    throw in.errorAt(at, "duplicate key id " + publicKey.keyId());
                }
            }
            entries.add(new Entry(publicKey, pq, classical));
        }
        return new KemKeyset(entries, primary);
    }

    /** Key ids only: never key material. */
    @Override
    public String toString() {
        return "KemKeyset[primary " + primary().keyId() + ", keys " + publicKeys().stream().map(HybridPublicKemKey::keyId).toList() + "]";
    }
}
