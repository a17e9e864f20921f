package io.bulwark.crypto.internal;

import io.bulwark.crypto.Algorithm;
import io.bulwark.crypto.InvalidEncodingException;
import java.util.Arrays;

/** Reads a big-endian encoding front to back; every shortfall is an {@link InvalidEncodingException}. */
public final class ByteReader {

    private final String input;
    private final byte[] bytes;
    private int position;

    /** @param input what is being read, in words, for error messages */
    public ByteReader(String input, byte[] bytes) {
        this.input = input;
        this.bytes = bytes;
    }

    public int position() {
        return position;
    }

    public int remaining() {
        return bytes.length - position;
    }

    public InvalidEncodingException error(String rule) {
        return new InvalidEncodingException(input, position, rule);
    }

    public InvalidEncodingException errorAt(long offset, String rule) {
        return new InvalidEncodingException(input, offset, rule);
    }

    private void need(int count, String what) throws InvalidEncodingException {
        if (remaining() < count) {
            throw error("truncated: " + what + " needs " + count + " bytes, " + remaining() + " left");
        }
    }

    public int u8(String what) throws InvalidEncodingException {
        need(1, what);
        return bytes[position++] & 0xFF;
    }

    public int u16(String what) throws InvalidEncodingException {
        need(2, what);
        int value = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
        position += 2;
        return value;
    }

    public long u32(String what) throws InvalidEncodingException {
        need(4, what);
        long value = 0;
        for (int i = 0; i < 4; i++) {
            value = (value << 8) | (bytes[position + i] & 0xFF);
        }
        position += 4;
        return value;
    }

    public long u64(String what) throws InvalidEncodingException {
        need(8, what);
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (bytes[position + i] & 0xFF);
        }
        position += 8;
        return value;
    }

    public byte[] bytes(int count, String what) throws InvalidEncodingException {
        need(count, what);
        byte[] out = Arrays.copyOfRange(bytes, position, position + count);
        position += count;
        return out;
    }

    /** A u32 length, bounded by {@code max}, then that many bytes. */
    public byte[] lengthPrefixed(int max, String what) throws InvalidEncodingException {
        int at = position;
        long length = u32(what + " length");
        if (length > max) {
            throw errorAt(at, what + " length " + length + " exceeds the maximum " + max);
        }
        return bytes((int) length, what);
    }

    /** Reads a two-byte algorithm identifier and insists it is {@code expected}. */
    public Algorithm algorithm(Algorithm expected) throws InvalidEncodingException {
        int at = position;
        int id = u16("algorithm id");
        Algorithm found = Algorithm.forId(id).orElseThrow(
                () -> errorAt(at, "unknown algorithm id 0x%04x".formatted(id)));
        if (found != expected) {
            throw errorAt(at, "algorithm " + found + " where " + expected + " is required");
        }
        return found;
    }

    /** Insists every byte has been read. */
    public void end() throws InvalidEncodingException {
        if (remaining() != 0) {
            throw error(remaining() + " unexpected trailing bytes");
        }
    }
}
