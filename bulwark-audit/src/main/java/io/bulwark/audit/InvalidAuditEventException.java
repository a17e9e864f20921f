package io.bulwark.audit;

/**
 * An audit event, or a stored leaf, that breaks a rule of {@code docs/formats/audit-log.md}. The message
 * names the field, the position where one applies, and the rule.
 */
public final class InvalidAuditEventException extends RuntimeException {

    private final String field;

    public InvalidAuditEventException(String field, String rule) {
        super("audit event " + field + ": " + rule);
        this.field = field;
    }

    /** The field that broke the rule, e.g. {@code actor} or {@code details["peer"]}. */
    public String field() {
        return field;
    }
}
