package io.bulwark.node;

/** A node home or configuration that cannot be used, with what is wrong and where. */
public final class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String message) {
        super(message, null, false, false);
    }
}
