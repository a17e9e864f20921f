package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.site.PlacementIndex.Replacement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's placement index: conditional switches, one at a time or a batch in one transaction. */
class PlacementDbTest {

    private static final PolicySet POLICIES = PolicySet.defaults();
    private static final String SHA = "ab".repeat(32);

    @TempDir
    Path dir;

    private static BlobRef ref(String key) {
        return new BlobRef(key, 10, SHA);
    }

    @Test
    void replaceAllSwitchesExactlyTheRecordsStillAsExpectedAndKeepsThemAfterReopening() {
        Path file = dir.resolve("placements.db");
        try (PlacementDb db = new PlacementDb(file, POLICIES)) {
            db.add("k1", ResidencyPolicy.ANY, Map.of("a-1", ref("k1")));
            db.add("k2", ResidencyPolicy.ANY, Map.of("a-1", ref("k2"), "b-1", ref("k2")));
            var replaced = db.replaceAll(List.of(
                    new Replacement("k1", Map.of("a-1", ref("k1")), Map.of("b-1", ref("k1"))),
                    new Replacement("k2", Map.of("a-1", ref("k2")), Map.of("b-1", ref("k2"))), // stale: k2 is on b-1 too
                    new Replacement("gone", Map.of("a-1", ref("gone")), Map.of("b-1", ref("gone")))));
            assertThat(replaced).containsExactly("k1");
            assertThat(db.replace("k2", Map.of("a-1", ref("k2"), "b-1", ref("k2")), Map.of("b-1", ref("k2")))).isTrue();
        }
        try (PlacementDb db = new PlacementDb(file, POLICIES)) {
            assertThat(db.get("k1").orElseThrow().placements()).containsOnlyKeys("b-1");
            assertThat(db.get("k2").orElseThrow().placements()).containsOnlyKeys("b-1");
            assertThat(db.get("k1").orElseThrow().residency()).isEqualTo(ResidencyPolicy.ANY);
            assertThat(db.get("gone")).isEmpty();
        }
    }
}
