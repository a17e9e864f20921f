package io.bulwark.store.site;

import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.site.Placement.Candidate;
import io.bulwark.store.site.Placement.Chosen;
import io.bulwark.store.site.Placement.Refused;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class PlacementTest {

    static Site site(String id, String provider, String jurisdiction, String operator) {
        return new Site(id, provider, jurisdiction, operator, new Site.Filesystem(Path.of("/srv", id)));
    }

    static Candidate up(Site s) {
        return new Candidate(s, true, true);
    }

    private static ResidencyPolicy policy(Set<String> in, Set<String> operator, int providers) {
        return new ResidencyPolicy(in, operator, providers);
    }

    @Test
    void choosesOneSitePerProviderInProviderOrder() {
        var sites = List.of(up(site("b-2", "beta", "DEU", "DEU")), up(site("a-2", "alpha", "FRA", "FRA")),
                up(site("a-1", "alpha", "FRA", "FRA")), up(site("c-1", "gamma", "FRA", "FRA")));
        assertThat(Placement.choose(policy(Set.of(), Set.of(), 2), sites))
                .isEqualTo(new Chosen(List.of(sites.get(2).site(), sites.get(0).site())));
    }

    @Test
    void refusalsNameTheRuleThatFailed() {
        var sites = List.of(up(site("a-1", "acme", "DEU", "DEU")), up(site("a-2", "acme", "DEU", "USA")));
        assertThat(((Refused) Placement.choose(policy(Set.of("FRA"), Set.of(), 1), sites)).toString()).isEqualTo("in=FRA: no site in FRA");
        assertThat(Placement.choose(policy(Set.of("DEU"), Set.of("FRA"), 1), sites).toString())
                .isEqualTo("operator=FRA: no site in an allowed jurisdiction has an operator from FRA");
        assertThat(Placement.choose(policy(Set.of(), Set.of(), 2), sites).toString())
                .isEqualTo("providers>=2: only 1 compliant provider is available (acme)");
        assertThat(Placement.choose(policy(Set.of(), Set.of(), 1), List.of()).toString()).isEqualTo("providers>=1: no storage site is configured");
    }

    @Test
    void aDownOrClosedProviderIsNamedAndTheRefusalIsMarkedUnavailable() {
        var sites = List.of(up(site("a-1", "acme", "FRA", "FRA")), new Candidate(site("b-1", "bigco", "FRA", "FRA"), false, true),
                new Candidate(site("c-1", "corp", "FRA", "FRA"), true, false));
        Refused r = (Refused) Placement.choose(policy(Set.of(), Set.of(), 2), sites);
        assertThat(r).hasToString("providers>=2: only 1 compliant provider is available (acme); down: bigco; not accepting writes: corp");
        assertThat(r.unavailable()).isTrue();
    }

    // --- properties over random site sets and policies ---

    private static final List<String> NATIONS = List.of("FRA", "DEU", "USA", "GBR");

    @Provide
    Arbitrary<List<Candidate>> candidates() {
        Arbitrary<Candidate> one = Combinators.combine(Arbitraries.of("alpha", "beta", "gamma", "delta"), Arbitraries.of(NATIONS),
                        Arbitraries.of(NATIONS), Arbitraries.of(true, true, false), Arbitraries.of(true, true, false))
                .as((p, j, o, up, open) -> new Candidate(site("x", p, j, o), up, open));
        return one.list().ofMaxSize(7).map(list -> {
            List<Candidate> named = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Candidate c = list.get(i);
                named.add(new Candidate(site("s-" + i, c.site().provider(), c.site().jurisdiction(), c.site().operator()), c.up(), c.acceptsWrites()));
            }
            return named;
        });
    }

    @Provide
    Arbitrary<ResidencyPolicy> policies() {
        return Combinators.combine(Arbitraries.of(NATIONS).set().ofMaxSize(3), Arbitraries.of(NATIONS).set().ofMaxSize(3), Arbitraries.integers().between(1, 4))
                .as(PlacementTest::policy);
    }

    @Property(tries = 2000)
    void aChoiceIsCompliantUsableDistinctAndExactlyTheMinimum(@ForAll("policies") ResidencyPolicy policy, @ForAll("candidates") List<Candidate> candidates) {
        List<Candidate> usable = candidates.stream()
                .filter(c -> c.up() && c.acceptsWrites() && policy.violation(c.site().jurisdiction(), c.site().operator()).isEmpty()).toList();
        long usableProviders = usable.stream().map(c -> c.site().provider()).distinct().count();
        switch (Placement.choose(policy, candidates)) {
            case Chosen(List<Site> sites) -> {
                assertThat(sites).hasSize(policy.providers());
                assertThat(sites).allSatisfy(s -> assertThat(usable).extracting(Candidate::site).contains(s));
                assertThat(sites.stream().map(Site::provider).distinct().count()).isEqualTo(sites.size());
            }
            case Refused r -> {
                // Refused exactly when no compliant choice exists.
                assertThat(usableProviders).isLessThan(policy.providers());
                assertThat(r.rule()).matches("in=.*|operator=.*|providers>=" + policy.providers());
                boolean couldEver = candidates.stream().filter(c -> policy.violation(c.site().jurisdiction(), c.site().operator()).isEmpty())
                        .map(c -> c.site().provider()).distinct().count() >= policy.providers();
                assertThat(r.unavailable()).isEqualTo(couldEver);
            }
        }
    }

    @Property(tries = 500)
    void theChoiceDoesNotDependOnTheOrderOfTheSites(@ForAll("policies") ResidencyPolicy policy, @ForAll("candidates") List<Candidate> candidates,
                                                   @ForAll long seed) {
        List<Candidate> shuffled = new ArrayList<>(candidates);
        Collections.shuffle(shuffled, new Random(seed));
        assertThat(Placement.choose(policy, shuffled)).isEqualTo(Placement.choose(policy, candidates));
    }

    /** Every acknowledged write meets its minimum, and no byte ever goes to a non-compliant site — with sites failing at random. */
    @Property(tries = 300)
    void replicatedWritesNeverTouchANonCompliantSiteAndAcknowledgeOnlyTheMinimum(
            @ForAll("policies") ResidencyPolicy policy, @ForAll("candidates") List<Candidate> candidates) {
        java.util.Map<Site, io.bulwark.store.BlobStore> stores = new java.util.LinkedHashMap<>();
        java.util.Map<String, MemoryBlobStore> byId = new java.util.HashMap<>();
        for (Candidate c : candidates) {
            MemoryBlobStore m = new MemoryBlobStore();
            m.failing = !c.up(); // "down" here means the site really fails when written
            stores.put(c.site(), m);
            byId.put(c.site().id(), m);
        }
        try (ReplicatedBlobStore replicas = new ReplicatedBlobStore(stores, new SiteHealth())) {
            candidates.stream().filter(c -> !c.acceptsWrites()).forEach(c -> replicas.closeToWrites(c.site().provider()));
            var result = replicas.put("rec", policy, ReplicatedBlobStore.Content.of(new byte[] {1, 2, 3}));
            for (Candidate c : candidates) {
                if (policy.violation(c.site().jurisdiction(), c.site().operator()).isPresent()) {
                    assertThat(byId.get(c.site().id()).putAttempts).as("writes to non-compliant " + c.site()).hasValue(0);
                }
            }
            Set<String> holding = byId.entrySet().stream().filter(e -> e.getValue().blobs.containsKey("rec")).map(java.util.Map.Entry::getKey).collect(Collectors.toSet());
            switch (result) {
                case ReplicatedBlobStore.Stored s -> {
                    assertThat(s.placements().keySet()).isEqualTo(holding);
                    assertThat(s.placements().keySet().stream().map(id -> replicas.site(id).orElseThrow().provider()).distinct().count())
                            .isGreaterThanOrEqualTo(policy.providers());
                }
                case Refused r -> assertThat(holding).as("nothing is left written after a refusal").isEmpty();
            }
        }
    }
}
