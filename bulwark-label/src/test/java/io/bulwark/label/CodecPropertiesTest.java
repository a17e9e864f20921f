package io.bulwark.label;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every codec round-trips random valid labels exactly, on random policies and on the bundled
 * ones: decode(encode(l)) = l and encode(decode(s)) = s for the canonical s, in XML, JSON and the
 * compact marking under the whole set, and in the display marking in every language of the
 * label's policy under a set holding that policy only.
 */
class CodecPropertiesTest {

    @Provide
    Arbitrary<RandomWorld> worlds() {
        return Arbitraries.longs().map(RandomWorld::new);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 100)
    void randomLabelsOfRandomPoliciesRoundTrip(@ForAll("worlds") RandomWorld world) {
        roundTrips(world.set, world.random(), 8, world.toString());
    }

    @Property(tries = 150)
    void randomLabelsOfTheBundledPoliciesRoundTrip(@ForAll("seeds") long seed) {
        roundTrips(Fixtures.DEFAULTS, new Random(seed), 4, "bundled policies, seed " + seed);
    }

    private static void roundTrips(PolicySet set, Random r, int labels, String world) {
        for (int i = 0; i < labels; i++) {
            ConfidentialityLabel full = RandomWorld.label(set, r, true);
            for (LabelFormat f : List.of(LabelFormat.XML, LabelFormat.JSON)) {
                exact(set, full, f, "", world);
            }
            ConfidentialityLabel info = RandomWorld.informationOnly(full);
            exact(set, info, LabelFormat.COMPACT, "", world);
            SecurityPolicy policy = set.policy(info.policy()).orElseThrow();
            PolicySet single = PolicySet.of(policy);
            for (String language : Fixtures.languages(policy)) {
                exact(single, info, LabelFormat.MARKING, language, world);
            }
            Statistics.label("policy").collect(info.policy());
            Statistics.label("categories").collect(info.categories().size());
            Statistics.label("alternatives").collect(!full.alternatives().isEmpty());
        }
        Statistics.label("categories").coverage(c -> {
            c.check(0).count(n -> n > 0);
            c.check(2).count(n -> n > 0);
        });
        Statistics.label("alternatives").coverage(c -> c.check(true).count(n -> n > 0));
    }

    private static void exact(PolicySet set, ConfidentialityLabel label, LabelFormat format, String language, String world) {
        String s = set.encode(label, format, language);
        ConfidentialityLabel decoded = set.decode(format, s);
        assertThat(decoded).as("decode(encode(l)) in %s [%s]: %s\n%s", format, language, s, world).isEqualTo(label);
        assertThat(set.encode(decoded, format, language)).as("encode(decode(s)) in %s [%s]\n%s", format, language, world).isEqualTo(s);
    }
}
