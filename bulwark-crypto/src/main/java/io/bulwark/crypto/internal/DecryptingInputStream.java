package io.bulwark.crypto.internal;

import io.bulwark.crypto.KeyId;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * Decrypts a stream of {@link StreamSegmentCipher} segment by segment. It returns the plaintext of a
 * segment only after that segment's tag verified, and reports end of stream only after the segment marked
 * last verified, with nothing after it. Any failure is an {@link IOException} whose cause is the
 * {@link GeneralSecurityException}; it is sticky. Holds one ciphertext and one plaintext segment: constant
 * memory. The buffers grow with what is read, so opening a record of a few bytes does not allocate and
 * clear 192 KiB (most of a small record's decryption went there). Not thread-safe.
 */
public final class DecryptingInputStream extends InputStream {

    private final InputStream in;
    private final SecretKey dataKey;
    private final KeyId keyId;
    private final byte[] associatedData;
    private StreamSegmentCipher cipher;
    /** A segment's ciphertext and one byte of look-ahead: grows up to {@link #FULL}. */
    private byte[] ciphertext = new byte[0];
    /** A segment's plaintext: grows up to a segment, cleared before it is dropped. */
    private byte[] plaintext = new byte[0];
    private int carried;
    private int position;
    private int limit;
    private long index;
    private boolean done;
    private GeneralSecurityException failure;

    public DecryptingInputStream(InputStream in, SecretKey dataKey, KeyId keyId, byte[] associatedData) {
        this.in = in;
        this.dataKey = dataKey;
        this.keyId = keyId;
        this.associatedData = Objects.requireNonNull(associatedData, "associatedData (an empty array for none)").clone();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        if (length == 0) {
            return 0;
        }
        while (position == limit) {
            if (done) {
                return -1;
            }
            try {
                nextSegment();
            } catch (GeneralSecurityException e) {
                failure = e;
                Arrays.fill(plaintext, (byte) 0);
                position = limit = 0;
                throw new IOException(e.getMessage(), e);
            }
        }
        int n = Math.min(length, limit - position);
        System.arraycopy(plaintext, position, bytes, offset, n);
        position += n;
        return n;
    }

    /** A full segment's ciphertext and one byte of look-ahead, which tells whether the segment is the last. */
    private static final int FULL = StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE + 1;

    private void nextSegment() throws IOException, GeneralSecurityException {
        if (cipher == null) {
            byte[] header = new byte[StreamSegmentCipher.HEADER_LENGTH];
            int n = in.readNBytes(header, 0, header.length);
            cipher = StreamSegmentCipher.forDecryption(dataKey, keyId, Arrays.copyOf(header, n), associatedData);
            // What the stream says it holds (exact for bytes in memory) sizes the first buffer; it grows if that was short.
            ciphertext = new byte[(int) Math.clamp(in.available() + 1L, 256, FULL)];
        }
        int available = fill();
        boolean last = available <= StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE;
        int length = last ? available : StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE;
        int most = Math.max(0, length - StreamSegmentCipher.TAG_LENGTH);
        if (plaintext.length < most) {
            Arrays.fill(plaintext, (byte) 0);
            plaintext = new byte[most];
        }
        limit = cipher.decryptSegment(index, last, ciphertext, 0, length, plaintext, 0);
        position = 0;
        if (last) {
            done = true;
            carried = 0;
        } else {
            ciphertext[0] = ciphertext[StreamSegmentCipher.CIPHERTEXT_SEGMENT_SIZE];
            carried = 1;
        }
        index++;
    }

    /** Reads until the buffer holds {@link #FULL} bytes or the stream ends, growing it as needed; returns the bytes held. */
    private int fill() throws IOException {
        int held = carried;
        while (true) {
            int wanted = ciphertext.length - held;
            int n = in.readNBytes(ciphertext, held, wanted);
            held += n;
            if (n < wanted || ciphertext.length == FULL) return held; // the end of the stream, or a full segment and its look-ahead
            ciphertext = Arrays.copyOf(ciphertext, Math.min(FULL, 2 * ciphertext.length));
        }
    }

    @Override
    public int available() {
        return limit - position;
    }

    @Override
    public void close() throws IOException {
        Arrays.fill(plaintext, (byte) 0);
        in.close();
    }
}
