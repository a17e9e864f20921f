package io.bulwark.audit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One security-relevant event: what happened ({@link Type}), when (to the millisecond), who did it (a
 * user or a peer), to what (a record id, a peer, ...; optional), how it ended, and a few details.
 *
 * <p>Valid by construction: the constructor enforces the limits of {@code docs/formats/audit-log.md}
 * and throws {@link InvalidAuditEventException} naming the field, position and rule. The time is
 * truncated to milliseconds, the precision of the stored form, so that an event read back equals the
 * event appended.
 *
 * @param details at most {@value #MAX_DETAILS} entries; keys {@code [a-z][a-z0-9._-]{0,63}}, values
 *                up to {@value #MAX_VALUE_LENGTH} characters; kept sorted by key
 */
public record AuditEvent(Type type, Instant time, String actor, Optional<String> subject, Outcome outcome,
                         Map<String, String> details) {

    public static final int MAX_NAME_LENGTH = 256;
    public static final int MAX_DETAILS = 32;
    public static final int MAX_VALUE_LENGTH = 1024;
    /** 9999-12-31T23:59:59.999Z: four-digit years keep every time printable as ISO 8601. */
    static final long MAX_MILLIS = 253_402_300_799_999L;
    private static final Pattern DETAIL_KEY = Pattern.compile("[a-z][a-z0-9._-]{0,63}");

    /** The kinds of event a node audits. The wire name is what the stored form carries. */
    public enum Type {
        PUBLISH("record.publish"),
        READ("record.read"),
        READ_DENIED("record.read_denied"),
        SHARED("record.shared"),
        RECEIVED("record.received"),
        REJECTED("record.rejected"),
        RELABEL("record.relabel"),
        RETRACT("record.retract"),
        AUTH_FAILED("auth.failed"),
        ADMIN("admin"),
        APPROVAL("approval");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        /** The type with this wire name. */
        public static Optional<Type> fromWireName(String name) {
            for (Type t : values()) {
                if (t.wireName.equals(name)) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }
    }

    /** How the event ended. */
    public enum Outcome {
        SUCCESS("success"),
        DENIED("denied"),
        FAILURE("failure");

        private final String wireName;

        Outcome(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static Optional<Outcome> fromWireName(String name) {
            for (Outcome o : values()) {
                if (o.wireName.equals(name)) {
                    return Optional.of(o);
                }
            }
            return Optional.empty();
        }
    }

    public AuditEvent {
        if (type == null) {
            throw new InvalidAuditEventException("type", "is required");
        }
        if (time == null) {
            throw new InvalidAuditEventException("time", "is required");
        }
        if (time.isBefore(Instant.EPOCH) || time.toEpochMilli() > MAX_MILLIS) {
            throw new InvalidAuditEventException("time", "must lie between 1970 and the end of 9999, found " + time);
        }
        time = time.truncatedTo(ChronoUnit.MILLIS);
        checkText("actor", actor, 1, MAX_NAME_LENGTH);
        Objects.requireNonNull(subject, "subject: use Optional.empty()");
        subject.ifPresent(s -> checkText("subject", s, 1, MAX_NAME_LENGTH));
        if (outcome == null) {
            throw new InvalidAuditEventException("outcome", "is required");
        }
        if (details == null) {
            throw new InvalidAuditEventException("details", "is required (may be empty)");
        }
        if (details.size() > MAX_DETAILS) {
            throw new InvalidAuditEventException("details", "at most " + MAX_DETAILS + " entries, found " + details.size());
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<String, String> e : details.entrySet()) {
            String key = e.getKey();
            if (key == null || !DETAIL_KEY.matcher(key).matches()) {
                throw new InvalidAuditEventException("details key \"" + key + "\"",
                        "must be a lower-case letter then up to 63 of [a-z0-9._-]");
            }
            checkText("details[\"" + key + "\"]", e.getValue(), 0, MAX_VALUE_LENGTH);
            sorted.put(key, e.getValue());
        }
        details = Collections.unmodifiableMap(sorted);
    }

    /** An event without subject or details. */
    public static AuditEvent of(Type type, Instant time, String actor, Outcome outcome) {
        return new AuditEvent(type, time, actor, Optional.empty(), outcome, Map.of());
    }

    /**
     * Printable Unicode only: no control characters (they would let an entry fake line breaks in a
     * SIEM or a terminal) and no unpaired surrogates (they have no UTF-8 form, so no canonical bytes).
     */
    private static void checkText(String field, String value, int min, int max) {
        if (value == null) {
            throw new InvalidAuditEventException(field, "is required");
        }
        if (value.length() < min || value.length() > max) {
            throw new InvalidAuditEventException(field, "must be " + min + " to " + max + " characters, found " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new InvalidAuditEventException(field, String.format(
                        "character %d is the control character U+%04X; control characters are not allowed", i, (int) c));
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1));
                if (!paired) {
                    throw new InvalidAuditEventException(field, String.format(
                            "character %d is an unpaired surrogate U+%04X; text must be valid Unicode", i, (int) c));
                }
                i++;
            }
        }
    }

}
