package io.bulwark.crypto;

import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.ByteWriter;
import io.bulwark.crypto.internal.Component;
import io.bulwark.crypto.internal.HybridSignatureScheme;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

/**
 * The public half of a hybrid ML-DSA-65 + Ed25519 signing key: what a peer pins and verifies with.
 *
 * <p>Encoding (1986 bytes): {@code u16 algorithm id 0x0101 || ML-DSA-65 public key
 * (1952) || Ed25519 public key (32)}. Its {@link #fingerprint()} is the SHA-256 of that encoding and its
 * {@link #keyId()} the fingerprint's first 8 bytes.
 *
 * <p><b>Security guarantees.</b> {@link #verify} succeeds only if the signature was made by the matching
 * private key over exactly this message, with <em>both</em> ML-DSA-65 and Ed25519 verifying: the
 * signature stays unforgeable while either algorithm stands. A component cannot be stripped and
 * presented alone, nor combined with a component from another key. Immutable and thread-safe.
 */
public final class HybridPublicSigningKey {

    /** Length of {@link #encode()}: 1986 bytes. */
    public static final int ENCODED_LENGTH = HybridSignatureScheme.PUBLIC_KEY_LENGTH;

    /** Length of every hybrid signature: 3383 bytes. */
    public static final int SIGNATURE_LENGTH = HybridSignatureScheme.SIGNATURE_LENGTH;

    private static final String INPUT = "hybrid public signing key";

    private final byte[] encoded;
    private final PublicKey mlDsa65;
    private final PublicKey ed25519;
    private final Fingerprint fingerprint;

    private HybridPublicSigningKey(byte[] encoded, PublicKey mlDsa65, PublicKey ed25519) {
        this.encoded = encoded;
        this.mlDsa65 = mlDsa65;
        this.ed25519 = ed25519;
        this.fingerprint = Fingerprint.of(encoded);
    }

    /** From the two JDK public keys of a freshly generated pair. */
    static HybridPublicSigningKey of(PublicKey mlDsa65, PublicKey ed25519) {
        byte[] encoded = new ByteWriter(ENCODED_LENGTH)
                .algorithm(Algorithm.ML_DSA_65_ED25519)
                .bytes(Component.ML_DSA_65.rawPublicKey(mlDsa65))
                .bytes(Component.ED25519.rawPublicKey(ed25519))
                .toByteArray();
        return new HybridPublicSigningKey(encoded, mlDsa65, ed25519);
    }

    /**
     * Parses an encoding made by {@link #encode()}.
     *
     * @throws InvalidEncodingException naming the offset and rule: wrong length, unknown or non-signature
     *                                  algorithm id, a component the JDK rejects
     */
    public static HybridPublicSigningKey parse(byte[] encoded) throws InvalidEncodingException {
        ByteReader in = new ByteReader(INPUT, encoded);
        in.algorithm(Algorithm.ML_DSA_65_ED25519);
        if (encoded.length != ENCODED_LENGTH) {
            throw in.errorAt(0, "an " + Algorithm.ML_DSA_65_ED25519.displayName() + " public key is "
                    + ENCODED_LENGTH + " bytes, found " + encoded.length);
        }
        PublicKey pq = component(in, Component.ML_DSA_65);
        PublicKey classical = component(in, Component.ED25519);
        in.end();
        return new HybridPublicSigningKey(encoded.clone(), pq, classical);
    }

    private static PublicKey component(ByteReader in, Component component) throws InvalidEncodingException {
        int at = in.position();
        byte[] raw = in.bytes(component.publicKeyLength(), component.jcaName() + " public key");
        try {
            return component.publicKey(raw);
        } catch (InvalidKeySpecException e) {
            throw in.errorAt(at, "not a valid " + component.jcaName() + " public key");
        }
    }

    /** The encoding, 1986 bytes (a copy). */
    public byte[] encode() {
        return encoded.clone();
    }

    /** Always {@link Algorithm#ML_DSA_65_ED25519}. */
    public Algorithm algorithm() {
        return Algorithm.ML_DSA_65_ED25519;
    }

    /** The first 8 bytes of the fingerprint; written into every signature this key makes. */
    public KeyId keyId() {
        return fingerprint.keyId();
    }

    /** SHA-256 of {@link #encode()}. */
    public Fingerprint fingerprint() {
        return fingerprint;
    }

    /**
     * Verifies a hybrid signature over {@code message}. Returns normally only if both components verify.
     *
     * @throws InvalidEncodingException if the signature is not a well-formed hybrid signature
     * @throws SignatureException       if it was made by another key, or either component fails
     */
    public void verify(byte[] signature, byte[] message) throws GeneralSecurityException {
        HybridSignatureScheme.Parsed parsed = HybridSignatureScheme.parse(signature);
        if (!parsed.keyId().equals(keyId())) {
            throw new SignatureException("signature is by key " + parsed.keyId() + ", not " + keyId());
        }
        verifyParsed(parsed, message);
    }

    void verifyParsed(HybridSignatureScheme.Parsed parsed, byte[] message) throws GeneralSecurityException {
        HybridSignatureScheme.verify(mlDsa65, ed25519, fingerprint.bytes(), parsed, message);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HybridPublicSigningKey that && Arrays.equals(encoded, that.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "HybridPublicSigningKey[" + algorithm().displayName() + ", id " + keyId() + ", SHA-256 " + fingerprint + "]";
    }
}
