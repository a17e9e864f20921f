package io.bulwark.store;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A record's retraction: when it was retracted, and the signed tombstone that proves it. The
 * tombstone is opaque to the store (the node verifies and produces it).
 *
 * <p>Equality compares the tombstone's bytes; the array is copied in and out so the value stays
 * immutable.
 *
 * @param at        when the record was retracted (millisecond precision)
 * @param tombstone the signed tombstone, non-empty
 */
public record Retraction(Instant at, byte[] tombstone) {

    public Retraction {
        at = Fields.millis("retractedAt", at);
        if (tombstone.length == 0) {
            throw new InvalidRecordException("tombstone", "", "must not be empty: a retraction carries its signed tombstone");
        }
        tombstone = tombstone.clone();
    }

    @Override
    public byte[] tombstone() {
        return tombstone.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Retraction r && at.equals(r.at) && Arrays.equals(tombstone, r.tombstone);
    }

    @Override
    public int hashCode() {
        return 31 * at.hashCode() + Arrays.hashCode(tombstone);
    }

    @Override
    public String toString() {
        String head = HexFormat.of().formatHex(tombstone, 0, Math.min(8, tombstone.length));
        return "Retraction[at=" + at + ", tombstone=" + tombstone.length + " bytes " + head + "…]";
    }
}
