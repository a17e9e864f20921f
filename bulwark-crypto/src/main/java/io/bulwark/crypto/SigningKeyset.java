package io.bulwark.crypto;

import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.ByteWriter;
import io.bulwark.crypto.internal.Component;
import io.bulwark.crypto.internal.HybridSignatureScheme;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's hybrid ML-DSA-65 + Ed25519 signing keys: one primary key that signs, and the keys it replaced,
 * kept so that what they signed still verifies. An opaque handle: private keys never leave it except
 * encrypted inside a {@link Keystore}.
 *
 * <p><b>Security guarantees.</b> {@link #sign} produces a hybrid signature (see
 * {@link HybridPublicSigningKey}) carrying the primary key's id; {@link #verify} finds the key by that id
 * among all keys of the set and requires both components to verify. Immutable and thread-safe:
 * {@link #rotate()} returns a new keyset.
 */
public final class SigningKeyset {

    private static final int MAX_KEYS = 1024;
    private static final byte[] SELF_TEST = "Bulwark keystore self-test".getBytes(StandardCharsets.US_ASCII);

    private record Entry(HybridPublicSigningKey publicKey, PrivateKey mlDsa65, PrivateKey ed25519) {
    }

    private final List<Entry> entries;
    private final int primary;

    private SigningKeyset(List<Entry> entries, int primary) {
        this.entries = List.copyOf(entries);
        this.primary = primary;
    }

    /** A keyset with one fresh key pair as primary. */
    public static SigningKeyset generate() {
        return new SigningKeyset(List.of(newEntry()), 0);
    }

    private static Entry newEntry() {
        KeyPair pq = Component.ML_DSA_65.generate();
        KeyPair classical = Component.ED25519.generate();
        return new Entry(HybridPublicSigningKey.of(pq.getPublic(), classical.getPublic()),
                pq.getPrivate(), classical.getPrivate());
    }

    /** A new keyset whose primary is a fresh key pair; every key of this one is kept for verifying. */
    public SigningKeyset rotate() {
        List<Entry> more = new ArrayList<>(entries);
        more.add(newEntry());
        if (more.size() > MAX_KEYS) {
            throw new IllegalStateException("a keyset holds at most " + MAX_KEYS + " keys: retire old keys first");
        }
        return new SigningKeyset(more, more.size() - 1);
    }

    /**
     * A new keyset without the key {@code id} (retiring it: its signatures no longer verify here).
     *
     * @throws IllegalArgumentException if {@code id} is the primary or not in this keyset
     */
    public SigningKeyset withoutKey(KeyId id) {
        int index = indexOf(id);
        if (index < 0) {
            throw new IllegalArgumentException("no key " + id + " in this keyset");
        }
        if (index == primary) {
            throw new IllegalArgumentException("key " + id + " is the primary: rotate before retiring it");
        }
        List<Entry> fewer = new ArrayList<>(entries);
        fewer.remove(index);
        return new SigningKeyset(fewer, index < primary ? primary - 1 : primary);
    }

    /** The public key of the primary, the one {@link #sign} uses. */
    public HybridPublicSigningKey primary() {
        return entries.get(primary).publicKey();
    }

    /** Every public key of the set, oldest first. */
    public List<HybridPublicSigningKey> publicKeys() {
        return entries.stream().map(Entry::publicKey).toList();
    }

    /**
     * Signs {@code message} with the primary key: {@value HybridPublicSigningKey#SIGNATURE_LENGTH} bytes.
     */
    public byte[] sign(byte[] message) throws GeneralSecurityException {
        Entry entry = entries.get(primary);
        byte[] encoded = entry.publicKey().encode(); // ... || Ed25519 public key (32): checked against the private key
        byte[] ed25519Public = java.util.Arrays.copyOfRange(encoded, encoded.length - Component.ED25519.publicKeyLength(),
                encoded.length);
        return HybridSignatureScheme.sign(entry.mlDsa65(), entry.ed25519(), ed25519Public, entry.publicKey().keyId(),
                entry.publicKey().fingerprint().bytes(), message);
    }

    /**
     * Verifies a hybrid signature made by any key of this set.
     *
     * @throws InvalidEncodingException if the signature is malformed
     * @throws SignatureException       if no key of this set has its key id, or either component fails
     */
    public void verify(byte[] signature, byte[] message) throws GeneralSecurityException {
        HybridSignatureScheme.Parsed parsed = HybridSignatureScheme.parse(signature);
        int index = indexOf(parsed.keyId());
        if (index < 0) {
            throw new SignatureException("no key " + parsed.keyId() + " in this keyset");
        }
        entries.get(index).publicKey().verifyParsed(parsed, message);
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
        out.algorithm(Algorithm.ML_DSA_65_ED25519).u16(entries.size()).u16(primary);
        for (Entry entry : entries) {
            out.bytes(entry.publicKey().encode())
                    .lengthPrefixed(entry.mlDsa65().getEncoded())
                    .lengthPrefixed(entry.ed25519().getEncoded());
        }
    }

    static SigningKeyset decodePrivate(ByteReader in) throws GeneralSecurityException {
        in.algorithm(Algorithm.ML_DSA_65_ED25519);
        int count = in.u16("key count");
        int primary = in.u16("primary index");
        if (count < 1 || count > MAX_KEYS || primary >= count) {
            throw in.error("signing keyset with " + count + " keys and primary " + primary);
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = in.position();
            HybridPublicSigningKey publicKey = HybridPublicSigningKey.parse(
                    in.bytes(HybridPublicSigningKey.ENCODED_LENGTH, "hybrid public signing key"));
            PrivateKey pq = privateKey(in, Component.ML_DSA_65);
            PrivateKey classical = privateKey(in, Component.ED25519);
            Entry entry = new Entry(publicKey, pq, classical);
            byte[] test = HybridSignatureScheme.sign(pq, classical, publicKey.keyId(),
                    publicKey.fingerprint().bytes(), SELF_TEST);
            try {
                publicKey.verify(test, SELF_TEST);
            } catch (SignatureException e) {
                throw in.errorAt(at, "signing key " + publicKey.keyId() + ": private key does not match public key");
            }
            for (Entry earlier : entries) {
                if (earlier.publicKey().keyId().equals(publicKey.keyId())) {
                    throw in.errorAt(at, "duplicate key id " + publicKey.keyId());
                }
            }
            entries.add(entry);
        }
        return new SigningKeyset(entries, primary);
    }

    static PrivateKey privateKey(ByteReader in, Component component) throws InvalidEncodingException {
        int at = in.position();
        byte[] pkcs8 = in.lengthPrefixed(16 * 1024, component.jcaName() + " private key");
        try {
            return component.privateKey(pkcs8);
        } catch (InvalidKeySpecException e) {
            throw in.errorAt(at, "not a valid PKCS#8 " + component.jcaName() + " private key");
        }
    }

    /** Key ids only: never key material. */
    @Override
    public String toString() {
        return "SigningKeyset[primary " + primary().keyId() + ", keys " + publicKeys().stream().map(HybridPublicSigningKey::keyId).toList() + "]";
    }
}
