package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;
import javax.crypto.DecapsulateException;
import javax.crypto.KEM;
import javax.crypto.SecretKey;

/**
 * ML-KEM-768 + X25519 hybrid KEM (algorithm 0x0201). The two shared secrets are combined by the CatKDF
 * of ETSI TS 103 744 V1.1.1 clause 8.2 ({@link CatKdf}), instantiated as:
 *
 * <pre>
 * psk     = empty
 * k_1     = ML-KEM-768 shared secret (32 bytes, FIPS 203)
 * k_2     = DHKEM(X25519, HKDF-SHA256) shared secret (32 bytes, RFC 9180 section 4.1)
 * MA      = ML-KEM-768 encapsulation key (1184) || X25519 public key (32)       the recipient's keys
 * MB      = ML-KEM-768 ciphertext (1088) || X25519 ephemeral public key (32)    the sender's messages
 * context = u16(algorithm id) = 0x02 0x01
 * label   = "BulwarkHybridKEMv1" (ASCII)
 * ss      = HKDF-SHA256(salt = label, IKM = k_1 || k_2,
 *                       info = SHA-256(u32|context| || context || u32|MA| || MA || u32|MB| || MB), L = 32)
 * </pre>
 *
 * Both public keys and both ciphertexts enter the derivation, so the shared secret is bound to the whole
 * exchange; it stays secret while either ML-KEM-768 or X25519 does.
 */
public final class HybridKemScheme {

    public static final Algorithm ALGORITHM = Algorithm.ML_KEM_768_X25519;
    public static final byte[] LABEL = "BulwarkHybridKEMv1".getBytes(StandardCharsets.US_ASCII);
    public static final int ML_KEM_768_CIPHERTEXT_LENGTH = 1088;
    public static final int X25519_ENCAPSULATION_LENGTH = 32;
    public static final int ENCAPSULATION_LENGTH = 2 + 8 + ML_KEM_768_CIPHERTEXT_LENGTH + X25519_ENCAPSULATION_LENGTH;
    public static final int PUBLIC_KEY_LENGTH =
            2 + Component.ML_KEM_768.publicKeyLength() + Component.X25519.publicKeyLength();
    public static final int SHARED_SECRET_LENGTH = 32;

    private static final String INPUT = "hybrid KEM encapsulation";

    private HybridKemScheme() {
    }

    /** The shared secret and the encoded encapsulation to send. */
    public record Encapsulated(byte[] sharedSecret, byte[] encapsulation) {
    }

    /** The public framing of an encapsulation. */
    public record Parsed(KeyId keyId, byte[] mlKem768, byte[] x25519) {
    }

    /**
     * Whether an encapsulation to the ML-KEM-768 key succeeds: the JDK checks FIPS 203's encapsulation
     * key rule only then.
     */
    public static boolean mlKemUsable(PublicKey mlKem768) {
        return canEncapsulate("ML-KEM", mlKem768);
    }

    /** Whether an encapsulation to the X25519 key succeeds: a small-order point fails the key agreement. */
    public static boolean x25519Usable(PublicKey x25519) {
        return canEncapsulate("DHKEM", x25519);
    }

    private static boolean canEncapsulate(String kem, PublicKey key) {
        try {
            Jca.kem(kem).newEncapsulator(key, Jca.random()).encapsulate();
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    public static Encapsulated encapsulate(PublicKey mlKem768, PublicKey x25519, byte[] rawMlKem768, byte[] rawX25519,
                                           KeyId keyId) throws GeneralSecurityException {
        KEM.Encapsulated pq;
        KEM.Encapsulated classical;
        try {
            pq = Jca.kem("ML-KEM").newEncapsulator(mlKem768, Jca.random()).encapsulate();
            classical = Jca.kem("DHKEM").newEncapsulator(x25519, Jca.random()).encapsulate();
        } catch (java.security.ProviderException e) {
            // The JDK's DHKEM reports a small-order X25519 key so; outside bytes cause checked exceptions here.
            throw new java.security.InvalidKeyException("cannot encapsulate to this key: " + e.getMessage(), e);
        }
        byte[] k1 = pq.key().getEncoded();
        byte[] k2 = classical.key().getEncoded();
        try {
            byte[] secret = combine(k1, k2, rawMlKem768, rawX25519, pq.encapsulation(), classical.encapsulation());
            byte[] encoded = new ByteWriter(ENCAPSULATION_LENGTH).algorithm(ALGORITHM).u64(keyId.value())
                    .bytes(pq.encapsulation()).bytes(classical.encapsulation()).toByteArray();
            return new Encapsulated(secret, encoded);
        } finally {
            Arrays.fill(k1, (byte) 0);
            Arrays.fill(k2, (byte) 0);
        }
    }

    public static Parsed parse(byte[] encapsulation) throws InvalidEncodingException {
        ByteReader in = new ByteReader(INPUT, encapsulation);
        in.algorithm(ALGORITHM);
        if (encapsulation.length != ENCAPSULATION_LENGTH) {
            throw in.errorAt(0, "an " + ALGORITHM.displayName() + " encapsulation is " + ENCAPSULATION_LENGTH
                    + " bytes, found " + encapsulation.length);
        }
        KeyId keyId = new KeyId(in.u64("key id"));
        byte[] pq = in.bytes(ML_KEM_768_CIPHERTEXT_LENGTH, "ML-KEM-768 ciphertext");
        byte[] classical = in.bytes(X25519_ENCAPSULATION_LENGTH, "X25519 ephemeral public key");
        in.end();
        return new Parsed(keyId, pq, classical);
    }

    /**
     * The shared secret of a parsed encapsulation. A tampered ML-KEM ciphertext yields an unrelated secret
     * (FIPS 203 implicit rejection); an X25519 share the JDK refuses fails.
     */
    public static byte[] decapsulate(PrivateKey mlKem768, PrivateKey x25519, byte[] rawMlKem768, byte[] rawX25519,
                                     Parsed encapsulation) throws GeneralSecurityException {
        byte[] k1 = null;
        byte[] k2 = null;
        try {
            SecretKey pq = Jca.kem("ML-KEM").newDecapsulator(mlKem768).decapsulate(encapsulation.mlKem768());
            SecretKey classical = Jca.kem("DHKEM").newDecapsulator(x25519).decapsulate(encapsulation.x25519());
            k1 = pq.getEncoded();
            k2 = classical.getEncoded();
            return combine(k1, k2, rawMlKem768, rawX25519, encapsulation.mlKem768(), encapsulation.x25519());
        } catch (DecapsulateException e) {
            throw new DecapsulateException("decapsulation failed");
        } finally {
            if (k1 != null) {
                Arrays.fill(k1, (byte) 0);
            }
            if (k2 != null) {
                Arrays.fill(k2, (byte) 0);
            }
        }
    }

    /** The CatKDF instantiation above, over the components' shared secrets, public keys and ciphertexts. */
    public static byte[] combine(byte[] mlKemSecret, byte[] x25519Secret, byte[] mlKemPublicKey, byte[] x25519PublicKey,
                                 byte[] mlKemCiphertext, byte[] x25519Ciphertext) {
        byte[] ma = concat(mlKemPublicKey, x25519PublicKey);
        byte[] mb = concat(mlKemCiphertext, x25519Ciphertext);
        byte[] context = {(byte) (ALGORITHM.id() >>> 8), (byte) ALGORITHM.id()};
        return CatKdf.derive(new byte[0], List.of(mlKemSecret, x25519Secret), ma, mb, context, LABEL,
                SHARED_SECRET_LENGTH);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
