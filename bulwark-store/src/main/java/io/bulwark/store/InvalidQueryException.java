package io.bulwark.store;

/** A {@link RecordQuery} parameter or a cursor that cannot be used: out of range, malformed or tampered with. */
public final class InvalidQueryException extends InvalidInputException {

    /**
     * @param input    what was refused, e.g. {@code originNation "De"}
     * @param position where in it, e.g. {@code offset 2}; empty if none
     * @param rule     the rule broken, in words
     */
    public InvalidQueryException(String input, String position, String rule) {
        super(input, position, rule);
    }
}
