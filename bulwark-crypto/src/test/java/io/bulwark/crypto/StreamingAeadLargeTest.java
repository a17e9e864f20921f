package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Constant memory: 1 GiB goes through an encrypting stream, a pipe and a decrypting stream inside the
 * 96 MiB heap this module's tests run in (see the pom), and comes out intact.
 */
@Tag("slow")
class StreamingAeadLargeTest {

    private static final long TOTAL = 1L << 30;
    private static final int BLOCK = 1 << 20;

    @Test
    void streamsOneGibibyteThroughASmallHeap() throws Exception {
        StreamingAeadKey key = StreamingAeadKey.generate();
        byte[] ad = "one gibibyte".getBytes(StandardCharsets.UTF_8);
        PipedInputStream ciphertextIn = new PipedInputStream(1 << 20);
        PipedOutputStream ciphertextOut = new PipedOutputStream(ciphertextIn);

        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            byte[] block = new byte[BLOCK];
            try (OutputStream encrypting = key.newEncryptingStream(ciphertextOut, ad)) {
                for (long i = 0; i < TOTAL / BLOCK; i++) {
                    fill(block, i);
                    encrypting.write(block);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });

        long read = 0;
        long mismatches = 0;
        byte[] expected = new byte[BLOCK];
        byte[] actual = new byte[BLOCK];
        try (InputStream decrypting = key.newDecryptingStream(ciphertextIn, ad)) {
            for (long i = 0; ; i++) {
                int n = decrypting.readNBytes(actual, 0, BLOCK);
                if (n == 0) {
                    break;
                }
                fill(expected, i);
                if (n != BLOCK || !java.util.Arrays.equals(expected, actual)) {
                    mismatches++;
                }
                read += n;
            }
        }
        writer.join();

        assertThat(read).isEqualTo(TOTAL);
        assertThat(mismatches).isZero();
        assertThat(Runtime.getRuntime().maxMemory()).isLessThan(TOTAL / 8);
    }

    /** A block whose bytes depend on its index, so that a misplaced block is noticed. */
    private static void fill(byte[] block, long index) {
        for (int i = 0; i < block.length; i += 8) {
            long value = index * 0x9E3779B97F4A7C15L + i;
            for (int j = 0; j < 8; j++) {
                block[i + j] = (byte) (value >>> (8 * j));
            }
        }
    }
}
