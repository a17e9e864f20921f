package io.bulwark.store;

/** A residency policy that cannot be read: an unknown part, a bad nation or group, a repeated part. */
public final class InvalidResidencyException extends InvalidInputException {

    public InvalidResidencyException(String policy, String rule) {
        super("residency '" + policy + "'", "", rule.startsWith("residency: ") ? rule.substring(11) : rule);
    }
}
