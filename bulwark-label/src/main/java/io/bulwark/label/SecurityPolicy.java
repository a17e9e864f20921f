package io.bulwark.label;

import io.bulwark.label.internal.SpifReader;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One security policy, as an Open XML SPIF 2.1 file describes it: its classifications in order, its
 * category tag sets with their values and marking data, its validity rules, its equivalences to
 * other policies, and (in Bulwark's SPIF extension {@code urn:bulwark:spif:1}) its nation groups,
 * releasability tag sets and compact marking prefixes.
 *
 * <p>Immutable; built only by {@link #fromSpif}, which checks that the file does not contradict
 * itself (duplicates, dangling references, cycles).
 *
 * @param id              the policy's object identifier, e.g. {@code 1.3.26.1.3.1}
 * @param name            the policy's name, e.g. {@code NATO}; labels name their policy by it
 * @param classifications in ascending hierarchy
 * @param tagSets         in file order, which is the canonical order of categories on a label
 * @param groups          nation groups: group name to member nations (ISO 3166-1 alpha-3)
 * @param defaultRelease  the nations or groups a label is released to when it carries no
 *                        releasability category (e.g. {@code NATO}, or the nation of a national policy)
 * @param equivalentPolicies ids of the policies that equivalences point at, to their names
 */
public record SecurityPolicy(
        String id,
        String name,
        List<Classification> classifications,
        List<TagSet> tagSets,
        Map<String, Set<String>> groups,
        Set<String> defaultRelease,
        Map<String, String> equivalentPolicies) {

    public SecurityPolicy {
        classifications = List.copyOf(classifications);
        tagSets = List.copyOf(tagSets);
        groups = Map.copyOf(groups);
        defaultRelease = Set.copyOf(defaultRelease);
        equivalentPolicies = Map.copyOf(equivalentPolicies);
    }

    /** Loads a policy from an Open XML SPIF 2.1 document; {@code source} names it in errors. */
    public static SecurityPolicy fromSpif(InputStream spif, String source) {
        return SpifReader.read(spif, source);
    }

    /** Loads a policy from the bytes of an Open XML SPIF 2.1 document. */
    public static SecurityPolicy fromSpif(byte[] spif, String source) {
        return SpifReader.read(spif, source);
    }

    public Optional<Classification> classification(String name) {
        return classifications.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public Optional<TagSet> tagSet(String name) {
        return tagSets.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** A classification level: SPIF {@code securityClassification}. */
    public record Classification(
            String name,
            int lacv,
            int hierarchy,
            Map<String, String> phrases,
            List<CategoryRef> excludedCategories,
            List<RequiredCategory> requiredCategories,
            List<Equivalence> equivalents) {

        public Classification {
            phrases = Map.copyOf(phrases);
            excludedCategories = List.copyOf(excludedCategories);
            requiredCategories = List.copyOf(requiredCategories);
            equivalents = List.copyOf(equivalents);
        }

        /** The marking phrase in this language, else in the policy's default language ({@code ""}). */
        public Optional<String> phrase(String language) {
            return Optional.ofNullable(phrases.getOrDefault(language, phrases.get("")));
        }
    }

    /** This classification is equivalent to the one with {@code lacv} in the policy {@code policyId}. */
    public record Equivalence(String policyId, int lacv) {}

    /**
     * A category tag set with its single tag (SPIF {@code securityCategoryTagSet} and its
     * {@code securityCategoryTag}).
     *
     * @param releasability  its values are nations and groups a label is released to
     * @param compactPrefix  the prefix of its segment in the compact marking, e.g. {@code REL TO}
     * @param qualifiers     marking qualifiers per language ({@code ""} = default language)
     */
    public record TagSet(
            String id,
            String name,
            CategoryType type,
            boolean singleSelection,
            List<TagValue> values,
            Map<String, MarkingQualifier> qualifiers,
            boolean releasability,
            String compactPrefix) {

        public TagSet {
            values = List.copyOf(values);
            qualifiers = Map.copyOf(qualifiers);
        }

        public Optional<TagValue> value(String name) {
            return values.stream().filter(v -> v.name().equals(name)).findFirst();
        }

        public MarkingQualifier qualifier(String language) {
            return qualifiers.getOrDefault(language, qualifiers.getOrDefault("", MarkingQualifier.NONE));
        }
    }

    /** Prefix, separator and suffix of a category's marking. */
    public record MarkingQualifier(String prefix, String separator, String suffix) {
        public static final MarkingQualifier NONE = new MarkingQualifier("", " ", "");
    }

    /** A value of a tag set: SPIF {@code tagCategory}. */
    public record TagValue(
            String name,
            long lacv,
            Map<String, String> phrases,
            Set<String> excludedClasses,
            List<CategoryRef> excludedCategories,
            List<RequiredCategory> requiredCategories,
            boolean obsolete) {

        public TagValue {
            phrases = Map.copyOf(phrases);
            excludedClasses = Set.copyOf(excludedClasses);
            excludedCategories = List.copyOf(excludedCategories);
            requiredCategories = List.copyOf(requiredCategories);
        }

        /** The marking phrase in this language, else the default one, else the value's name. */
        public String phrase(String language) {
            return phrases.getOrDefault(language, phrases.getOrDefault("", name));
        }
    }

    /** A reference to a whole tag set ({@code value} empty) or to one of its values. */
    public record CategoryRef(String tagSet, Optional<String> value) {
        @Override
        public String toString() {
            return value.map(v -> "'" + tagSet + "' " + v).orElse("'" + tagSet + "'");
        }
    }

    /** A SPIF {@code requiredCategory}: of these categories, one only / one or more / all. */
    public record RequiredCategory(Operation operation, List<CategoryRef> categories) {
        public RequiredCategory {
            categories = List.copyOf(categories);
        }

        public enum Operation { ONLY_ONE, ONE_OR_MORE, ALL }
    }
}
