package io.bulwark.crypto.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Encrypts what is written into segments of {@link StreamSegmentCipher}; {@link #close()} writes the last
 * segment and closes the underlying stream. Holds one plaintext and one ciphertext segment: constant
 * memory. Not thread-safe (no OutputStream is).
 */
public final class EncryptingOutputStream extends OutputStream {

    private final OutputStream out;
    private final StreamSegmentCipher cipher;
    private final byte[] plaintext = new byte[StreamSegmentCipher.SEGMENT_SIZE];
    private final byte[] ciphertext = new byte[StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE];
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
            if (buffered == plaintext.length) {
                emit(plaintext, 0, buffered, false);
                buffered = 0;
            }
            if (buffered == 0 && length > plaintext.length) {
                emit(bytes, offset, plaintext.length, false);
                offset += plaintext.length;
                length -= plaintext.length;
                continue;
            }
            int n = Math.min(length, plaintext.length - buffered);
            System.arraycopy(bytes, offset, plaintext, buffered, n);
            buffered += n;
            offset += n;
            length -= n;
        }
    }

    private void emit(byte[] segment, int offset, int length, boolean last) throws IOException {
        if (index >= StreamSegmentCipher.MAX_SEGMENTS) {
            throw new IOException("stream longer than 2^32 segments");
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
