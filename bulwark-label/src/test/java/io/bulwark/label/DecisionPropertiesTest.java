package io.bulwark.label;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compiled decision (bitsets) equals the plain {@link ReferenceDecider} on random policies,
 * random valid labels and random subjects, and on the bundled policies; decide() agrees with
 * permits(); releasableTo and releasableNations agree with the reference.
 */
class DecisionPropertiesTest {

    @Provide
    Arbitrary<RandomWorld> worlds() {
        return Arbitraries.longs().map(RandomWorld::new);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 100)
    void compiledDecisionEqualsTheReferenceOnRandomPolicies(@ForAll("worlds") RandomWorld world) {
        checkAgainstReference(world.set, world.random(), 10, world.toString());
    }

    @Property(tries = 100)
    void compiledDecisionEqualsTheReferenceOnTheBundledPolicies(@ForAll("seeds") long seed) {
        checkAgainstReference(Fixtures.DEFAULTS, new Random(seed), 6, "bundled policies, seed " + seed);
    }

    private static void checkAgainstReference(PolicySet set, Random r, int labels, String world) {
        ReferenceDecider reference = new ReferenceDecider(set.policies());
        for (int i = 0; i < labels; i++) {
            ConfidentialityLabel label = RandomWorld.label(set, r, false);
            CompiledLabel compiled = set.compile(label);
            String marking = set.canonicalMarking(label);
            Set<String> releasable = reference.releasableNations(label);
            assertThat(compiled.releasableNations()).as("releasable nations of %s in %s", marking, world).isEqualTo(releasable);
            for (String nation : RandomWorld.nations(set)) {
                assertThat(compiled.releasableTo(nation)).as("%s releasable to %s in %s", marking, nation, world)
                        .isEqualTo(releasable.contains(nation));
            }
            assertThat(compiled.releasableTo("ZZZ")).isFalse();
            for (int j = 0; j < 16; j++) {
                Subject subject = j % 2 == 0 ? RandomWorld.subject(set, r) : RandomWorld.nearSubject(set, label, releasable, r);
                CompiledSubject cs = set.compile(subject);
                boolean expected = reference.permits(label, subject);
                boolean actual = compiled.permits(cs);
                assertThat(actual).as("%s for %s in %s", marking, subject, world).isEqualTo(expected);
                Decision d = compiled.decide(cs);
                assertThat(d.permitted()).as("decide() of %s for %s: %s", marking, subject, d).isEqualTo(actual);
                assertThat(d.reason()).isNotBlank();
                Statistics.label("decision").collect(expected ? "PERMIT" : "DENY");
                if (!expected) Statistics.label("deny reason").collect(reason(reference, label, subject));
            }
        }
        Statistics.label("decision").coverage(c -> {
            c.check("PERMIT").percentage(p -> p > 10);
            c.check("DENY").percentage(p -> p > 10);
        });
        Statistics.label("deny reason").coverage(c -> {
            c.check("clearance").count(n -> n > 0);
            c.check("restrictive").count(n -> n > 0);
            c.check("release").count(n -> n > 0);
        });
    }

    private static String reason(ReferenceDecider reference, ConfidentialityLabel label, Subject subject) {
        if (!reference.cleared(label, subject)) return "clearance";
        if (!reference.inAllRestrictive(label, subject)) return "restrictive";
        return "release";
    }
}
