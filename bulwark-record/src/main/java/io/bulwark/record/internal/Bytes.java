package io.bulwark.record.internal;

import io.bulwark.record.InvalidRecordException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/** Big-endian writing and bounds-checked reading of the record formats. */
public final class Bytes {

    private Bytes() {}

    /** Never used itself: cloned, which costs a fraction of a provider lookup. */
    private static final MessageDigest SHA_256 = newSha256();

    /** A new SHA-256. */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** Appends big-endian integers, length-prefixed byte strings and ASCII/UTF-8 text. */
    public static final class Writer {
        private final ByteArrayOutputStream out;

        public Writer(int capacity) {
            out = new ByteArrayOutputStream(capacity);
        }

        public Writer u8(int v) { out.write(v); return this; }
        public Writer u16(int v) { out.write(v >>> 8); out.write(v); return this; }
        public Writer u32(long v) { for (int s = 24; s >= 0; s -= 8) out.write((int) (v >>> s)); return this; }
        public Writer u64(long v) { for (int s = 56; s >= 0; s -= 8) out.write((int) (v >>> s)); return this; }
        public Writer raw(byte[] b) { out.writeBytes(b); return this; }
        public Writer ascii(String s) { return raw(s.getBytes(StandardCharsets.US_ASCII)); }
        public Writer bytes8(byte[] b) { return u8(b.length).raw(b); }
        public Writer bytes16(byte[] b) { return u16(b.length).raw(b); }
        public Writer bytes32(byte[] b) { return u32(b.length).raw(b); }
        public byte[] toByteArray() { return out.toByteArray(); }
    }

    /** Reads with a bound check on every field; errors name the field, the offset and the rule. */
    public static final class Reader {
        private final String what;
        private final byte[] b;
        private int pos;
        private final int end;

        public Reader(String what, byte[] b, int offset, int end) {
            this.what = what;
            this.b = b;
            this.pos = offset;
            this.end = end;
        }

        public int position() { return pos; }

        public InvalidRecordException error(int at, String field, String rule) {
            return new InvalidRecordException(what + " at byte " + at + " (" + field + "): " + rule);
        }

        private int need(int n, String field) {
            if (n < 0 || end - pos < n) {
                throw error(pos, field, "truncated: needs " + n + " bytes, " + Math.max(0, end - pos) + " left");
            }
            int at = pos;
            pos += n;
            return at;
        }

        public int u8(String field) { return b[need(1, field)] & 0xFF; }
        public int u16(String field) { int at = need(2, field); return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF); }
        public long u32(String field) {
            int at = need(4, field);
            long v = 0;
            for (int i = 0; i < 4; i++) v = (v << 8) | (b[at + i] & 0xFF);
            return v;
        }
        public long u64(String field) {
            int at = need(8, field);
            long v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | (b[at + i] & 0xFFL);
            return v;
        }
        /** Moves past {@code n} bytes, copying nothing. */
        public void skip(int n, String field) {
            need(n, field);
        }
        public byte[] raw(int n, String field) {
            int at = need(n, field);
            byte[] out = new byte[n];
            System.arraycopy(b, at, out, 0, n);
            return out;
        }
        /** A length-prefixed byte string whose length must lie in [min, max]. */
        public byte[] sized(int lengthBytes, int min, int max, String field) {
            int at = pos;
            long n = switch (lengthBytes) {
                case 1 -> u8(field + " length");
                case 2 -> u16(field + " length");
                case 4 -> u32(field + " length");
                default -> throw new IllegalArgumentException();
            };
            if (n < min || n > max) throw error(at, field, "length " + n + " is outside " + min + ".." + max);
            return raw((int) n, field);
        }
        public String ascii(byte[] bytes, int at, String field, Pattern pattern, String rule) {
            String s = new String(bytes, StandardCharsets.US_ASCII);
            for (byte x : bytes) {
                if (x < 0x20 || x > 0x7e) throw error(at, field, "not printable ASCII");
            }
            if (!pattern.matcher(s).matches()) throw error(at, field, rule);
            return s;
        }
        public void end(String field) {
            if (pos != end) throw error(pos, field, (end - pos) + " unexpected bytes after the end");
        }
    }
}
