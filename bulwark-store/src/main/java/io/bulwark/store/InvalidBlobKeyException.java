package io.bulwark.store;

/** A blob key that is not a safe file and object name: only {@code [A-Za-z0-9._-]}, 1 to 200 characters, no leading dot. */
public final class InvalidBlobKeyException extends InvalidInputException {

    /**
     * @param input    what was refused, e.g. {@code originNation "De"}
     * @param position where in it, e.g. {@code offset 2}; empty if none
     * @param rule     the rule broken, in words
     */
    public InvalidBlobKeyException(String input, String position, String rule) {
        super(input, position, rule);
    }
}
