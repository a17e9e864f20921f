package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import java.io.ByteArrayOutputStream;

/** Writes a big-endian encoding front to back. */
public final class ByteWriter {

    private final ByteArrayOutputStream out;

    public ByteWriter(int expectedSize) {
        out = new ByteArrayOutputStream(expectedSize);
    }

    public ByteWriter u8(int value) {
        out.write(value);
        return this;
    }

    public ByteWriter u16(int value) {
        out.write(value >>> 8);
        out.write(value);
        return this;
    }

    public ByteWriter u32(long value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift));
        }
        return this;
    }

    public ByteWriter u64(long value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift));
        }
        return this;
    }

    public ByteWriter algorithm(Algorithm algorithm) {
        return u16(algorithm.id());
    }

    public ByteWriter bytes(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    public ByteWriter lengthPrefixed(byte[] bytes) {
        u32(bytes.length);
        return bytes(bytes);
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
