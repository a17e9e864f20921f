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
import java.security.interfaces.EdECPrivateKey;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

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
 *
 * <p>ML-DSA-65 runs on the JDK's provider; Ed25519 on Bouncy Castle's RFC 8032 implementation, which
 * signs ~12x and verifies ~9x faster than the JDK's pure-Java one on the same keys and bytes
 * (docs/decisions/2026-11-27-classical-halves-on-bouncy-castle.md). Keys stay JDK key objects.
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

    /** Signs, deriving the Ed25519 public key from the private one (a second scalar multiplication). */
    public static byte[] sign(PrivateKey mlDsa65, PrivateKey ed25519, KeyId keyId, byte[] fingerprint, byte[] message)
            throws GeneralSecurityException {
        return sign(mlDsa65, ed25519, null, keyId, fingerprint, message);
    }

    /**
     * Signs with the Ed25519 public key given, which saves deriving it. It must be the public key of
     * {@code ed25519} — a keyset's own, checked when the keyset was made or loaded, never one a caller
     * supplies: two Ed25519 signatures of one message under one private key with different public keys
     * reveal the private key. The signature is the same bytes either way (Ed25519 is deterministic).
     */
    public static byte[] sign(PrivateKey mlDsa65, PrivateKey ed25519, byte[] ed25519Public, KeyId keyId, byte[] fingerprint,
                              byte[] message) throws GeneralSecurityException {
        if (ed25519Public != null && ed25519Public.length != Component.ED25519.publicKeyLength()) {
            throw new java.security.InvalidKeyException("an Ed25519 public key is " + Component.ED25519.publicKeyLength() + " bytes");
        }
        byte[] pq = mlDsaSign(mlDsa65, fingerprint, message);
        byte[] classical = ed25519Sign(ed25519, ed25519Public, fingerprint, message);
        if (pq.length != ML_DSA_65_SIGNATURE_LENGTH || classical.length != ED25519_SIGNATURE_LENGTH) {
            throw new SignatureException("unexpected component signature length");
        }
        return new ByteWriter(SIGNATURE_LENGTH)
                .algorithm(ALGORITHM).u64(keyId.value()).bytes(pq).bytes(classical).toByteArray();
    }

    private static byte[] mlDsaSign(PrivateKey key, byte[] fingerprint, byte[] message) throws GeneralSecurityException {
        Signature signer = Jca.signature(Component.ML_DSA_65.jcaName(), Component.ML_DSA_65.provider());
        signer.initSign(key, Jca.random());
        signer.update(PREFIX);
        signer.update(algorithmId());
        signer.update(fingerprint);
        signer.update(message);
        return signer.sign();
    }

    private static byte[] ed25519Sign(PrivateKey key, byte[] publicKey, byte[] fingerprint, byte[] message)
            throws GeneralSecurityException {
        if (!(key instanceof EdECPrivateKey edec) || edec.getBytes().isEmpty()) {
            throw new java.security.InvalidKeyException("not an Ed25519 private key with its raw bytes: " + key.getAlgorithm());
        }
        byte[] seed = edec.getBytes().get();
        byte[] signature = new byte[ED25519_SIGNATURE_LENGTH];
        try {
            byte[] m = representative(fingerprint, message);
            if (publicKey == null) {
                Ed25519.sign(seed, 0, m, 0, m.length, signature, 0);
            } else {
                Ed25519.sign(seed, 0, publicKey, 0, m, 0, m.length, signature, 0);
            }
            return signature;
        } finally {
            java.util.Arrays.fill(seed, (byte) 0);
        }
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
        if (!mlDsaVerify(mlDsa65, fingerprint, signature.mlDsa65(), message)
                || !ed25519Verify(ed25519, fingerprint, signature.ed25519(), message)) {
            throw new SignatureException("invalid signature");
        }
    }

    private static boolean mlDsaVerify(PublicKey key, byte[] fingerprint, byte[] signature, byte[] message)
            throws GeneralSecurityException {
        Signature verifier = Jca.signature(Component.ML_DSA_65.jcaName(), Component.ML_DSA_65.provider());
        verifier.initVerify(key);
        verifier.update(PREFIX);
        verifier.update(algorithmId());
        verifier.update(fingerprint);
        verifier.update(message);
        try {
            return verifier.verify(signature);
        } catch (SignatureException malformed) {
            return false;
        }
    }

    private static boolean ed25519Verify(PublicKey key, byte[] fingerprint, byte[] signature, byte[] message) {
        byte[] raw;
        try {
            raw = Component.ED25519.rawPublicKey(key);
        } catch (IllegalArgumentException notEd25519) {
            return false;
        }
        byte[] m = representative(fingerprint, message);
        return signature.length == ED25519_SIGNATURE_LENGTH && Ed25519.verify(signature, 0, raw, 0, m, 0, m.length);
    }

    private static byte[] algorithmId() {
        return new byte[] {(byte) (ALGORITHM.id() >>> 8), (byte) ALGORITHM.id()};
    }

    /** M' for Ed25519, which takes the whole message at once. */
    private static byte[] representative(byte[] fingerprint, byte[] message) {
        return new ByteWriter(PREFIX.length + 2 + fingerprint.length + message.length)
                .bytes(PREFIX).algorithm(ALGORITHM).bytes(fingerprint).bytes(message).toByteArray();
    }
}
