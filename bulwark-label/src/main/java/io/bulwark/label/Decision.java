package io.bulwark.label;

/**
 * The outcome of an access decision with its reason, e.g. {@code DENY: clearance NATO CONFIDENTIAL
 * is below NATO SECRET}.
 */
public record Decision(boolean permitted, String reason) {

    static final Decision PERMIT = new Decision(true, "the subject's clearance, nationality and memberships satisfy the label");

    static Decision deny(String reason) {
        return new Decision(false, reason);
    }

    @Override
    public String toString() {
        return (permitted ? "PERMIT" : "DENY") + ": " + reason;
    }
}
