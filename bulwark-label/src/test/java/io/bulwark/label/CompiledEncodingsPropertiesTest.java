package io.bulwark.label;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The encodings a compiled label keeps, and those {@link PolicySet#encode} answers from it, are
 * exactly what validating and encoding afresh gives — on a policy set that has never compiled the
 * label — for the label as given and for its compiled (canonical) form, as the sealer used to
 * encode it. Sealed bytes depend on this.
 */
class CompiledEncodingsPropertiesTest {

    @Provide
    Arbitrary<RandomWorld> worlds() {
        return Arbitraries.longs().map(RandomWorld::new);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 100)
    void randomPolicies(@ForAll("worlds") RandomWorld world) {
        check(world.set, world.random());
    }

    @Property(tries = 100)
    void bundledPolicies(@ForAll("seeds") long seed) {
        check(Fixtures.DEFAULTS, new Random(seed));
    }

    private static void check(PolicySet set, Random r) {
        for (int i = 0; i < 4; i++) {
            ConfidentialityLabel full = RandomWorld.label(set, r, true);
            String json = PolicySet.of(set.policies()).encode(full, LabelFormat.JSON);
            CompiledLabel compiled = set.compile(full);
            assertThat(compiled.json()).isEqualTo(json);
            assertThat(set.encode(full, LabelFormat.JSON)).isEqualTo(json);
            assertThat(set.encode(compiled.label(), LabelFormat.JSON)).isEqualTo(json);
            assertThat(PolicySet.of(set.policies()).encode(compiled.label(), LabelFormat.JSON)).isEqualTo(json);

            ConfidentialityLabel info = RandomWorld.informationOnly(full);
            String marking = PolicySet.of(set.policies()).canonicalMarking(info);
            assertThat(set.compile(info).canonicalMarking()).isEqualTo(marking);
            assertThat(set.canonicalMarking(info)).isEqualTo(marking);
        }
    }
}
