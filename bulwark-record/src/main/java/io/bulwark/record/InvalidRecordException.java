package io.bulwark.record;

/**
 * A sealed record or epoch-key statement that is rejected: malformed, tampered with, not bound by a
 * pinned key, or not meant for this nation. The message names the field or byte offset and the rule;
 * for cryptographic failures it says which binding failed, never which secret was wrong.
 */
public final class InvalidRecordException extends RuntimeException {

    public InvalidRecordException(String message) {
        super(message, null, false, false);
    }

    public InvalidRecordException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
