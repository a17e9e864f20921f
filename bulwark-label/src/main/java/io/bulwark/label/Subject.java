package io.bulwark.label;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who asks: nationality (ISO 3166-1 alpha-3), clearances (at most one per policy), and the
 * restrictive category values held — communities of interest such as {@code ISR}, and other
 * restrictive values such as {@code ATOMAL}.
 */
public record Subject(String nationality, List<Clearance> clearances, Set<String> cois) {

    public Subject {
        Objects.requireNonNull(nationality, "nationality");
        clearances = List.copyOf(clearances);
        cois = Set.copyOf(cois);
    }

    /** A clearance: the highest classification of a policy the subject may see. */
    public record Clearance(String policy, String classification) {
        public Clearance {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(classification, "classification");
        }
    }
}
