package io.bulwark.label;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A STANAG 4774 confidentiality label: the security policy (by name), the classification (by its
 * SPIF name), an optional privacy mark, the categories, the creation and review times, and
 * alternative labels (the same object under other policies; these carry no times and no further
 * alternatives).
 *
 * <p>A value of this type is only data. {@link PolicySet#validate} checks it against its policy and
 * returns its canonical form (categories and values in policy order); every decoder returns labels
 * that are already valid and canonical.
 */
public record ConfidentialityLabel(
        String policy,
        String classification,
        Optional<String> privacyMark,
        List<Category> categories,
        Optional<Instant> creationTime,
        Optional<Instant> reviewTime,
        List<ConfidentialityLabel> alternatives) {

    public ConfidentialityLabel {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(classification, "classification");
        Objects.requireNonNull(privacyMark, "privacyMark");
        categories = List.copyOf(categories);
        Objects.requireNonNull(creationTime, "creationTime");
        Objects.requireNonNull(reviewTime, "reviewTime");
        alternatives = List.copyOf(alternatives);
    }

    /** A label with only a policy, a classification and categories. */
    public static ConfidentialityLabel of(String policy, String classification, List<Category> categories) {
        return new ConfidentialityLabel(policy, classification, Optional.empty(), categories,
                Optional.empty(), Optional.empty(), List.of());
    }

    /** This label with the given creation time. */
    public ConfidentialityLabel withCreationTime(Instant time) {
        return new ConfidentialityLabel(policy, classification, privacyMark, categories,
                Optional.of(time), reviewTime, alternatives);
    }

    /** The values of the category with this tag name, or an empty list. */
    public List<String> values(String tagName) {
        for (Category c : categories) {
            if (c.tagName().equals(tagName)) {
                return c.values();
            }
        }
        return List.of();
    }
}
