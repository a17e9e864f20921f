package io.bulwark.store;

/** A record's metadata that breaks a rule of {@link RecordMetadata} (or of its parts). */
public final class InvalidRecordException extends InvalidInputException {

    /**
     * @param input    what was refused, e.g. {@code originNation "De"}
     * @param position where in it, e.g. {@code offset 2}; empty if none
     * @param rule     the rule broken, in words
     */
    public InvalidRecordException(String input, String position, String rule) {
        super(input, position, rule);
    }
}
