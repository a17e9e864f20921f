package io.bulwark.record;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A record's id: a UUIDv7 (RFC 9562), time-ordered by creation so that ids sort as records were
 * published, with 74 random bits.
 */
public record RecordId(UUID uuid) implements Comparable<RecordId> {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

    public RecordId {
        if (uuid.version() != 7 || uuid.variant() != 2) {
            throw new IllegalArgumentException("a record id is a UUID version 7 (RFC 9562), not " + uuid);
        }
    }

    /** A new id for a record created at {@code time}. */
    public static RecordId generate(Instant time) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long ms = time.toEpochMilli() & 0xFFFF_FFFF_FFFFL;
        long msb = (ms << 16) | 0x7000L | ((random[0] & 0x0FL) << 8) | (random[1] & 0xFFL);
        long lsb = 0x8000_0000_0000_0000L | ((random[2] & 0x3FL) << 56);
        for (int i = 3; i < 10; i++) {
            lsb |= (random[i] & 0xFFL) << (8 * (9 - i));
        }
        return new RecordId(new UUID(msb, lsb));
    }

    /** Parses the canonical text form; throws {@link IllegalArgumentException} naming the rule. */
    public static RecordId parse(String text) {
        if (text == null || !TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("a record id is a lower-case UUIDv7 such as "
                    + "0193f1c2-7a4e-7c3d-9b2a-1f0e2d3c4b5a");
        }
        return new RecordId(UUID.fromString(text));
    }

    static RecordId fromBytes(byte[] b) {
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) msb = (msb << 8) | (b[i] & 0xFF);
        for (int i = 8; i < 16; i++) lsb = (lsb << 8) | (b[i] & 0xFF);
        return new RecordId(new UUID(msb, lsb));
    }

    byte[] bytes() {
        byte[] b = new byte[16];
        long msb = uuid.getMostSignificantBits();
        long lsb = uuid.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) b[i] = (byte) (msb >>> (56 - 8 * i));
        for (int i = 0; i < 8; i++) b[8 + i] = (byte) (lsb >>> (56 - 8 * i));
        return b;
    }

    /** The creation time encoded in the id, to the millisecond. */
    public Instant time() {
        return Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16);
    }

    @Override
    public int compareTo(RecordId o) {
        int c = Long.compareUnsigned(uuid.getMostSignificantBits(), o.uuid.getMostSignificantBits());
        return c != 0 ? c : Long.compareUnsigned(uuid.getLeastSignificantBits(), o.uuid.getLeastSignificantBits());
    }

    @Override
    public String toString() {
        return uuid.toString();
    }
}
