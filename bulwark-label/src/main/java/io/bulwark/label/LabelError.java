package io.bulwark.label;

import java.util.Optional;

/**
 * The one kind of error the label library raises for bad input: a policy file or a label that is
 * malformed or breaks a rule. Whatever the input, no parser in this library lets any other
 * exception escape.
 *
 * <p>The message always names the input, the position (a line and column, a JSON path, an XML
 * element, a character offset) and the rule that was broken.
 */
public abstract sealed class LabelError extends RuntimeException permits InvalidLabelException, InvalidPolicyException {

    private final String position;
    private final String rule;

    LabelError(String input, String position, String rule) {
        super(input + (position.isEmpty() ? "" : " at " + position) + ": " + rule);
        this.position = position;
        this.rule = rule;
    }

    /** Where in the input the problem is, if it has a position (e.g. {@code line 3, column 7}). */
    public Optional<String> position() {
        return position.isEmpty() ? Optional.empty() : Optional.of(position);
    }

    /** The rule that was broken, in words. */
    public String rule() {
        return rule;
    }
}
