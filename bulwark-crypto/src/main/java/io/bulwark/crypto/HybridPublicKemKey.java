package io.bulwark.crypto;

import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.ByteWriter;
import io.bulwark.crypto.internal.Component;
import io.bulwark.crypto.internal.HybridKemScheme;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

/**
 * The public half of a hybrid ML-KEM-768 + X25519 KEM key: what a sender encapsulates a shared secret to.
 *
 * <p>Encoding (1218 bytes): {@code u16 algorithm id 0x0201 || ML-KEM-768 encapsulation
 * key (1184) || X25519 public key (32)}. Its {@link #fingerprint()} is the SHA-256 of that encoding and its
 * {@link #keyId()} the fingerprint's first 8 bytes.
 *
 * <p><b>Security guarantees.</b> The shared secret of {@link #encapsulate()} is known only to the sender
 * and the holder of the private key while either ML-KEM-768 or X25519 remains secure: the two component
 * secrets are combined with ETSI TS 103 744 CatKDF over HKDF-SHA256, with both public keys and both
 * ciphertexts in the context. The encapsulation carries this key's id so the recipient finds the key.
 * It does not authenticate the sender: sign what you send. Immutable and thread-safe.
 */
public final class HybridPublicKemKey {

    /** Length of {@link #encode()}: 1218 bytes. */
    public static final int ENCODED_LENGTH = HybridKemScheme.PUBLIC_KEY_LENGTH;

    private static final String INPUT = "hybrid public KEM key";

    private final byte[] encoded;
    private final PublicKey mlKem768;
    private final PublicKey x25519;
    private final Fingerprint fingerprint;

    private HybridPublicKemKey(byte[] encoded, PublicKey mlKem768, PublicKey x25519) {
        this.encoded = encoded;
        this.mlKem768 = mlKem768;
        this.x25519 = x25519;
        this.fingerprint = Fingerprint.of(encoded);
    }

    static HybridPublicKemKey of(PublicKey mlKem768, PublicKey x25519) {
        byte[] encoded = new ByteWriter(ENCODED_LENGTH)
                .algorithm(Algorithm.ML_KEM_768_X25519)
                .bytes(Component.ML_KEM_768.rawPublicKey(mlKem768))
                .bytes(Component.X25519.rawPublicKey(x25519))
                .toByteArray();
        return new HybridPublicKemKey(encoded, mlKem768, x25519);
    }

    /**
     * Parses an encoding made by {@link #encode()}.
     *
     * @throws InvalidEncodingException naming the offset and rule: wrong length, unknown or non-KEM
     *                                  algorithm id, a component the JDK rejects
     */
    public static HybridPublicKemKey parse(byte[] encoded) throws InvalidEncodingException {
        ByteReader in = new ByteReader(INPUT, encoded);
        in.algorithm(Algorithm.ML_KEM_768_X25519);
        if (encoded.length != ENCODED_LENGTH) {
            throw in.errorAt(0, "an " + Algorithm.ML_KEM_768_X25519.displayName() + " public key is "
                    + ENCODED_LENGTH + " bytes, found " + encoded.length);
        }
        PublicKey pq = component(in, Component.ML_KEM_768);
        int x25519At = in.position();
        PublicKey classical = component(in, Component.X25519);
        in.end();
        // The key factories take keys no one can encapsulate to; a peer's such key would fail every
        // record released to its nation at sealing time, so it is refused here, where it arrives.
        if (!HybridKemScheme.mlKemUsable(pq)) {
            throw in.errorAt(2, "not a usable ML-KEM-768 public key (FIPS 203 encapsulation key check)");
        }
        if (!HybridKemScheme.x25519Usable(classical)) {
            throw in.errorAt(x25519At, "not a usable X25519 public key (a small-order point: no shared secret can be agreed with it)");
        }
        return new HybridPublicKemKey(encoded.clone(), pq, classical);
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

    /**
     * A fresh shared secret and its encapsulation (1130 bytes) for this key.
     */
    public Encapsulation encapsulate() throws GeneralSecurityException {
        HybridKemScheme.Encapsulated result = HybridKemScheme.encapsulate(
                mlKem768, x25519, rawMlKem768(), rawX25519(), keyId());
        return new Encapsulation(result.sharedSecret(), result.encapsulation());
    }

    byte[] rawMlKem768() {
        return Arrays.copyOfRange(encoded, 2, 2 + Component.ML_KEM_768.publicKeyLength());
    }

    byte[] rawX25519() {
        return Arrays.copyOfRange(encoded, 2 + Component.ML_KEM_768.publicKeyLength(), encoded.length);
    }

    /** The encoding, 1218 bytes (a copy). */
    public byte[] encode() {
        return encoded.clone();
    }

    /** Always {@link Algorithm#ML_KEM_768_X25519}. */
    public Algorithm algorithm() {
        return Algorithm.ML_KEM_768_X25519;
    }

    /** The first 8 bytes of the fingerprint; written into every encapsulation to this key. */
    public KeyId keyId() {
        return fingerprint.keyId();
    }

    /** SHA-256 of {@link #encode()}. */
    public Fingerprint fingerprint() {
        return fingerprint;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HybridPublicKemKey that && Arrays.equals(encoded, that.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "HybridPublicKemKey[" + algorithm().displayName() + ", id " + keyId() + ", SHA-256 " + fingerprint + "]";
    }
}
