package io.bulwark.store.site;

import io.bulwark.store.ResidencyPolicy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Chooses where a record's replicas go: a pure function of the residency policy and the sites'
 * state, so it can be tested exhaustively and gives the same answer for the same input.
 *
 * <h2>Rules</h2>
 * <ol>
 *   <li>Only <em>compliant</em> sites: jurisdiction in {@code in=}, operator in {@code operator=}.</li>
 *   <li>Only <em>usable</em> ones: up, and accepting writes (a provider being evacuated does not).</li>
 *   <li>One site per provider, on exactly {@code providers} distinct providers: the least that
 *       meets the policy, since every extra replica costs a write on the publish path.</li>
 *   <li>Deterministic: providers in name order, and within a provider its first site by id.</li>
 * </ol>
 * Either every rule is met or the answer is a {@link Refused} naming the rule; never a partial
 * choice.
 */
public final class Placement {

    private Placement() {
    }

    /** A site as placement sees it: its residency facts and its state now. */
    public record Candidate(Site site, boolean up, boolean acceptsWrites) {
        public Candidate {
            Objects.requireNonNull(site, "site");
        }

        boolean usable() {
            return up && acceptsWrites;
        }
    }

    /** The outcome of {@link #choose}. */
    public sealed interface Choice permits Chosen, Refused {
    }

    /** Where to write: sites on distinct providers, in deterministic order. */
    public record Chosen(List<Site> sites) implements Choice {
        public Chosen {
            sites = List.copyOf(sites);
        }
    }

    /**
     * No compliant choice exists.
     *
     * @param rule        the policy part that cannot be met, e.g. {@code in=FRA} or {@code providers>=2}
     * @param reason      why, in words, e.g. {@code only 1 compliant provider is available (acme)}
     * @param unavailable {@code true} if the configured sites could meet the policy but too many are
     *                    down or closed to writes (try again later, or add capacity); {@code false}
     *                    if no configuration of the current sites ever could
     */
    public record Refused(String rule, String reason, boolean unavailable) implements Choice, ReplicatedBlobStore.PutResult {
        public Refused {
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(reason, "reason");
        }

        /** {@code rule: reason}, e.g. {@code in=FRA: no site in FRA}. */
        @Override
        public String toString() {
            return rule + ": " + reason;
        }
    }

    /** Chooses the sites to write a record with this policy to, among these candidates. */
    public static Choice choose(ResidencyPolicy policy, Collection<Candidate> candidates) {
        List<Candidate> sorted = candidates.stream()
                .sorted(Comparator.comparing((Candidate c) -> c.site().provider()).thenComparing(c -> c.site().id()))
                .toList();
        List<Candidate> inAllowed = sorted.stream()
                .filter(c -> policy.in().isEmpty() || policy.in().contains(c.site().jurisdiction())).toList();
        if (sorted.isEmpty()) {
            return new Refused("providers>=" + policy.providers(), "no storage site is configured", false);
        }
        if (inAllowed.isEmpty()) {
            String in = String.join(",", new TreeSet<>(policy.in()));
            return new Refused("in=" + in, "no site in " + in, false);
        }
        List<Candidate> compliant = inAllowed.stream()
                .filter(c -> policy.violation(c.site().jurisdiction(), c.site().operator()).isEmpty()).toList();
        if (compliant.isEmpty()) {
            String op = String.join(",", new TreeSet<>(policy.operator()));
            return new Refused("operator=" + op, "no site in an allowed jurisdiction has an operator from " + op, false);
        }
        // First usable site of each provider, providers in name order.
        Map<String, Site> byProvider = new TreeMap<>();
        for (Candidate c : compliant) {
            if (c.usable()) byProvider.putIfAbsent(c.site().provider(), c.site());
        }
        if (byProvider.size() < policy.providers()) {
            return new Refused("providers>=" + policy.providers(), shortfall(policy, compliant, byProvider.keySet()),
                    providers(compliant).size() >= policy.providers());
        }
        return new Chosen(new ArrayList<>(byProvider.values()).subList(0, policy.providers()));
    }

    private static String shortfall(ResidencyPolicy policy, List<Candidate> compliant, Set<String> usable) {
        StringBuilder s = new StringBuilder(usable.isEmpty() ? "no compliant provider is available"
                : "only " + usable.size() + " compliant provider" + (usable.size() == 1 ? " is" : "s are") + " available (" + String.join(", ", usable) + ")");
        Set<String> down = compliant.stream().filter(c -> !c.up() && !usable.contains(c.site().provider()))
                .map(c -> c.site().provider()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> closed = compliant.stream().filter(c -> c.up() && !c.acceptsWrites() && !usable.contains(c.site().provider()))
                .map(c -> c.site().provider()).collect(Collectors.toCollection(TreeSet::new));
        closed.removeAll(down);
        if (!down.isEmpty()) s.append("; down: ").append(String.join(", ", down));
        if (!closed.isEmpty()) s.append("; not accepting writes: ").append(String.join(", ", closed));
        return s.toString();
    }

    private static Set<String> providers(List<Candidate> candidates) {
        return candidates.stream().map(c -> c.site().provider()).collect(Collectors.toCollection(TreeSet::new));
    }
}
