package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

class AeadTest {

    private static final AeadKey KEY = AeadKey.generate();
    private static final byte[] PLAINTEXT = "payload of a labelled record".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AD = "record 42".getBytes(StandardCharsets.UTF_8);

    @Test
    void roundTripsAndFramesTheCiphertext() throws Exception {
        byte[] ciphertext = KEY.encrypt(PLAINTEXT, AD);

        assertThat(ciphertext).hasSize(PLAINTEXT.length + 38);
        assertThat(HexFormat.of().formatHex(ciphertext, 0, 10)).isEqualTo("0301" + KEY.keyId().hex());
        assertThat(KEY.decrypt(ciphertext, AD)).isEqualTo(PLAINTEXT);
        assertThat(KEY.decrypt(KEY.encrypt(new byte[0], new byte[0]), new byte[0])).isEmpty();
    }

    @Test
    void everyEncryptionUsesAFreshNonce() throws Exception {
        byte[] first = KEY.encrypt(PLAINTEXT, AD);
        byte[] second = KEY.encrypt(PLAINTEXT, AD);

        assertThat(Arrays.copyOfRange(first, 10, 22)).isNotEqualTo(Arrays.copyOfRange(second, 10, 22));
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void everyFlippedBitIsDetectedWithTheSameMessage() throws Exception {
        byte[] ciphertext = KEY.encrypt(PLAINTEXT, AD);
        List<String> accepted = new ArrayList<>();
        for (int bit = 16; bit < 8 * ciphertext.length; bit++) { // bits 0-15 are the algorithm id
            byte[] flipped = ciphertext.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            try {
                KEY.decrypt(flipped, AD);
                accepted.add("bit " + bit);
            } catch (AEADBadTagException expected) {
                assertThat(expected).hasMessage("decryption failed");
            }
        }
        assertThat(accepted).isEmpty();
    }

    @Test
    void wrongAssociatedDataKeyTruncationAndExtensionFailAlike() throws Exception {
        byte[] ciphertext = KEY.encrypt(PLAINTEXT, AD);
        AeadKey other = AeadKey.generate();

        assertThatThrownBy(() -> KEY.decrypt(ciphertext, "record 43".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AEADBadTagException.class).hasMessage("decryption failed");
        assertThatThrownBy(() -> other.decrypt(ciphertext, AD)).hasMessage("decryption failed");
        assertThatThrownBy(() -> KEY.decrypt(Arrays.copyOf(ciphertext, ciphertext.length - 1), AD))
                .hasMessage("decryption failed");
        assertThatThrownBy(() -> KEY.decrypt(Arrays.copyOf(ciphertext, ciphertext.length + 1), AD))
                .hasMessage("decryption failed");
    }

    @Test
    void malformedFramingIsNamed() throws Exception {
        byte[] ciphertext = KEY.encrypt(PLAINTEXT, AD);
        byte[] unknown = ciphertext.clone();
        unknown[0] = 0x0a;
        byte[] streaming = ciphertext.clone();
        streaming[0] = 0x04;

        assertThatThrownBy(() -> KEY.decrypt(Arrays.copyOf(ciphertext, 37), AD))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("AES-256-GCM ciphertext at byte 0: an AES-256-GCM ciphertext is at least 38 bytes, found 37");
        assertThatThrownBy(() -> KEY.decrypt(unknown, AD))
                .hasMessage("AES-256-GCM ciphertext at byte 0: unknown algorithm id 0x0a01");
        assertThatThrownBy(() -> KEY.decrypt(streaming, AD))
                .hasMessage("AES-256-GCM ciphertext at byte 0: algorithm AES-256-GCM-HKDF-SHA256-64KiB (0x0401) where AES-256-GCM (0x0301) is required");
    }

    @Test
    void keysetDecryptsWhatOldKeysEncryptedAfterRotation() throws Exception {
        AeadKeyset keyset = AeadKeyset.generate();
        byte[] before = keyset.encrypt(PLAINTEXT, AD);
        AeadKeyset rotated = keyset.rotate();
        byte[] after = rotated.encrypt(PLAINTEXT, AD);

        assertThat(rotated.primary().keyId()).isNotEqualTo(keyset.primary().keyId());
        assertThat(rotated.keyIds()).containsExactly(keyset.primary().keyId(), rotated.primary().keyId());
        assertThat(rotated.decrypt(before, AD)).isEqualTo(PLAINTEXT);
        assertThat(rotated.decrypt(after, AD)).isEqualTo(PLAINTEXT);
        assertThatThrownBy(() -> keyset.decrypt(after, AD)).hasMessage("decryption failed");
        assertThat(rotated.withPrimary(keyset.primary()).primary().keyId()).isEqualTo(keyset.primary().keyId());
        assertThatThrownBy(() -> AeadKeyset.of(KEY, KEY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysWrapAndUnwrap() throws Exception {
        AeadKeyset recipientEpochKeys = AeadKeyset.generate();
        AeadKey dataKey = AeadKey.generate();
        StreamingAeadKey streamKey = StreamingAeadKey.generate();

        byte[] wrapped = dataKey.wrap(recipientEpochKeys, AD);
        byte[] wrappedStream = streamKey.wrap(recipientEpochKeys, AD);
        AeadKey unwrapped = AeadKey.unwrap(wrapped, recipientEpochKeys.rotate(), AD);

        assertThat(unwrapped.keyId()).isEqualTo(dataKey.keyId());
        assertThat(unwrapped.decrypt(dataKey.encrypt(PLAINTEXT, AD), AD)).isEqualTo(PLAINTEXT);
        assertThat(StreamingAeadKey.unwrap(wrappedStream, recipientEpochKeys, AD).keyId()).isEqualTo(streamKey.keyId());
        assertThatThrownBy(() -> AeadKey.unwrap(wrapped, recipientEpochKeys, new byte[0])).hasMessage("decryption failed");
        assertThatThrownBy(() -> AeadKey.unwrap(wrappedStream, recipientEpochKeys, AD))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessageContaining("wrapped key at byte 0: algorithm AES-256-GCM-HKDF-SHA256-64KiB (0x0401) where AES-256-GCM (0x0301)");
    }

    @Test
    void toStringShowsTheIdOnly() {
        assertThat(KEY.toString()).isEqualTo("AeadKey[AES-256-GCM, id " + KEY.keyId().hex() + "]");
    }

    /** One key used by many threads at once (its Ciphers are pooled), failures among them: each result is right. */
    @Test
    void oneKeyServesConcurrentCallersAndSurvivesFailures() throws Exception {
        AeadKey key = AeadKey.generate();
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                int thread = t;
                threads.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        byte[] plaintext = ("thread " + thread + " message " + i).getBytes(StandardCharsets.UTF_8);
                        byte[] ad = {(byte) thread, (byte) i};
                        try {
                            byte[] ciphertext = key.encrypt(plaintext, ad);
                            if (i % 7 == 0) {
                                byte[] tampered = ciphertext.clone();
                                tampered[tampered.length - 1] ^= 1;
                                try {
                                    key.decrypt(tampered, ad);
                                    wrong.add(thread + "/" + i + " tampered accepted");
                                } catch (AEADBadTagException expected) {
                                    // dropped, not pooled
                                }
                            }
                            if (!Arrays.equals(key.decrypt(ciphertext, ad), plaintext)) wrong.add(thread + "/" + i);
                        } catch (Exception e) {
                            wrong.add(thread + "/" + i + " " + e);
                        }
                    }
                    return null;
                });
            }
        }
        assertThat(wrong).isEmpty();
    }
}
