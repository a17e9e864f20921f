package io.bulwark.crypto.internal;

import java.security.AsymmetricKey;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The four component algorithms of the hybrids, with their raw public-key sizes. A raw public key is the
 * standard encoding (FIPS 203 ek, FIPS 204 pk, RFC 8032 / RFC 7748 32 bytes); the JDK speaks X.509
 * SubjectPublicKeyInfo, which for each of these algorithms is a fixed DER prefix followed by the raw key,
 * so converting is adding or removing that prefix. Private keys stay in the JDK's PKCS#8 encoding.
 */
public enum Component {

    ML_DSA_65("ML-DSA-65", Jca.SUN, "308207b2300b0609608648016503040312038207a100", 1952),
    ED25519("Ed25519", Jca.SUN_EC, "302a300506032b6570032100", 32),
    ML_KEM_768("ML-KEM-768", Jca.SUN_JCE, "308204b2300b0609608648016503040402038204a100", 1184),
    X25519("X25519", Jca.SUN_EC, "302a300506032b656e032100", 32);

    private final String jcaName;
    private final String provider;
    private final byte[] spkiPrefix;
    private final int publicKeyLength;

    Component(String jcaName, String provider, String spkiPrefixHex, int publicKeyLength) {
        this.jcaName = jcaName;
        this.provider = provider;
        this.spkiPrefix = HexFormat.of().parseHex(spkiPrefixHex);
        this.publicKeyLength = publicKeyLength;
    }

    /** The JCA algorithm name, e.g. {@code "ML-DSA-65"}. */
    public String jcaName() {
        return jcaName;
    }

    public String provider() {
        return provider;
    }

    /** Length in bytes of the raw public key. */
    public int publicKeyLength() {
        return publicKeyLength;
    }

    public KeyPair generate() {
        return Jca.keyPairGenerator(jcaName, provider).generateKeyPair();
    }

    /** The raw public key of a key of this algorithm generated or parsed by the JDK. */
    public byte[] rawPublicKey(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (spki.length != spkiPrefix.length + publicKeyLength
                || !Arrays.equals(spki, 0, spkiPrefix.length, spkiPrefix, 0, spkiPrefix.length)) {
            throw new IllegalArgumentException("not a " + jcaName + " public key: " + key.getAlgorithm());
        }
        return Arrays.copyOfRange(spki, spkiPrefix.length, spki.length);
    }

    /** A JDK public key from a raw public key of exactly {@link #publicKeyLength()} bytes. */
    public PublicKey publicKey(byte[] raw) throws InvalidKeySpecException {
        if (raw.length != publicKeyLength) {
            throw new InvalidKeySpecException(jcaName + " public key must be " + publicKeyLength + " bytes");
        }
        byte[] spki = Arrays.copyOf(spkiPrefix, spkiPrefix.length + raw.length);
        System.arraycopy(raw, 0, spki, spkiPrefix.length, raw.length);
        return Jca.keyFactory(jcaName, provider).generatePublic(new X509EncodedKeySpec(spki));
    }

    /** A JDK private key from its PKCS#8 encoding. */
    public PrivateKey privateKey(byte[] pkcs8) throws InvalidKeySpecException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8);
        try {
            PrivateKey key = Jca.keyFactory(jcaName, provider).generatePrivate(spec);
            if (!(key instanceof AsymmetricKey asymmetric)
                    || !(asymmetric.getParams() instanceof NamedParameterSpec named)
                    || !named.getName().equals(jcaName)) {
                throw new InvalidKeySpecException("not a " + jcaName + " private key");
            }
            return key;
        } catch (RuntimeException e) {
            throw new InvalidKeySpecException("not a " + jcaName + " private key", e);
        }
    }
}
