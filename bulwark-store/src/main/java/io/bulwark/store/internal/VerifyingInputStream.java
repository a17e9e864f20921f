package io.bulwark.store.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Passes a blob's bytes through and, at the end, checks their size and SHA-256 against what was
 * recorded when it was stored: a replica that rotted or was tampered with fails the read rather
 * than reaching the record layer as if it were intact.
 */
public final class VerifyingInputStream extends FilterInputStream {

    private final MessageDigest sha256;
    private final long size;
    private final String digest;
    private final String what;
    private long read;
    private boolean checked;
    private String actual = "";

    /**
     * @param what names the replica in the error, e.g. {@code blob "k" at site fra-1}
     */
    public VerifyingInputStream(InputStream in, long size, String digest, String what) {
        super(in);
        this.size = size;
        this.digest = digest;
        this.what = what;
        this.sha256 = Digests.sha256();
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) check();
        else {
            sha256.update((byte) b);
            read++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) check();
        else {
            sha256.update(b, off, n);
            read += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must still be hashed, or the check at the end would be meaningless.
        int len = (int) Math.min(Math.max(n, 0), 8192);
        return len == 0 ? 0 : Math.max(0, read(new byte[len], 0, len));
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Whether the end was reached and the bytes did not match. */
    public boolean mismatched() {
        return checked && (read != size || !actual.equals(digest));
    }

    /** How many bytes were read. */
    public long bytesRead() {
        return read;
    }

    /** The SHA-256 of the bytes read so far (reading may go on): what a reader failing over compares. */
    public byte[] digestOfBytesRead() {
        if (checked) {
            return HexFormat.of().parseHex(actual);
        }
        try {
            return ((MessageDigest) sha256.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the platform's SHA-256 can be cloned", e);
        }
    }

    /** The SHA-256 of the bytes read, hex, once the end was reached; empty before. */
    public String digest() {
        return actual;
    }

    private void check() throws IOException {
        if (checked) return;
        checked = true;
        actual = HexFormat.of().formatHex(sha256.digest());
        if (read != size || !actual.equals(digest)) {
            throw new IOException(what + " does not match its recorded size and SHA-256 (" + read + " bytes read, " + size + " recorded)");
        }
    }
}
