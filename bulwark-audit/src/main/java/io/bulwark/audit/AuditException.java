package io.bulwark.audit;

/**
 * An infrastructure fault of the audit log: the database or the filesystem failed, signing failed, or
 * the log is closed. The message says what the log was doing; the cause, if any, is for the logs.
 */
public final class AuditException extends RuntimeException {

    public AuditException(String message) {
        super(message);
    }

    public AuditException(String message, Throwable cause) {
        super(message, cause);
    }
}
