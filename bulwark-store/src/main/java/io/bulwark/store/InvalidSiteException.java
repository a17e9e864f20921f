package io.bulwark.store;

/** A storage site that breaks a rule: a bad id, nation, endpoint, bucket or credentials file. The message names the field and the rule. */
public final class InvalidSiteException extends InvalidInputException {

    /**
     * @param field the field refused, e.g. {@code site "fra-1" bucket "A_B"}
     * @param rule  the rule broken, in words
     */
    public InvalidSiteException(String field, String rule) {
        super(field, "", rule);
    }
}
