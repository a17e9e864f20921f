package io.bulwark.label;

/** A security policy file (Open XML SPIF) that cannot be read or that contradicts itself. */
public final class InvalidPolicyException extends LabelError {

    /**
     * @param input    the policy source, e.g. a file name
     * @param position the element, e.g. {@code securityCategoryTagSet[name=Releasable To]/.../tagCategory[name=DEU]}
     * @param rule     the rule broken, in words
     */
    public InvalidPolicyException(String input, String position, String rule) {
        super(input, position, rule);
    }
}
