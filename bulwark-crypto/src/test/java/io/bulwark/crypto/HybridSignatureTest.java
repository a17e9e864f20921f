package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.crypto.internal.HybridSignatureScheme;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HybridSignatureTest {

    // Key generation costs a few milliseconds: share keysets across tests (they are immutable).
    private static final SigningKeyset ALICE = SigningKeyset.generate();
    private static final SigningKeyset BOB = SigningKeyset.generate();
    private static final byte[] MESSAGE = "NATO SECRET//REL TO DEU, FRA".getBytes(StandardCharsets.UTF_8);

    private static final int ML_DSA_AT = 10;
    private static final int ED25519_AT = 10 + HybridSignatureScheme.ML_DSA_65_SIGNATURE_LENGTH;

    @Test
    void signsAndVerifiesWithKeysetAndPublicKey() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);

        assertThat(signature).hasSize(HybridPublicSigningKey.SIGNATURE_LENGTH).hasSize(3383);
        ALICE.verify(signature, MESSAGE);
        ALICE.primary().verify(signature, MESSAGE);
        HybridPublicSigningKey.parse(ALICE.primary().encode()).verify(signature, MESSAGE);
    }

    @Test
    void signatureCarriesAlgorithmIdAndKeyId() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);

        assertThat(HexFormat.of().formatHex(signature, 0, 2)).isEqualTo("0101");
        assertThat(HexFormat.of().formatHex(signature, 2, 10)).isEqualTo(ALICE.primary().keyId().hex());
    }

    @Test
    void rejectsAnotherMessage() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);
        byte[] other = Arrays.copyOf(MESSAGE, MESSAGE.length + 1);

        assertThatThrownBy(() -> ALICE.verify(signature, other))
                .isInstanceOf(SignatureException.class).hasMessage("invalid signature");
    }

    @Test
    void rejectsAnotherKey() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);

        assertThatThrownBy(() -> BOB.verify(signature, MESSAGE))
                .isInstanceOf(SignatureException.class).hasMessageContaining("no key " + ALICE.primary().keyId());
        assertThatThrownBy(() -> BOB.primary().verify(signature, MESSAGE))
                .isInstanceOf(SignatureException.class).hasMessageContaining("not " + BOB.primary().keyId());
    }

    @Test
    void rejectsAKeyIdRewrittenToAnotherKey() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);
        System.arraycopy(HexFormat.of().parseHex(BOB.primary().keyId().hex()), 0, signature, 2, 8);

        assertThatThrownBy(() -> BOB.verify(signature, MESSAGE)).hasMessage("invalid signature");
    }

    @Test
    void rejectsWhenEitherComponentIsWrong() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);

        byte[] badPq = signature.clone();
        badPq[ML_DSA_AT + 100] ^= 1;
        byte[] badClassical = signature.clone();
        badClassical[ED25519_AT + 5] ^= 1;

        assertThatThrownBy(() -> ALICE.verify(badPq, MESSAGE)).hasMessage("invalid signature");
        assertThatThrownBy(() -> ALICE.verify(badClassical, MESSAGE)).hasMessage("invalid signature");
    }

    @Test
    void rejectsAStrippedComponent() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);

        byte[] noPq = signature.clone();
        Arrays.fill(noPq, ML_DSA_AT, ED25519_AT, (byte) 0);
        byte[] noClassical = signature.clone();
        Arrays.fill(noClassical, ED25519_AT, signature.length, (byte) 0);
        byte[] truncated = Arrays.copyOf(signature, ED25519_AT);

        assertThatThrownBy(() -> ALICE.verify(noPq, MESSAGE)).hasMessage("invalid signature");
        assertThatThrownBy(() -> ALICE.verify(noClassical, MESSAGE)).hasMessage("invalid signature");
        assertThatThrownBy(() -> ALICE.verify(truncated, MESSAGE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid signature at byte 0: an ML-DSA-65+Ed25519 signature is 3383 bytes, found 3319");
    }

    @Test
    void componentsAreStandardSignaturesOfTheRepresentative() throws Exception {
        // Ed25519 is made by Bouncy Castle's RFC 8032 code; the JDK's own verifiers must accept both
        // components over M' = prefix || algorithm id || SHA-256(hybrid public key) || M.
        byte[] signature = ALICE.sign(MESSAGE);
        byte[] encoded = ALICE.primary().encode();
        PublicKey mlDsa = io.bulwark.crypto.internal.Component.ML_DSA_65.publicKey(Arrays.copyOfRange(encoded, 2, 1954));
        PublicKey ed25519 = io.bulwark.crypto.internal.Component.ED25519.publicKey(Arrays.copyOfRange(encoded, 1954, 1986));
        java.io.ByteArrayOutputStream representative = new java.io.ByteArrayOutputStream();
        representative.write(HybridSignatureScheme.PREFIX);
        representative.write(new byte[] {0x01, 0x01});
        representative.write(java.security.MessageDigest.getInstance("SHA-256").digest(encoded));
        representative.write(MESSAGE);

        Signature jdkMlDsa = Signature.getInstance("ML-DSA-65");
        jdkMlDsa.initVerify(mlDsa);
        jdkMlDsa.update(representative.toByteArray());
        Signature jdkEd = Signature.getInstance("Ed25519");
        jdkEd.initVerify(ed25519);
        jdkEd.update(representative.toByteArray());

        assertThat(jdkMlDsa.verify(Arrays.copyOfRange(signature, ML_DSA_AT, ED25519_AT))).isTrue();
        assertThat(jdkEd.verify(Arrays.copyOfRange(signature, ED25519_AT, signature.length))).isTrue();
    }

    @Test
    void componentsDoNotVerifyAsPlainSignaturesOfTheMessage() throws Exception {
        // Stripping: lifting one component out and presenting it as a stand-alone signature over M fails,
        // because both components sign the domain-separated representative, not M.
        byte[] signature = ALICE.sign(MESSAGE);
        byte[] encoded = ALICE.primary().encode();
        PublicKey mlDsa = io.bulwark.crypto.internal.Component.ML_DSA_65.publicKey(Arrays.copyOfRange(encoded, 2, 1954));
        PublicKey ed25519 = io.bulwark.crypto.internal.Component.ED25519.publicKey(Arrays.copyOfRange(encoded, 1954, 1986));

        Signature plainMlDsa = Signature.getInstance("ML-DSA-65");
        plainMlDsa.initVerify(mlDsa);
        plainMlDsa.update(MESSAGE);
        Signature plainEd = Signature.getInstance("Ed25519");
        plainEd.initVerify(ed25519);
        plainEd.update(MESSAGE);

        assertThat(plainMlDsa.verify(Arrays.copyOfRange(signature, ML_DSA_AT, ED25519_AT))).isFalse();
        assertThat(plainEd.verify(Arrays.copyOfRange(signature, ED25519_AT, signature.length))).isFalse();
    }

    @Test
    void rejectsComponentsSwappedBetweenSignatures() throws Exception {
        byte[] first = ALICE.sign(MESSAGE);
        byte[] second = ALICE.sign("another message".getBytes(StandardCharsets.UTF_8));
        byte[] mixed = first.clone();
        System.arraycopy(second, ED25519_AT, mixed, ED25519_AT, 64);

        assertThatThrownBy(() -> ALICE.verify(mixed, MESSAGE)).hasMessage("invalid signature");
    }

    @Test
    void rejectsComponentsMixedAcrossKeys() throws Exception {
        // Bob signs the same message; a signature made of Alice's ML-DSA half and Bob's Ed25519 half fails
        // under either key, and so does a hybrid key made of Alice's ML-DSA key and Bob's Ed25519 key.
        byte[] alice = ALICE.sign(MESSAGE);
        byte[] bob = BOB.sign(MESSAGE);
        byte[] mixed = alice.clone();
        System.arraycopy(bob, ED25519_AT, mixed, ED25519_AT, 64);

        byte[] chimeraKey = ALICE.primary().encode();
        System.arraycopy(BOB.primary().encode(), 1954, chimeraKey, 1954, 32);
        HybridPublicSigningKey chimera = HybridPublicSigningKey.parse(chimeraKey);
        byte[] forChimera = mixed.clone();
        System.arraycopy(HexFormat.of().parseHex(chimera.keyId().hex()), 0, forChimera, 2, 8);

        assertThatThrownBy(() -> ALICE.verify(mixed, MESSAGE)).hasMessage("invalid signature");
        assertThatThrownBy(() -> chimera.verify(forChimera, MESSAGE)).hasMessage("invalid signature");
    }

    @Test
    void rejectsUnknownAndWrongKindAlgorithmIds() throws Exception {
        byte[] signature = ALICE.sign(MESSAGE);
        byte[] unknown = signature.clone();
        unknown[0] = 0x09;
        unknown[1] = (byte) 0x99;
        byte[] kem = signature.clone();
        kem[0] = 0x02;
        kem[1] = 0x01;

        assertThatThrownBy(() -> ALICE.verify(unknown, MESSAGE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid signature at byte 0: unknown algorithm id 0x0999");
        assertThatThrownBy(() -> ALICE.verify(kem, MESSAGE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessageContaining("algorithm ML-KEM-768+X25519/CatKDF-HKDF-SHA256 (0x0201) where ML-DSA-65+Ed25519 (0x0101) is required");
    }

    @Test
    void oldSignaturesVerifyAfterRotation() throws Exception {
        byte[] before = ALICE.sign(MESSAGE);
        SigningKeyset rotated = ALICE.rotate();
        byte[] after = rotated.sign(MESSAGE);

        assertThat(rotated.primary()).isNotEqualTo(ALICE.primary());
        assertThat(rotated.publicKeys()).containsExactly(ALICE.primary(), rotated.primary());
        assertThat(HexFormat.of().formatHex(after, 2, 10)).isEqualTo(rotated.primary().keyId().hex());
        rotated.verify(before, MESSAGE);
        rotated.verify(after, MESSAGE);
        assertThatThrownBy(() -> ALICE.verify(after, MESSAGE)).isInstanceOf(SignatureException.class);
    }

    @Test
    void retiredKeysNoLongerVerify() throws Exception {
        byte[] before = ALICE.sign(MESSAGE);
        SigningKeyset rotated = ALICE.rotate();
        SigningKeyset retired = rotated.withoutKey(ALICE.primary().keyId());

        assertThat(retired.publicKeys()).containsExactly(rotated.primary());
        assertThatThrownBy(() -> retired.verify(before, MESSAGE)).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> rotated.withoutKey(rotated.primary().keyId()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is the primary");
    }

    @Test
    void publicKeyRoundTripsAndHasAStableFingerprint() throws Exception {
        HybridPublicSigningKey key = ALICE.primary();
        byte[] encoded = key.encode();
        HybridPublicSigningKey parsed = HybridPublicSigningKey.parse(encoded);

        assertThat(encoded).hasSize(HybridPublicSigningKey.ENCODED_LENGTH).hasSize(1986);
        assertThat(parsed).isEqualTo(key);
        assertThat(parsed.encode()).isEqualTo(encoded);
        assertThat(parsed.fingerprint()).isEqualTo(key.fingerprint());
        assertThat(key.fingerprint().hex())
                .isEqualTo(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(encoded)));
        assertThat(key.keyId().hex()).isEqualTo(key.fingerprint().hex().substring(0, 16));
        assertThat(Fingerprint.parse(key.fingerprint().hex().toUpperCase())).isEqualTo(key.fingerprint());
    }

    @Test
    void publicKeyParsingNamesTheProblem() {
        byte[] encoded = ALICE.primary().encode();

        assertThatThrownBy(() -> HybridPublicSigningKey.parse(new byte[1]))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid public signing key at byte 0: truncated: algorithm id needs 2 bytes, 1 left");
        assertThatThrownBy(() -> HybridPublicSigningKey.parse(Arrays.copyOf(encoded, 1985)))
                .hasMessage("hybrid public signing key at byte 0: an ML-DSA-65+Ed25519 public key is 1986 bytes, found 1985");
        assertThatThrownBy(() -> HybridPublicSigningKey.parse(Arrays.copyOf(encoded, 1987)))
                .hasMessage("hybrid public signing key at byte 0: an ML-DSA-65+Ed25519 public key is 1986 bytes, found 1987");
        byte[] kemId = encoded.clone();
        kemId[0] = 2;
        assertThatThrownBy(() -> HybridPublicSigningKey.parse(kemId))
                .isInstanceOf(InvalidEncodingException.class)
                .satisfies(e -> assertThat(((InvalidEncodingException) e).offset()).isZero())
                .hasMessageContaining("where ML-DSA-65+Ed25519 (0x0101) is required");
    }

    @Test
    void fingerprintParsingNamesTheProblem() {
        assertThatThrownBy(() -> Fingerprint.parse("abc"))
                .hasMessage("fingerprint at byte 0: expected 64 hex digits, found 3 characters");
        assertThatThrownBy(() -> Fingerprint.parse("g" + "0".repeat(63)))
                .hasMessage("fingerprint at byte 0: 'g' is not a hex digit");
        // A full-width zero is a digit to Character.digit, not to a fingerprint.
        assertThatThrownBy(() -> Fingerprint.parse("0".repeat(10) + "\uFF10" + "0".repeat(53)))
                .isInstanceOf(InvalidEncodingException.class).hasMessage("fingerprint at byte 10: '\uFF10' is not a hex digit");
    }

    @Test
    void toStringShowsIdsNotSecrets() {
        assertThat(ALICE.toString()).contains(ALICE.primary().keyId().hex()).doesNotContain("Private");
        assertThat(ALICE.primary().toString()).contains("ML-DSA-65+Ed25519", ALICE.primary().fingerprint().hex());
    }
}
