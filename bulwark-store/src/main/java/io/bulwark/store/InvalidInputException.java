package io.bulwark.store;

import java.util.Optional;

/**
 * Input the store refuses: a malformed record field, query parameter, cursor or blob key. Raised
 * before anything is written, so bad input never half-applies.
 *
 * <p>The message names the input, the position within it (when there is one, e.g. {@code offset
 * 3}) and the rule that was broken.
 */
public abstract sealed class InvalidInputException extends IllegalArgumentException
        permits InvalidRecordException, InvalidQueryException, InvalidBlobKeyException, InvalidResidencyException,
        InvalidSiteException {

    private final String input;
    private final String position;
    private final String rule;

    InvalidInputException(String input, String position, String rule) {
        super(input + (position.isEmpty() ? "" : " at " + position) + ": " + rule);
        this.input = input;
        this.position = position;
        this.rule = rule;
    }

    /** What was refused, e.g. {@code cursor "AAE…"} or {@code blob key "../etc"}. */
    public String input() {
        return input;
    }

    /** Where in the input the problem is, if it has a position (e.g. {@code offset 3}). */
    public Optional<String> position() {
        return position.isEmpty() ? Optional.empty() : Optional.of(position);
    }

    /** The rule that was broken, in words. */
    public String rule() {
        return rule;
    }
}
