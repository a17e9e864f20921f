package io.bulwark.node;

import io.bulwark.label.PolicySet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing invariant over random federations: 3–8 nations, each its own real node (in one JVM,
 * over loopback mutual TLS), a random peering topology and records with random labels published at
 * random origins. Once every node that may hold a record holds it, no other node holds any trace of
 * it: no row, no tombstone, no change-log entry — a node learns nothing of a record its nation may
 * not hold or that comes from a node it is not peered with (there is no forwarding).
 */
class FederationPropertyTest {

    private static final List<String> POOL = List.of("DEU", "FRA", "GBR", "USA", "ITA", "ESP", "NLD", "POL");
    private static final List<String> CLASSIFICATIONS = List.of("NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET");
    private static final PolicySet POLICIES = PolicySet.defaults();

    @Property(tries = 3, shrinking = ShrinkingMode.OFF)
    void recordsReachExactlyThePeeredNationsTheirLabelsRelease(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        List<String> nations = new ArrayList<>(POOL);
        Collections.shuffle(nations, random);
        nations = List.copyOf(nations.subList(0, 3 + random.nextInt(6)));
        Set<String> links = new HashSet<>();
        for (String a : nations) for (String b : nations) if (a.compareTo(b) < 0 && random.nextDouble() < 0.6) links.add(a + b);
        Path dir = Files.createTempDirectory("bulwark-federation-property");
        try (Federated federation = new Federated(dir, nations, (a, b) -> links.contains(a.compareTo(b) < 0 ? a + b : b + a))) {
            Map<String, Set<String>> expectedHolders = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                String origin = nations.get(random.nextInt(nations.size()));
                Set<String> released = new TreeSet<>(List.of(origin));
                for (String n : POOL) if (random.nextDouble() < 0.4) released.add(n); // nations outside the federation too
                String label = CLASSIFICATIONS.get(random.nextInt(CLASSIFICATIONS.size())) + "//REL TO " + String.join(", ", released);
                String id = federation.node(origin).records().publish(Federated.analyst(origin), label, "", "text/plain",
                        ("record " + i).getBytes(StandardCharsets.UTF_8)).id();
                var compiled = POLICIES.compile(POLICIES.decode(io.bulwark.label.LabelFormat.MARKING, label));
                Set<String> holders = new TreeSet<>(List.of(origin));
                for (String n : nations) {
                    boolean peered = links.contains(origin.compareTo(n) < 0 ? origin + n : n + origin);
                    if (peered && compiled.releasableTo(n)) holders.add(n);
                }
                expectedHolders.put(id, holders);
            }
            federation.await("every node that may hold a record holds it", Duration.ofSeconds(90), () -> expectedHolders.entrySet().stream()
                    .allMatch(e -> e.getValue().stream().allMatch(n -> federation.node(n).metadata().find(e.getKey()).isPresent())));
            Thread.sleep(1500); // anything still in flight to a node that should not get it would land by now
            for (String n : nations) {
                Set<String> seen = new TreeSet<>();
                for (var entry : federation.node(n).metadata().changesSince(0, 10_000)) seen.add(entry.recordId());
                Set<String> expected = new TreeSet<>();
                expectedHolders.forEach((id, holders) -> { if (holders.contains(n)) expected.add(id); });
                assertThat(seen).as("records %s holds (seed %d, nations %s, links %s)", n, seed, nations, links).isEqualTo(expected);
                for (String id : expectedHolders.keySet()) {
                    assertThat(federation.node(n).metadata().find(id).isPresent()).as("%s has a row for %s", n, id).isEqualTo(expected.contains(id));
                }
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) { // jqwik properties have no @TempDir
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
