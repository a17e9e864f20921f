package io.bulwark.node.identity;

import java.util.Optional;

/**
 * Bad identity input: a user, a role, a principal, a token lifetime or OIDC settings that break a
 * rule. The message names the input, the position (a field, {@code users[2].roles[0]}) and the rule.
 */
public final class InvalidIdentityException extends RuntimeException {

    private final String position;
    private final String rule;

    /**
     * @param input    what was being read, e.g. {@code "user 'alice'"} or {@code "ttl '9d'"}
     * @param position where, e.g. {@code "clearances[1]"}; empty if none
     * @param rule     the rule broken, in words
     */
    public InvalidIdentityException(String input, String position, String rule) {
        this(input, position, rule, null);
    }

    InvalidIdentityException(String input, String position, String rule, Throwable cause) {
        super(input + (position.isEmpty() ? "" : " at " + position) + ": " + rule, cause);
        this.position = position;
        this.rule = rule;
    }

    /** Where in the input the problem is, if it has a position. */
    public Optional<String> position() {
        return position.isEmpty() ? Optional.empty() : Optional.of(position);
    }

    /** The rule that was broken, in words. */
    public String rule() {
        return rule;
    }
}
