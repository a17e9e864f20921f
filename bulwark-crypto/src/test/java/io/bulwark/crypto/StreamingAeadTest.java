package io.bulwark.crypto;

import static io.bulwark.crypto.StreamingAeadKey.CIPHERTEXT_SEGMENT_SIZE;
import static io.bulwark.crypto.StreamingAeadKey.HEADER_LENGTH;
import static io.bulwark.crypto.StreamingAeadKey.SEGMENT_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamingAeadTest {

    private static final StreamingAeadKey KEY = StreamingAeadKey.generate();
    private static final byte[] AD = "record 7".getBytes(StandardCharsets.UTF_8);

    static byte[] plaintext(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    static byte[] encrypt(StreamingAeadKey key, byte[] plaintext, byte[] ad) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypting = key.newEncryptingStream(out, ad)) {
            encrypting.write(plaintext);
        }
        return out.toByteArray();
    }

    static byte[] decrypt(StreamingAeadKey key, byte[] ciphertext, byte[] ad) throws IOException {
        try (InputStream decrypting = key.newDecryptingStream(new ByteArrayInputStream(ciphertext), ad)) {
            return decrypting.readAllBytes();
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] segment(byte[] ciphertext, int index) {
        int from = (int) StreamingAeadKey.segmentOffset(index);
        return Arrays.copyOfRange(ciphertext, from, Math.min(ciphertext.length, from + CIPHERTEXT_SEGMENT_SIZE));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1000, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 2 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 17})
    void roundTripsAtSegmentBoundaries(int length) throws Exception {
        byte[] plaintext = plaintext(length);
        byte[] ciphertext = encrypt(KEY, plaintext, AD);

        assertThat((long) ciphertext.length).isEqualTo(StreamingAeadKey.ciphertextLength(length));
        assertThat(StreamingAeadKey.segmentCount(ciphertext.length)).isEqualTo(Math.max(1, (length + SEGMENT_SIZE - 1) / SEGMENT_SIZE));
        assertThat(HexFormat.of().formatHex(ciphertext, 0, 10)).isEqualTo("0401" + KEY.keyId().hex());
        assertThat(decrypt(KEY, ciphertext, AD)).isEqualTo(plaintext);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1000, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 2 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 17})
    void oneShotEncryptionWritesTheStreamsBytesAndDecryptsAsAStream(int length) throws Exception {
        byte[] plaintext = plaintext(length);
        byte[] ciphertext = KEY.encrypt(plaintext, AD);
        assertThat((long) ciphertext.length).isEqualTo(StreamingAeadKey.ciphertextLength(length));
        assertThat(decrypt(KEY, ciphertext, AD)).isEqualTo(plaintext);

        // Byte for byte what the stream writes under the same header (salt and nonce prefix).
        javax.crypto.SecretKey key = new javax.crypto.spec.SecretKeySpec(plaintext(32 + length % 7), 0, 32, "AES");
        KeyId id = new KeyId(42);
        byte[] oneShot = io.bulwark.crypto.internal.StreamSegmentCipher.forEncryption(key, id, AD).encryptAll(plaintext);
        byte[] header = Arrays.copyOf(oneShot, HEADER_LENGTH);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        try (OutputStream out = new io.bulwark.crypto.internal.EncryptingOutputStream(streamed,
                io.bulwark.crypto.internal.StreamSegmentCipher.forDecryption(key, id, header, AD))) {
            out.write(plaintext);
        }
        assertThat(oneShot).isEqualTo(streamed.toByteArray());
    }

    /** A stream that says it holds {@code claimed} bytes whatever it holds, and gives at most 1000 bytes per read. */
    private static InputStream misleading(byte[] bytes, int claimed) {
        return new java.io.FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int available() {
                return claimed;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1000));
            }
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1000, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 2 * SEGMENT_SIZE + 5})
    void roundTripsFromAStreamThatMisstatesWhatItHolds(int length) throws Exception {
        // The decrypting stream sizes its first buffer from available(): short, zero or too large, the result is the same.
        byte[] plaintext = plaintext(length);
        byte[] ciphertext = encrypt(KEY, plaintext, AD);
        for (int claimed : new int[] {0, 1, 300, Integer.MAX_VALUE}) {
            try (InputStream decrypting = KEY.newDecryptingStream(misleading(ciphertext, claimed), AD)) {
                assertThat(decrypting.readAllBytes()).as("available() = %d", claimed).isEqualTo(plaintext);
            }
        }
    }

    @Test
    void writesOfAnySizeGiveTheSameStream() throws Exception {
        byte[] plaintext = plaintext(3 * SEGMENT_SIZE + 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypting = KEY.newEncryptingStream(out, AD)) {
            Random random = new Random(1);
            int at = 0;
            while (at < plaintext.length) {
                int n = Math.min(plaintext.length - at, random.nextInt(2 * SEGMENT_SIZE) + 1);
                if (n == 1) {
                    encrypting.write(plaintext[at]);
                } else {
                    encrypting.write(plaintext, at, n);
                }
                at += n;
            }
        }
        InputStream decrypting = KEY.newDecryptingStream(new ByteArrayInputStream(out.toByteArray()), AD);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        int b;
        while ((b = decrypting.read()) >= 0) { // byte by byte through a segment, then in bulk
            back.write(b);
            if (back.size() == SEGMENT_SIZE + 3) {
                back.writeBytes(decrypting.readAllBytes());
            }
        }
        assertThat(back.toByteArray()).isEqualTo(plaintext);
    }

    @Test
    void truncationAtASegmentBoundaryIsDetected() throws Exception {
        byte[] ciphertext = encrypt(KEY, plaintext(3 * SEGMENT_SIZE + 100), AD);
        for (int segments = 0; segments <= 3; segments++) {
            byte[] truncated = Arrays.copyOf(ciphertext, HEADER_LENGTH + segments * CIPHERTEXT_SEGMENT_SIZE);
            assertThatThrownBy(() -> decrypt(KEY, truncated, AD)).as("%d segments", segments)
                    .isInstanceOf(IOException.class).hasMessage("decryption failed")
                    .hasCauseInstanceOf(AEADBadTagException.class);
        }
    }

    @Test
    void truncationInsideASegmentOrTheHeaderIsDetected() throws Exception {
        byte[] ciphertext = encrypt(KEY, plaintext(2 * SEGMENT_SIZE + 100), AD);

        for (int length : new int[] {ciphertext.length - 1, ciphertext.length - 17, HEADER_LENGTH + 10,
                HEADER_LENGTH + CIPHERTEXT_SEGMENT_SIZE + 1, HEADER_LENGTH + 15}) {
            byte[] truncated = Arrays.copyOf(ciphertext, length);
            assertThatThrownBy(() -> decrypt(KEY, truncated, AD)).as("length %d", length).hasMessage("decryption failed");
        }
        assertThatThrownBy(() -> decrypt(KEY, Arrays.copyOf(ciphertext, 20), AD))
                .hasMessage("streaming AEAD header at byte 0: the header is 49 bytes, found 20")
                .hasCauseInstanceOf(InvalidEncodingException.class);
    }

    @Test
    void reorderedSegmentsAreDetected() throws Exception {
        byte[] ciphertext = encrypt(KEY, plaintext(3 * SEGMENT_SIZE), AD);
        byte[] header = Arrays.copyOf(ciphertext, HEADER_LENGTH);
        byte[] swapped = concat(header, segment(ciphertext, 1), segment(ciphertext, 0), segment(ciphertext, 2));

        assertThatThrownBy(() -> decrypt(KEY, swapped, AD)).hasMessage("decryption failed");
    }

    @Test
    void aSegmentFromAnotherStreamIsDetected() throws Exception {
        byte[] first = encrypt(KEY, plaintext(2 * SEGMENT_SIZE), AD);
        byte[] second = encrypt(KEY, plaintext(2 * SEGMENT_SIZE), AD);
        byte[] spliced = concat(Arrays.copyOf(first, HEADER_LENGTH), segment(first, 0), segment(second, 1));

        assertThatThrownBy(() -> decrypt(KEY, spliced, AD)).hasMessage("decryption failed");
    }

    @Test
    void appendedSegmentsAndBytesAreDetected() throws Exception {
        byte[] full = encrypt(KEY, plaintext(SEGMENT_SIZE), AD); // one full segment, marked last
        byte[] longer = encrypt(KEY, plaintext(2 * SEGMENT_SIZE), AD);
        byte[] partial = encrypt(KEY, plaintext(100), AD);

        assertThatThrownBy(() -> decrypt(KEY, concat(full, segment(longer, 1)), AD)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypt(KEY, concat(full, new byte[1]), AD)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypt(KEY, concat(partial, new byte[1]), AD)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypt(KEY, concat(partial, segment(partial, 0)), AD)).hasMessage("decryption failed");
    }

    @Test
    void flippedBitsAnywhereAreDetected() throws Exception {
        byte[] ciphertext = encrypt(KEY, plaintext(2 * SEGMENT_SIZE + 10), AD);
        Random random = new Random(7);
        List<Integer> accepted = new ArrayList<>();
        for (int trial = 0; trial < 200; trial++) {
            int bit = trial < 80 ? 16 + trial : 16 + random.nextInt(8 * ciphertext.length - 16); // the header's bits, then anywhere
            byte[] flipped = ciphertext.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            try {
                decrypt(KEY, flipped, AD);
                accepted.add(bit);
            } catch (IOException expected) {
                assertThat(expected).hasMessage("decryption failed");
            }
        }
        assertThat(accepted).isEmpty();
    }

    @Test
    void wrongAssociatedDataOrKeyIsDetected() throws Exception {
        byte[] ciphertext = encrypt(KEY, plaintext(1000), AD);

        assertThatThrownBy(() -> decrypt(KEY, ciphertext, new byte[0])).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypt(StreamingAeadKey.generate(), ciphertext, AD)).hasMessage("decryption failed");
    }

    @Test
    void aReaderNeverSeesTheSegmentThatFailsAndTheFailureSticks() throws Exception {
        byte[] plaintext = plaintext(3 * SEGMENT_SIZE);
        byte[] ciphertext = encrypt(KEY, plaintext, AD);
        ciphertext[(int) StreamingAeadKey.segmentOffset(1) + 100] ^= 1;
        InputStream decrypting = KEY.newDecryptingStream(new ByteArrayInputStream(ciphertext), AD);

        byte[] first = decrypting.readNBytes(SEGMENT_SIZE);
        assertThat(first).isEqualTo(Arrays.copyOf(plaintext, SEGMENT_SIZE));
        assertThatThrownBy(() -> decrypting.read()).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypting.read(new byte[10])).hasMessage("decryption failed");
        assertThat(decrypting.available()).isZero();
    }

    @Test
    void segmentsDecryptOneByOneForRandomAccess() throws Exception {
        byte[] plaintext = plaintext(2 * SEGMENT_SIZE + 500);
        byte[] ciphertext = encrypt(KEY, plaintext, AD);
        StreamingAeadKey.SegmentDecrypter decrypter = KEY.newSegmentDecrypter(Arrays.copyOf(ciphertext, HEADER_LENGTH), AD);

        assertThat(decrypter.decryptSegment(2, segment(ciphertext, 2), true))
                .isEqualTo(Arrays.copyOfRange(plaintext, 2 * SEGMENT_SIZE, plaintext.length));
        assertThat(decrypter.decryptSegment(1, segment(ciphertext, 1), false))
                .isEqualTo(Arrays.copyOfRange(plaintext, SEGMENT_SIZE, 2 * SEGMENT_SIZE));
        assertThatThrownBy(() -> decrypter.decryptSegment(0, segment(ciphertext, 1), false)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypter.decryptSegment(1, segment(ciphertext, 1), true)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypter.decryptSegment(2, segment(ciphertext, 2), false)).hasMessage("decryption failed");
        assertThatThrownBy(() -> decrypter.decryptSegment(0, new byte[3], true)).hasMessage("decryption failed");
        assertThatThrownBy(() -> KEY.newSegmentDecrypter(Arrays.copyOf(ciphertext, HEADER_LENGTH), new byte[0])
                .decryptSegment(0, segment(ciphertext, 0), false)).isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void writingAfterCloseFails() throws Exception {
        OutputStream encrypting = KEY.newEncryptingStream(new ByteArrayOutputStream(), AD);
        encrypting.close();
        encrypting.close(); // idempotent

        assertThatThrownBy(() -> encrypting.write(1)).isInstanceOf(IOException.class).hasMessage("stream closed");
    }
}
