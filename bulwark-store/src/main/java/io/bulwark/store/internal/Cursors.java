package io.bulwark.store.internal;

import io.bulwark.store.InvalidQueryException;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * The listing cursor: a position in the order (created_at desc, id desc), encoded as base64url
 * without padding over 29 bytes:
 *
 * <pre>
 *   version (1 byte, = 1) | created_at epoch millis (8 bytes, big-endian) | id (16 bytes, the UUID)
 *   | CRC-32 of the preceding 25 bytes (4 bytes, big-endian)
 * </pre>
 *
 * <p>A cursor names the first row of the next page (inclusive). That row may be one the caller may
 * not see (the first row beyond a page's window, see {@link io.bulwark.store.MetadataStore#scan}), so
 * a cursor must never leave the node as it is: the node seals it. The CRC catches corruption, so
 * that it gets a precise error rather than a silently different page; it is not a MAC and need not
 * be — the seal is.
 */
public final class Cursors {

    /** A position in the listing order. */
    public record Position(long createdAtMillis, String id) {
    }

    private static final byte VERSION = 1;
    private static final int BYTES = 1 + 8 + 16 + 4;
    private static final int CHARS = (BYTES * 8 + 5) / 6;

    private Cursors() {
    }

    public static String encode(Position p) {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.put(VERSION).putLong(p.createdAtMillis());
        b.put(HexFormat.of().parseHex(p.id().replace("-", "")));
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, BYTES - 4);
        b.putInt((int) crc.getValue());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * @throws InvalidQueryException naming the cursor, the offset (for a bad character) and the rule
     */
    public static Position decode(String cursor) {
        String input = "cursor " + Checks.quote(cursor);
        if (cursor.isEmpty()) {
            throw new InvalidQueryException(input, "", "must not be empty; omit the cursor to start from the newest record");
        }
        for (int i = 0; i < cursor.length(); i++) {
            char c = cursor.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) {
                throw new InvalidQueryException(input, "offset " + i, "a cursor is base64url without padding (A-Z, a-z, 0-9, '-', '_')");
            }
        }
        if (cursor.length() != CHARS) {
            throw new InvalidQueryException(input, "", "is not a cursor issued by this store: " + cursor.length()
                    + " characters, a cursor has " + CHARS);
        }
        byte[] bytes = Base64.getUrlDecoder().decode(cursor);
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(cursor)) {
            // The last character carries two unused bits; a cursor this store issued has them zero.
            throw new InvalidQueryException(input, "offset " + (CHARS - 1), "checksum mismatch: the cursor was altered or corrupted; "
                    + "pass back a cursor exactly as a page returned it");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, BYTES - 4);
        if (b.getInt(BYTES - 4) != (int) crc.getValue()) {
            throw new InvalidQueryException(input, "", "checksum mismatch: the cursor was altered or corrupted; "
                    + "pass back a cursor exactly as a page returned it");
        }
        byte version = b.get();
        if (version != VERSION) {
            throw new InvalidQueryException(input, "", "unknown cursor version " + version + "; this store issues version " + VERSION);
        }
        long millis = b.getLong();
        byte[] uuid = new byte[16];
        b.get(uuid);
        String hex = HexFormat.of().formatHex(uuid);
        String id = hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
        if (millis < 0 || Checks.uuid7(id).isPresent()) {
            throw new InvalidQueryException(input, "", "does not name a record position (a creation time and a UUIDv7)");
        }
        return new Position(millis, id);
    }
}
