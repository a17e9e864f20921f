package io.bulwark.store;

import io.bulwark.label.PolicySet;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where the bytes of a record may lie: {@code in=EU;operator=EU;providers>=2} — allowed
 * jurisdictions, allowed operator nationalities (nations or groups), and the least number of distinct
 * providers holding a replica. Every part is optional; an empty policy allows anything.
 */
public record ResidencyPolicy(Set<String> in, Set<String> operator, int providers) {

    public static final ResidencyPolicy ANY = new ResidencyPolicy(Set.of(), Set.of(), 1);

    public ResidencyPolicy {
        in = Set.copyOf(in);
        operator = Set.copyOf(operator);
    }

    /** Parses a residency policy; the message names the part and the rule. */
    public static ResidencyPolicy parse(String text, PolicySet policies) {
        if (text == null || text.isBlank()) return ANY;
        if (text.length() > 512) throw new InvalidResidencyException(text, "residency: at most 512 characters");
        Set<String> in = Set.of();
        Set<String> operator = Set.of();
        int providers = 1;
        Set<String> seen = new LinkedHashSet<>();
        for (String raw : text.split(";", -1)) {
            String part = raw.strip();
            String key = part.startsWith("providers>=") ? "providers" : part.contains("=") ? part.substring(0, part.indexOf('=')).strip() : part;
            if (!seen.add(key)) throw new InvalidResidencyException(text, "residency: '" + key + "' is given twice");
            if (part.startsWith("in=")) {
                in = places(text, part.substring(3), "in", policies);
            } else if (part.startsWith("operator=")) {
                operator = places(text, part.substring(9), "operator", policies);
            } else if (part.startsWith("providers>=")) {
                String n = part.substring(11).strip();
                if (!n.matches("[1-9][0-9]?")) throw new InvalidResidencyException(text, "residency: providers>= takes a number from 1 to 99, not '" + n + "'");
                providers = Integer.parseInt(n);
            } else {
                throw new InvalidResidencyException(text, "residency: '" + part + "' is not in=NATIONS, operator=NATIONS or providers>=N "
                        + "(e.g. in=EU;operator=EU;providers>=2)");
            }
        }
        return new ResidencyPolicy(in, operator, providers);
    }

    private static Set<String> places(String text, String list, String part, PolicySet policies) {
        Set<String> out = new TreeSet<>();
        for (String raw : list.split(",", -1)) {
            String v = raw.strip();
            if (policies.groups().containsKey(v)) {
                out.addAll(policies.groups().get(v));
            } else if (v.matches("[A-Z]{3}")) {
                out.add(v);
            } else {
                throw new InvalidResidencyException(text, "residency: " + part + "= takes nations (ISO 3166-1 alpha-3) and groups ("
                        + String.join(", ", policies.groups().keySet()) + "); '" + v + "' is neither");
            }
        }
        return out;
    }

    /** The distinct providers among the sites that satisfy {@code in} and {@code operator}: enough for {@code providers>=}? */
    public boolean satisfiedBy(java.util.Collection<? extends Site> sites) {
        return sites.stream().filter(s -> violation(s.jurisdiction(), s.operator()).isEmpty())
                .map(Site::provider).distinct().count() >= providers;
    }

    /** Where a replica may lie, as the residency rules see it. */
    public interface Site {
        String provider();
        String jurisdiction();
        String operator();
    }

    /** The first rule a site breaks, if any. */
    public Optional<String> violation(String jurisdiction, String operatorNationality) {
        if (!in.isEmpty() && !in.contains(jurisdiction)) {
            return Optional.of("in: jurisdiction " + jurisdiction + " is not allowed");
        }
        if (!operator.isEmpty() && !operator.contains(operatorNationality)) {
            return Optional.of("operator: operator nationality " + operatorNationality + " is not allowed");
        }
        return Optional.empty();
    }

    /** The canonical text: parts in fixed order, groups expanded, nations sorted. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (!in.isEmpty()) parts.add("in=" + String.join(",", new TreeSet<>(in)));
        if (!operator.isEmpty()) parts.add("operator=" + String.join(",", new TreeSet<>(operator)));
        if (providers > 1) parts.add("providers>=" + providers);
        return String.join(";", parts);
    }
}
