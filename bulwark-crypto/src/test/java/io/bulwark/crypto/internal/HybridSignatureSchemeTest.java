package io.bulwark.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.crypto.KeyId;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HybridSignatureSchemeTest {

    private static final KeyPair PQ = Component.ML_DSA_65.generate();
    private static final KeyPair CLASSICAL = Component.ED25519.generate();
    private static final byte[] FINGERPRINT = new byte[32];
    private static final byte[] MESSAGE = "a batch root".getBytes(StandardCharsets.US_ASCII);

    /** Giving the Ed25519 public key only saves deriving it: the Ed25519 half is the same bytes. */
    @Test
    void theGivenPublicKeyChangesNoByteOfTheEd25519Half() throws Exception {
        byte[] derived = HybridSignatureScheme.sign(PQ.getPrivate(), CLASSICAL.getPrivate(), new KeyId(7), FINGERPRINT, MESSAGE);
        byte[] given = HybridSignatureScheme.sign(PQ.getPrivate(), CLASSICAL.getPrivate(),
                Component.ED25519.rawPublicKey(CLASSICAL.getPublic()), new KeyId(7), FINGERPRINT, MESSAGE);

        int ed25519 = HybridSignatureScheme.SIGNATURE_LENGTH - HybridSignatureScheme.ED25519_SIGNATURE_LENGTH;
        assertThat(Arrays.copyOfRange(given, ed25519, given.length))
                .isEqualTo(Arrays.copyOfRange(derived, ed25519, derived.length));
        assertThat(Arrays.copyOf(given, 10)).isEqualTo(Arrays.copyOf(derived, 10));
    }

    @Test
    void refusesAPublicKeyOfTheWrongLength() {
        assertThatThrownBy(() -> HybridSignatureScheme.sign(PQ.getPrivate(), CLASSICAL.getPrivate(), new byte[31],
                new KeyId(7), FINGERPRINT, MESSAGE)).isInstanceOf(InvalidKeyException.class);
    }
}
