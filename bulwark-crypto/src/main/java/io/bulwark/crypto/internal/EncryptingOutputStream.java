package io.bulwark.crypto.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Encrypts what is written into segments of {@link StreamSegmentCipher}; {@link #close()} writes the last
 * segment and closes the underlying stream. Holds at most one plaintext and one ciphertext segment:
 * constant memory. The buffers grow with what is written, so a stream of a few bytes does not allocate
 * and clear 128 KiB (a small record's sealing spent most of its time there). Not thread-safe (no
 * OutputStream is).
 */
public final class EncryptingOutputStream extends OutputStream {

    private static final int SEGMENT_SIZE = StreamSegmentCipher.SEGMENT_SIZE;
    private static final int MIN_BUFFER = 256;

    private final OutputStream out;
    private final StreamSegmentCipher cipher;
    /** Plaintext of the segment being filled: grows up to a segment, cleared before it is dropped. */
    private byte[] plaintext = new byte[0];
    /** Ciphertext of the segment being written: grows up to a segment and its tag. */
    private byte[] ciphertext = new byte[0];
    private int buffered;
    private long index;
    private boolean closed;

    public EncryptingOutputStream(OutputStream out, StreamSegmentCipher cipher) throws IOException {
        this.out = out;
        this.cipher = cipher;
        out.write(cipher.header());
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        while (length > 0) {
            if (buffered == SEGMENT_SIZE) {
                emit(plaintext, 0, buffered, false);
                buffered = 0;
            }
            if (buffered == 0 && length > SEGMENT_SIZE) {
                emit(bytes, offset, SEGMENT_SIZE, false);
                offset += SEGMENT_SIZE;
                length -= SEGMENT_SIZE;
                continue;
            }
            int n = Math.min(length, SEGMENT_SIZE - buffered);
            if (buffered + n > plaintext.length) {
                growPlaintext(buffered + n);
            }
            System.arraycopy(bytes, offset, plaintext, buffered, n);
            buffered += n;
            offset += n;
            length -= n;
        }
    }

    /** At least {@code needed} bytes (at most a segment), doubling so that many small writes copy little. */
    private void growPlaintext(int needed) {
        int size = Math.min(SEGMENT_SIZE, Math.max(needed, Math.max(MIN_BUFFER, 2 * plaintext.length)));
        byte[] bigger = Arrays.copyOf(plaintext, size);
        Arrays.fill(plaintext, (byte) 0);
        plaintext = bigger;
    }

    private void emit(byte[] segment, int offset, int length, boolean last) throws IOException {
        if (index >= StreamSegmentCipher.MAX_SEGMENTS) {
            throw new IOException("stream longer than 2^32 segments");
        }
        if (ciphertext.length < length + StreamSegmentCipher.TAG_LENGTH) {
            ciphertext = new byte[length + StreamSegmentCipher.TAG_LENGTH];
        }
        try {
            int n = cipher.encryptSegment(index, last, segment, offset, length, ciphertext, 0);
            out.write(ciphertext, 0, n);
        } catch (GeneralSecurityException e) {
            throw new IOException("encryption failed", e);
        }
        index++;
    }

    /** Flushes the underlying stream; buffered plaintext waits for a full segment or {@link #close()}. */
    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            emit(plaintext, 0, buffered, true);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
            out.close();
        }
    }
}
