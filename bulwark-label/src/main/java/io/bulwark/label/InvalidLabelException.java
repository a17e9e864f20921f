package io.bulwark.label;

/** A label that cannot be read, or that breaks a rule of its security policy. */
public final class InvalidLabelException extends LabelError {

    /**
     * @param input    what was being read, e.g. {@code "label (compact marking)"}
     * @param position where, e.g. {@code "offset 12"} or {@code "$.categories[1].values[0]"}; empty if none
     * @param rule     the rule broken, in words
     */
    public InvalidLabelException(String input, String position, String rule) {
        super(input, position, rule);
    }
}
