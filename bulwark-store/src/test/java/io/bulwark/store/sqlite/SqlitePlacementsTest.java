package io.bulwark.store.sqlite;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreResult;
import io.bulwark.store.TestRecords;
import io.bulwark.store.site.PlacementIndex.Replacement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The placement index in the metadata database: conditional replacement, durability, the insert that carries placements, the old file taken over. */
class SqlitePlacementsTest {

    private static final PolicySet POLICIES = PolicySet.defaults();
    private static final String SHA = "ab".repeat(32);

    @TempDir
    Path dir;

    private static BlobRef ref(String key) {
        return new BlobRef(key, 10, SHA);
    }

    @Test
    void replaceAllSwitchesExactlyTheBlobsStillAsExpectedAndKeepsThemAfterReopening() {
        Path file = dir.resolve("m.db");
        try (SqliteMetadataStore store = new SqliteMetadataStore(file)) {
            SqlitePlacements db = store.placements(POLICIES);
            db.add("k1", ResidencyPolicy.ANY, Map.of("a-1", ref("k1")));
            db.add("k2", ResidencyPolicy.ANY, Map.of("a-1", ref("k2"), "b-1", ref("k2")));
            var replaced = db.replaceAll(List.of(
                    new Replacement("k1", Map.of("a-1", ref("k1")), Map.of("b-1", ref("k1"))),
                    new Replacement("k2", Map.of("a-1", ref("k2")), Map.of("b-1", ref("k2"))), // stale: k2 is on b-1 too
                    new Replacement("gone", Map.of("a-1", ref("gone")), Map.of("b-1", ref("gone")))));
            assertThat(replaced).containsExactly("k1");
            assertThat(db.replace("k2", Map.of("a-1", ref("k2"), "b-1", ref("k2")), Map.of("b-1", ref("k2")))).isTrue();
        }
        try (SqliteMetadataStore store = new SqliteMetadataStore(file)) {
            SqlitePlacements db = store.placements(POLICIES);
            assertThat(db.get("k1").orElseThrow().placements()).containsOnlyKeys("b-1");
            assertThat(db.get("k2").orElseThrow().placements()).containsOnlyKeys("b-1");
            assertThat(db.get("k1").orElseThrow().residency()).isEqualTo(ResidencyPolicy.ANY);
            assertThat(db.get("gone")).isEmpty();
            assertThat(db.unreferencedKeys()).as("no record names them").containsExactly("k1", "k2");
            assertThat(db.totalsBySite()).containsOnlyKeys("b-1");
            assertThat(db.totalsBySite().get("b-1")).containsExactly(2, 20);
            assertThat(db.page(Set.of("b-1"), "k1", 10)).extracting(e -> e.recordId()).containsExactly("k2");
            var taken = db.take("k1").orElseThrow();
            assertThat(taken.placements()).containsOnlyKeys("b-1");
            assertThat(db.get("k1")).isEmpty();
            assertThat(db.take("k1")).isEmpty();
            // A switch that read the placements before they were taken finds them gone: it must not name its copy.
            assertThat(db.replace("k1", taken.placements(), Map.of("c-1", ref("k1")))).isFalse();
            assertThat(db.get("k1")).isEmpty();
        }
    }

    /** The record with a residency a placement can carry. */
    private static RecordMetadata inFra(RecordMetadata r) {
        return new RecordMetadata(r.id(), r.originNation(), r.originNode(), r.createdAt(), r.contentType(), r.payloadSize(),
                r.contentDigest(), r.label(), "in=FRA", r.blob(), r.retraction());
    }

    @Test
    void anInsertWithPlacementsCommitsBothAndOneThatDoesNotSucceedRecordsNone() {
        try (SqliteMetadataStore store = new SqliteMetadataStore(dir.resolve("m.db"))) {
            SqlitePlacements db = store.placements(POLICIES);
            RecordMetadata r = inFra(TestRecords.record(TestRecords.T0, new Random(1)));
            Map<String, BlobRef> sites = Map.of("a-1", r.blob(), "b-1", r.blob());
            assertThat(store.insert(r, sites).succeeded()).isTrue();
            assertThat(db.get(r.blob().key()).orElseThrow().placements()).isEqualTo(new java.util.TreeMap<>(sites));
            assertThat(store.find(r.id())).isPresent();
            assertThat(db.unreferencedKeys()).isEmpty();

            // Another publication under the same id: a conflict, and no placement is recorded for it.
            RecordMetadata other = inFra(TestRecords.record(r.id(), TestRecords.T0.plusSeconds(1), "FRA", TestRecords.label("SECRET", "FRA")));
            StoreResult<?> clash = store.insert(other, Map.of("c-1", other.blob()));
            assertThat(clash.succeeded()).isFalse();
            assertThat(db.get(r.blob().key()).orElseThrow().placements()).containsOnlyKeys("a-1", "b-1");

            // A crash after the retraction committed, before the replicas went: nothing keeps them now.
            store.retract(r.id(), new byte[] {1}, TestRecords.T0).orElseThrow();
            assertThat(db.unreferencedKeys()).containsExactly(r.blob().key());
        }
    }

    @Test
    void anOldPlacementFileIsTakenOverOnceAndDeleted() throws Exception {
        Path old = dir.resolve("placements.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            c.setAutoCommit(false);
            s.execute("CREATE TABLE placement (blob_key TEXT NOT NULL, site_id TEXT NOT NULL, residency TEXT NOT NULL, "
                    + "size INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (blob_key, site_id))");
            for (int i = 0; i < 12_000; i++) { // more than one import chunk
                s.execute("INSERT INTO placement VALUES ('k" + i + "', 'a-1', 'providers>=1', 10, '" + SHA + "')");
            }
            s.execute("INSERT INTO placement VALUES ('k0', 'b-1', 'providers>=1', 10, '" + SHA + "')");
            c.commit();
        }
        try (SqliteMetadataStore store = new SqliteMetadataStore(dir.resolve("m.db"))) {
            SqlitePlacements db = store.placements(POLICIES);
            assertThat(db.importFrom(old)).isEqualTo(12_001);
            assertThat(Files.exists(old)).isFalse();
            assertThat(db.get("k0").orElseThrow().placements()).containsOnlyKeys("a-1", "b-1");
            assertThat(db.get("k11999").orElseThrow().placements()).containsOnlyKeys("a-1");
            assertThat(db.unreferencedKeys()).hasSize(12_000);
            assertThat(db.importFrom(old)).as("nothing left to take over").isZero();
        }
    }
}
