package io.bulwark.crypto;

import java.util.Optional;

/**
 * Every algorithm Bulwark uses, each with the two-byte identifier written at the front of every encoded
 * key, signature, encapsulation, ciphertext and keystore file (crypto agility: a new algorithm gets a new
 * identifier; old bytes keep opening). The table is {@code docs/formats/crypto.md}; identifiers are never
 * reused.
 */
public enum Algorithm {

    /** Hybrid signature: ML-DSA-65 (FIPS 204) and Ed25519 (RFC 8032), both must verify. */
    ML_DSA_65_ED25519(0x0101, Kind.SIGNATURE, "ML-DSA-65+Ed25519"),

    /**
     * Hybrid KEM: ML-KEM-768 (FIPS 203) and DHKEM(X25519, HKDF-SHA256) (RFC 9180), combined with the
     * CatKDF of ETSI TS 103 744 instantiated with HKDF-SHA256.
     */
    ML_KEM_768_X25519(0x0201, Kind.KEM, "ML-KEM-768+X25519/CatKDF-HKDF-SHA256"),

    /** AES-256-GCM with a random 96-bit nonce and a 128-bit tag. */
    AES_256_GCM(0x0301, Kind.AEAD, "AES-256-GCM"),

    /**
     * Streaming AEAD: AES-256-GCM over 64 KiB segments under a per-stream key from HKDF-SHA256, in the
     * STREAM construction (nonce = prefix, segment index, last-segment flag).
     */
    AES_256_GCM_HKDF_SHA256_64KIB(0x0401, Kind.STREAMING_AEAD, "AES-256-GCM-HKDF-SHA256-64KiB"),

    /** Keystore protection: PBKDF2-HMAC-SHA256 from a passphrase, then AES-256-GCM. */
    PBKDF2_HMAC_SHA256_AES_256_GCM(0x0501, Kind.PASSPHRASE_ENCRYPTION, "PBKDF2-HMAC-SHA256/AES-256-GCM");

    /** What an algorithm does; an identifier of the wrong kind is rejected like an unknown one. */
    public enum Kind { SIGNATURE, KEM, AEAD, STREAMING_AEAD, PASSPHRASE_ENCRYPTION }

    private final int id;
    private final Kind kind;
    private final String displayName;

    Algorithm(int id, Kind kind, String displayName) {
        this.id = id;
        this.kind = kind;
        this.displayName = displayName;
    }

    /** The two-byte identifier (0x0000 to 0xFFFF) written into encodings, big-endian. */
    public int id() {
        return id;
    }

    /** What the algorithm does. */
    public Kind kind() {
        return kind;
    }

    /** The standard names of the algorithm and its components, e.g. {@code "ML-DSA-65+Ed25519"}. */
    public String displayName() {
        return displayName;
    }

    /** The algorithm with this identifier, if any. */
    public static Optional<Algorithm> forId(int id) {
        for (Algorithm algorithm : values()) {
            if (algorithm.id == id) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /** The identifier as written in the formats document, e.g. {@code "0x0101"}. */
    public String hexId() {
        return "0x%04x".formatted(id);
    }

    @Override
    public String toString() {
        return displayName + " (" + hexId() + ")";
    }
}
