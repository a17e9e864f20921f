package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;

/**
 * ML-DSA-65 + Ed25519 hybrid signatures (algorithm 0x0101). Both components sign the same
 * domain-separated message representative, in the manner of draft-ietf-lamps-pq-composite-sigs:
 *
 * <pre>
 * M' = "BulwarkHybridSignatureV1" || u16(algorithm id) || SHA-256(encoded hybrid public key) || M
 * signature = u16(algorithm id) || key id (8) || ML-DSA-65.Sign(sk1, M') (3309) || Ed25519.Sign(sk2, M') (64)
 * </pre>
 *
 * The prefix keeps a component from verifying as a plain ML-DSA or Ed25519 signature over M (stripping);
 * the fingerprint of the whole hybrid key binds each component to its partner key (mixing components of
 * different hybrid keys fails). A signature verifies only when both components do.
 */
public final class HybridSignatureScheme {

    public static final Algorithm ALGORITHM = Algorithm.ML_DSA_65_ED25519;
    public static final byte[] PREFIX = "BulwarkHybridSignatureV1".getBytes(StandardCharsets.US_ASCII);
    public static final int ML_DSA_65_SIGNATURE_LENGTH = 3309;
    public static final int ED25519_SIGNATURE_LENGTH = 64;
    public static final int SIGNATURE_LENGTH = 2 + 8 + ML_DSA_65_SIGNATURE_LENGTH + ED25519_SIGNATURE_LENGTH;
    public static final int PUBLIC_KEY_LENGTH =
            2 + Component.ML_DSA_65.publicKeyLength() + Component.ED25519.publicKeyLength();

    private static final String SIGNATURE_INPUT = "hybrid signature";

    private HybridSignatureScheme() {
    }

    /** A parsed signature: which key made it, and its two components. */
    public record Parsed(KeyId keyId, byte[] mlDsa65, byte[] ed25519) {
    }

    public static byte[] sign(PrivateKey mlDsa65, PrivateKey ed25519, KeyId keyId, byte[] fingerprint, byte[] message)
            throws GeneralSecurityException {
        byte[] pq = component(Component.ML_DSA_65, mlDsa65, fingerprint, message);
        byte[] classical = component(Component.ED25519, ed25519, fingerprint, message);
        if (pq.length != ML_DSA_65_SIGNATURE_LENGTH || classical.length != ED25519_SIGNATURE_LENGTH) {
            throw new SignatureException("unexpected component signature length");
        }
        return new ByteWriter(SIGNATURE_LENGTH)
                .algorithm(ALGORITHM).u64(keyId.value()).bytes(pq).bytes(classical).toByteArray();
    }

    private static byte[] component(Component component, PrivateKey key, byte[] fingerprint, byte[] message)
            throws GeneralSecurityException {
        Signature signer = Jca.signature(component.jcaName(), component.provider());
        signer.initSign(key, Jca.random());
        representative(signer, fingerprint, message);
        return signer.sign();
    }

    /** Parses the public framing: algorithm id, key id, the two components; nothing is verified. */
    public static Parsed parse(byte[] signature) throws InvalidEncodingException {
        ByteReader in = new ByteReader(SIGNATURE_INPUT, signature);
        in.algorithm(ALGORITHM);
        if (signature.length != SIGNATURE_LENGTH) {
            throw in.errorAt(0, "an " + ALGORITHM.displayName() + " signature is " + SIGNATURE_LENGTH
                    + " bytes, found " + signature.length);
        }
        KeyId keyId = new KeyId(in.u64("key id"));
        byte[] pq = in.bytes(ML_DSA_65_SIGNATURE_LENGTH, "ML-DSA-65 signature");
        byte[] classical = in.bytes(ED25519_SIGNATURE_LENGTH, "Ed25519 signature");
        in.end();
        return new Parsed(keyId, pq, classical);
    }

    /**
     * Verifies both components against the message representative: ML-DSA-65 first, and Ed25519 only
     * if it holds. Verification handles no secret, so stopping early reveals nothing an attacker who made
     * the signature does not know, and it makes refusing a forged signature ~6x cheaper (the JDK's
     * Ed25519 is the slow half) — a forgery flood costs the verifier less.
     *
     * @throws SignatureException "invalid signature" if either component fails
     */
    public static void verify(PublicKey mlDsa65, PublicKey ed25519, byte[] fingerprint, Parsed signature, byte[] message)
            throws GeneralSecurityException {
        if (!verifyComponent(Component.ML_DSA_65, mlDsa65, fingerprint, signature.mlDsa65(), message)
                || !verifyComponent(Component.ED25519, ed25519, fingerprint, signature.ed25519(), message)) {
            throw new SignatureException("invalid signature");
        }
    }

    private static boolean verifyComponent(Component component, PublicKey key, byte[] fingerprint, byte[] signature,
                                           byte[] message) throws GeneralSecurityException {
        Signature verifier = Jca.signature(component.jcaName(), component.provider());
        verifier.initVerify(key);
        representative(verifier, fingerprint, message);
        try {
            return verifier.verify(signature);
        } catch (SignatureException malformed) {
            return false;
        }
    }

    private static void representative(Signature signature, byte[] fingerprint, byte[] message)
            throws SignatureException {
        signature.update(PREFIX);
        signature.update(new byte[] {(byte) (ALGORITHM.id() >>> 8), (byte) ALGORITHM.id()});
        signature.update(fingerprint);
        signature.update(message);
    }
}
