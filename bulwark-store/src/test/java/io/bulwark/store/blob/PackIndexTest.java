package io.bulwark.store.blob;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackIndexTest {

    @Test
    void aLocationCarriesItsSegmentAndOffset() {
        long l = PackIndex.location(7, 0xFFFF_FFFFL);
        assertThat(PackIndex.segment(l)).isEqualTo(7);
        assertThat(PackIndex.offset(l)).isEqualTo(0xFFFF_FFFFL);
        assertThatThrownBy(() -> PackIndex.location(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PackIndex.location(1, 1L << 32)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Random adds, replaces and removes against a plain map, with hashes drawn from a few values so that
     * probe runs are long, share slots, wrap around the table's end and are cut by removals (the
     * backward shift must keep every entry findable).
     */
    @ParameterizedTest(name = "{0} distinct hashes")
    @ValueSource(ints = {1, 3, 50, 100_000})
    void findsExactlyWhatAModelHolds(int distinctHashes) {
        Random random = new Random(4774L + distinctHashes);
        PackIndex index = new PackIndex();
        Map<Long, Long> model = new HashMap<>(); // location → hash
        List<Long> live = new ArrayList<>();
        long nextOffset = 0;
        for (int op = 0; op < 20_000; op++) {
            int what = random.nextInt(10);
            if (what < 5 || live.isEmpty()) {
                // High bits vary too: a hash's home slot is taken from both halves.
                long hash = random.nextInt(distinctHashes) * 0x9E37_79B9_7F4A_7C15L;
                long location = PackIndex.location(1 + random.nextInt(4), nextOffset++);
                index.add(hash, location);
                model.put(location, hash);
                live.add(location);
            } else if (what < 8) {
                long location = live.remove(random.nextInt(live.size()));
                assertThat(index.remove(model.remove(location), location)).isTrue();
                assertThat(index.remove(0x1234, location)).isFalse();
            } else {
                int i = random.nextInt(live.size());
                long from = live.get(i);
                long to = PackIndex.location(5, nextOffset++);
                long hash = model.remove(from);
                assertThat(index.replace(hash, from, to)).isTrue();
                assertThat(index.replace(hash, from, to)).isFalse();
                model.put(to, hash);
                live.set(i, to);
            }
            if (op % 1000 == 0 || op == 19_999) {
                assertThat(index.size()).isEqualTo(model.size());
                Map<Long, List<Long>> byHash = new HashMap<>();
                model.forEach((location, hash) -> byHash.computeIfAbsent(hash, h -> new ArrayList<>()).add(location));
                byHash.forEach((hash, locations) -> assertThat(index.find(hash)).containsExactlyInAnyOrder(locations.stream().mapToLong(Long::longValue).toArray()));
                for (long segment = 1; segment <= 5; segment++) {
                    long s = segment;
                    List<Long> in = model.keySet().stream().filter(l -> PackIndex.segment(l) == s).sorted().toList();
                    assertThat(Arrays.stream(index.entriesIn(segment)).map(e -> e[1]).toList()).containsExactlyElementsOf(in);
                    assertThat(Arrays.stream(index.locationsIn(segment)).boxed().toList()).containsExactlyElementsOf(in);
                }
            }
        }
    }
}
