package io.bulwark.store;

import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.Checks.Violation;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/** Validation of record fields, raising {@link InvalidRecordException}s that name the field. */
final class Fields {

    /** 9999-12-31T23:59:59.999Z: beyond it a time is a bug, not a date. */
    static final Instant LATEST = Instant.ofEpochMilli(253_402_300_799_999L);

    private Fields() {
    }

    static String check(String field, String value, Optional<Violation> violation) {
        Objects.requireNonNull(value, field);
        violation.ifPresent(v -> {
            throw new InvalidRecordException(field + " " + Checks.quote(value), v.position(), v.rule());
        });
        return value;
    }

    static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new InvalidRecordException(field + " " + value, "", "must not be negative");
        }
        return value;
    }

    /** The time at millisecond precision (the store's resolution), between the epoch and year 9999. */
    static Instant millis(String field, Instant time) {
        Objects.requireNonNull(time, field);
        if (time.isBefore(Instant.EPOCH) || time.isAfter(LATEST)) {
            throw new InvalidRecordException(field + " " + time, "", "must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z");
        }
        return time.truncatedTo(ChronoUnit.MILLIS);
    }
}
