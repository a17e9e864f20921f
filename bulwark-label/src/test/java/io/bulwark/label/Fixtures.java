package io.bulwark.label;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Shared test fixtures: the bundled policies (loaded once) and small builders. */
final class Fixtures {

    static final PolicySet DEFAULTS = PolicySet.defaults();

    private Fixtures() {}

    /** A label from its compact marking under the bundled policies. */
    static ConfidentialityLabel compact(String marking) {
        return DEFAULTS.decode(LabelFormat.COMPACT, marking);
    }

    static Category permissive(String tag, String... values) {
        return new Category(CategoryType.PERMISSIVE, tag, List.of(values));
    }

    static Category restrictive(String tag, String... values) {
        return new Category(CategoryType.RESTRICTIVE, tag, List.of(values));
    }

    static Category informative(String tag, String... values) {
        return new Category(CategoryType.INFORMATIVE, tag, List.of(values));
    }

    /** A subject with clearances written as in markings ("NATO SECRET", "GEHEIM", "FRA SECRET"). */
    static Subject subject(String nationality, List<String> clearances, String... cois) {
        List<Subject.Clearance> parsed = new ArrayList<>();
        clearances.forEach(c -> parsed.add(DEFAULTS.parseClassification(c)));
        return new Subject(nationality, parsed, Set.of(cois));
    }

    static Subject subject(String nationality, String clearance, String... cois) {
        return subject(nationality, List.of(clearance), cois);
    }

    /** The languages a policy defines markings in: "" (its default) and every xml:lang of a phrase or qualifier. */
    static Set<String> languages(SecurityPolicy policy) {
        Set<String> out = new TreeSet<>();
        out.add("");
        policy.classifications().forEach(c -> out.addAll(c.phrases().keySet()));
        policy.tagSets().forEach(t -> {
            out.addAll(t.qualifiers().keySet());
            t.values().forEach(v -> out.addAll(v.phrases().keySet()));
        });
        return out;
    }
}
