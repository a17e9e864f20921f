package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.crypto.internal.CatKdf;
import io.bulwark.crypto.internal.HybridKemScheme;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.DecapsulateException;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

class HybridKemTest {

    private static final KemKeyset ALICE = KemKeyset.generate();
    private static final KemKeyset BOB = KemKeyset.generate();

    private static final int ML_KEM_AT = 10;
    private static final int X25519_AT = 10 + 1088;

    @Test
    void encapsulatesAndDecapsulatesTheSameSecret() throws Exception {
        Encapsulation sent = ALICE.primary().encapsulate();
        SecretKey received = ALICE.decapsulate(sent.encapsulation());

        assertThat(sent.encapsulation()).hasSize(Encapsulation.LENGTH).hasSize(1130);
        assertThat(sent.sharedSecret().getEncoded()).hasSize(32).isEqualTo(received.getEncoded());
        assertThat(HexFormat.of().formatHex(sent.encapsulation(), 0, 10))
                .isEqualTo("0201" + ALICE.primary().keyId().hex());
    }

    @Test
    void everyEncapsulationIsFresh() throws Exception {
        Encapsulation first = ALICE.primary().encapsulate();
        Encapsulation second = ALICE.primary().encapsulate();

        assertThat(first.sharedSecret().getEncoded()).isNotEqualTo(second.sharedSecret().getEncoded());
        assertThat(first.encapsulation()).isNotEqualTo(second.encapsulation());
    }

    @Test
    void anotherKeysetCannotDecapsulate() throws Exception {
        Encapsulation sent = ALICE.primary().encapsulate();

        assertThatThrownBy(() -> BOB.decapsulate(sent.encapsulation()))
                .isInstanceOf(DecapsulateException.class).hasMessage("decapsulation failed");
    }

    @Test
    void theWrongPrivateKeyYieldsAnotherSecret() throws Exception {
        // An encapsulation relabelled with Bob's key id is decapsulated with Bob's private keys: ML-KEM's
        // implicit rejection and the combiner give an unrelated secret, never Alice's.
        Encapsulation sent = ALICE.primary().encapsulate();
        byte[] relabelled = sent.encapsulation();
        System.arraycopy(HexFormat.of().parseHex(BOB.primary().keyId().hex()), 0, relabelled, 2, 8);

        assertThat(BOB.decapsulate(relabelled).getEncoded()).isNotEqualTo(sent.sharedSecret().getEncoded());
    }

    @Test
    void aTamperedComponentYieldsAnotherSecret() throws Exception {
        Encapsulation sent = ALICE.primary().encapsulate();
        byte[] pq = sent.encapsulation();
        pq[ML_KEM_AT + 500] ^= 1;
        byte[] classical = sent.encapsulation();
        classical[X25519_AT + 3] ^= 1;

        assertThat(ALICE.decapsulate(pq).getEncoded()).isNotEqualTo(sent.sharedSecret().getEncoded());
        assertThat(ALICE.decapsulate(classical).getEncoded()).isNotEqualTo(sent.sharedSecret().getEncoded());
    }

    @Test
    void aLowOrderX25519ShareFailsDecapsulation() throws Exception {
        byte[] encapsulation = ALICE.primary().encapsulate().encapsulation();
        Arrays.fill(encapsulation, X25519_AT, encapsulation.length, (byte) 0); // the point of order 4: DH output 0

        assertThatThrownBy(() -> ALICE.decapsulate(encapsulation))
                .isInstanceOf(DecapsulateException.class).hasMessage("decapsulation failed");
    }

    @Test
    void malformedEncapsulationsAreNamed() throws Exception {
        byte[] encapsulation = ALICE.primary().encapsulate().encapsulation();
        byte[] unknown = encapsulation.clone();
        unknown[1] = 0x7f;

        assertThatThrownBy(() -> ALICE.decapsulate(Arrays.copyOf(encapsulation, 1129)))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid KEM encapsulation at byte 0: an ML-KEM-768+X25519/CatKDF-HKDF-SHA256 encapsulation is 1130 bytes, found 1129");
        assertThatThrownBy(() -> ALICE.decapsulate(unknown))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid KEM encapsulation at byte 0: unknown algorithm id 0x027f");
    }

    @Test
    void oldEncapsulationsOpenAfterRotation() throws Exception {
        Encapsulation before = ALICE.primary().encapsulate();
        KemKeyset rotated = ALICE.rotate();
        Encapsulation after = rotated.primary().encapsulate();

        assertThat(rotated.publicKeys()).containsExactly(ALICE.primary(), rotated.primary());
        assertThat(rotated.decapsulate(before.encapsulation()).getEncoded()).isEqualTo(before.sharedSecret().getEncoded());
        assertThat(rotated.decapsulate(after.encapsulation()).getEncoded()).isEqualTo(after.sharedSecret().getEncoded());
        assertThatThrownBy(() -> ALICE.decapsulate(after.encapsulation())).isInstanceOf(DecapsulateException.class);
        KemKeyset retired = rotated.withoutKey(ALICE.primary().keyId());
        assertThatThrownBy(() -> retired.decapsulate(before.encapsulation())).isInstanceOf(DecapsulateException.class);
    }

    @Test
    void bothSidesDeriveTheSameAeadKey() throws Exception {
        Encapsulation sent = ALICE.primary().encapsulate();
        AeadKey senderKey = AeadKey.fromSharedSecret(sent.sharedSecret());
        AeadKey recipientKey = AeadKey.fromSharedSecret(ALICE.decapsulate(sent.encapsulation()));
        byte[] ciphertext = senderKey.encrypt("data key".getBytes(StandardCharsets.UTF_8), new byte[0]);

        assertThat(recipientKey.keyId()).isEqualTo(senderKey.keyId());
        assertThat(recipientKey.decrypt(ciphertext, new byte[0])).asString(StandardCharsets.UTF_8).isEqualTo("data key");
        AeadKey otherKey = AeadKey.fromSharedSecret(ALICE.primary().encapsulate().sharedSecret());
        assertThatThrownBy(() -> otherKey.decrypt(ciphertext, new byte[0])).isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void theCombinerDependsOnEveryInput() {
        byte[][] inputs = {new byte[32], new byte[32], new byte[1184], new byte[32], new byte[1088], new byte[32]};
        byte[] reference = combine(inputs);
        for (int i = 0; i < inputs.length; i++) {
            byte[][] changed = inputs.clone();
            changed[i] = inputs[i].clone();
            changed[i][changed[i].length - 1] = 1;
            assertThat(combine(changed)).as("input %d", i).isNotEqualTo(reference);
        }
    }

    private static byte[] combine(byte[][] in) {
        return HybridKemScheme.combine(in[0], in[1], in[2], in[3], in[4], in[5]);
    }

    @Test
    void theCombinerIsCatKdfWithTheDocumentedInputs() {
        byte[] k1 = filled(32, 1), k2 = filled(32, 2), pkM = filled(1184, 3), pkX = filled(32, 4),
                ctM = filled(1088, 5), ctX = filled(32, 6);
        byte[] ma = concat(pkM, pkX), mb = concat(ctM, ctX);

        assertThat(HybridKemScheme.combine(k1, k2, pkM, pkX, ctM, ctX)).isEqualTo(CatKdf.derive(new byte[0],
                List.of(k1, k2), ma, mb, new byte[] {2, 1}, "BulwarkHybridKEMv1".getBytes(StandardCharsets.US_ASCII), 32));
    }

    @Test
    void publicKeyRoundTripsAndIsNamedOnError() throws Exception {
        HybridPublicKemKey key = ALICE.primary();
        byte[] encoded = key.encode();
        byte[] signingId = encoded.clone();
        signingId[0] = 1;

        assertThat(encoded).hasSize(HybridPublicKemKey.ENCODED_LENGTH).hasSize(1218);
        assertThat(HybridPublicKemKey.parse(encoded)).isEqualTo(key);
        assertThat(HybridPublicKemKey.parse(encoded).fingerprint()).isEqualTo(key.fingerprint());
        assertThat(key.keyId().hex()).isEqualTo(key.fingerprint().hex().substring(0, 16));
        assertThatThrownBy(() -> HybridPublicKemKey.parse(Arrays.copyOf(encoded, 100)))
                .hasMessage("hybrid public KEM key at byte 0: an ML-KEM-768+X25519/CatKDF-HKDF-SHA256 public key is 1218 bytes, found 100");
        assertThatThrownBy(() -> HybridPublicKemKey.parse(signingId))
                .isInstanceOf(InvalidEncodingException.class).hasMessageContaining("(0x0101) where");
    }

    @Test
    void aPublicKeyNoOneCanEncapsulateToIsRefusedWhenParsed() throws Exception {
        byte[] encoded = ALICE.primary().encode();
        int x25519At = HybridPublicKemKey.ENCODED_LENGTH - 32;
        // A small-order X25519 point (u = 0): key agreement with it fails.
        byte[] smallOrder = encoded.clone();
        Arrays.fill(smallOrder, x25519At, smallOrder.length, (byte) 0);
        assertThatThrownBy(() -> HybridPublicKemKey.parse(smallOrder))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid public KEM key at byte " + x25519At + ": not a usable X25519 public key (a small-order point: no shared secret can be agreed with it)");
        // An ML-KEM-768 key whose coefficients are not reduced modulo q (FIPS 203's encapsulation key check).
        byte[] unreduced = encoded.clone();
        Arrays.fill(unreduced, 2, 2 + 384 * 3, (byte) 0xff);
        assertThatThrownBy(() -> HybridPublicKemKey.parse(unreduced))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("hybrid public KEM key at byte 2: not a usable ML-KEM-768 public key (FIPS 203 encapsulation key check)");
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
