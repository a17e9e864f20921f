package io.bulwark.federation;

/** A peer declaration or a peer's answer that breaks a rule; the message names the field and the rule. */
public final class InvalidPeerException extends IllegalArgumentException {

    public InvalidPeerException(String message) {
        super(message);
    }
}
