package io.bulwark.store.sqlite;

import io.bulwark.store.ChangeEntry;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.MetadataStoreContractTest;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.TestRecords;
import io.bulwark.store.StoreException;
import io.bulwark.store.internal.RecordSql;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metadata store contract on a real SQLite file, plus what is particular to SQLite. */
class SqliteMetadataStoreTest extends MetadataStoreContractTest {

    static final String FILE = "metadata.db";

    @Override
    protected MetadataStore open(Path dir) {
        return new SqliteMetadataStore(dir.resolve(FILE));
    }

    @Nested
    class Sqlite {

        @Test
        void theFileIsInWalMode() throws SQLException {
            assertThat(query(dir.resolve(FILE), "PRAGMA journal_mode")).isEqualTo("wal");
        }

        @Test
        void theSchemaVersionIsRecorded() throws SQLException {
            assertThat(query(dir.resolve(FILE), "SELECT MAX(version) FROM schema_version"))
                    .isEqualTo(String.valueOf(SqliteSchema.LATEST));
        }

        @Test
        void reopeningDoesNotMigrateAgain() throws SQLException {
            reopen();
            assertThat(query(dir.resolve(FILE), "SELECT COUNT(*) FROM schema_version"))
                    .isEqualTo(String.valueOf(SqliteSchema.MIGRATIONS.size()));
        }

        @Test
        void changeLogEntriesCarryTheCommitTimeFromTheClock() {
            Instant now = Instant.parse("2026-11-26T12:34:56.789Z");
            Path other = dir.resolve("clocked");
            try (SqliteMetadataStore s = new SqliteMetadataStore(other.resolve(FILE), Clock.fixed(now, ZoneOffset.UTC))) {
                s.insert(newRecord()).orElseThrow();
                assertThat(s.changesSince(0, 1)).extracting(ChangeEntry::at).containsExactly(now);
            }
        }

        @Test
        void aVersion2DatabaseGainsTheLabelColumnsAndKeepsItsLog() throws SQLException {
            RecordMetadata r = newRecord();
            store.insert(r).orElseThrow();
            store.relabel(r.id(), TestRecords.label("CONFIDENTIAL", "DEU"), r.blob(), r.contentDigest()).orElseThrow();
            store.close();
            // The database as version 2 left it: no column, no row for migration 3.
            execute(dir.resolve(FILE), "ALTER TABLE change_log DROP COLUMN previous_label_json");
            execute(dir.resolve(FILE), "ALTER TABLE change_log DROP COLUMN label_json");
            execute(dir.resolve(FILE), "DELETE FROM schema_version WHERE version = 3");

            store = open(dir);

            assertThat(query(dir.resolve(FILE), "SELECT MAX(version) FROM schema_version")).isEqualTo("3");
            assertThat(store.recordChangesSince(0, 10)).extracting(c -> c.label().isPresent() || c.previousLabel().isPresent())
                    .as("entries from before the migration have no labels").containsExactly(false, false);
            store.relabel(r.id(), r.label(), r.blob(), r.contentDigest()).orElseThrow();
            assertThat(store.recordChangesSince(0, 10).getLast().previousLabel())
                    .contains(TestRecords.label("CONFIDENTIAL", "DEU").json());
        }

        @Test
        void aDatabaseWithANewerSchemaIsRefusedWithAPreciseMessage() throws SQLException {
            store.close();
            execute(dir.resolve(FILE), "INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'future', 0)");

            assertThatThrownBy(() -> open(dir))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("schema version 99")
                    .hasMessageContaining("newer than this Bulwark");
            store = open(dir.resolve("fresh")); // for @AfterEach
        }

        @Test
        void aFileThatIsNotADatabaseIsAStoreExceptionWithoutSql() throws Exception {
            Path junk = dir.resolve("junk");
            Files.createDirectories(junk);
            Files.writeString(junk.resolve(FILE), "this is not a database, just text ".repeat(200));

            assertThatThrownBy(() -> open(junk))
                    .isInstanceOf(StoreException.class)
                    .hasMessageStartingWith("could not open the metadata database")
                    .hasMessageNotContaining("SELECT")
                    .hasMessageNotContaining("CREATE");
        }

        @Test
        void theOriginReadIsServedByThePrimaryKeys() throws SQLException {
            // A feed reads it every round and peer status every 2 s: a full scan of either table would grow with the log.
            List<String> span = plan(RecordSql.SPAN, 0L, 1000);
            assertThat(span).anySatisfy(step -> assertThat(step).startsWith("SEARCH change_log USING COVERING INDEX").endsWith("(seq>?)"));
            List<String> changes = plan(RecordSql.ORIGIN_CHANGES, 0L, 1000L, "DEU", "node-deu");
            assertThat(changes).containsExactly("SEARCH c USING INDEX sqlite_autoindex_change_log_1 (seq>? AND seq<?)",
                    "SEARCH r USING INDEX sqlite_autoindex_records_1 (id=?)");
        }

        private List<String> plan(String sql, Object... args) throws SQLException {
            List<String> plan = new ArrayList<>();
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(FILE));
                 var s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
                for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) plan.add(rs.getString("detail"));
                }
            }
            return plan;
        }

        @Test
        void aRowEditedBehindTheStoresBackIsAFaultNotAnIllegalArgument() throws SQLException {
            var r = newRecord();
            store.insert(r).orElseThrow();
            execute(dir.resolve(FILE), "UPDATE records SET origin_nation = 'germany' WHERE id = '" + r.id() + "'");

            assertThatThrownBy(() -> store.find(r.id()))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining(r.id())
                    .hasMessageContaining("malformed");
        }
    }

    @Nested
    class Faults {

        @Test
        void aWriteThatFaultsFailsAloneWithoutSqlAndLeavesNoTraceWhileItsBatchCommits() throws Exception {
            // SQLite-specific syntax is fine here: it only injects a fault for the test.
            execute(dir.resolve(FILE), "CREATE TRIGGER injected_fault BEFORE INSERT ON records WHEN NEW.origin_nation = 'FRA' "
                    + "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
            List<RecordMetadata> deu = new ArrayList<>();
            List<RecordMetadata> fra = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                deu.add(TestRecords.record(TestRecords.uuid7(1_000 + i, random), Instant.ofEpochMilli(1_000 + i), "DEU", TestRecords.label("SECRET")));
                fra.add(TestRecords.record(TestRecords.uuid7(2_000 + i, random), Instant.ofEpochMilli(2_000 + i), "FRA", TestRecords.label("SECRET")));
            }
            List<Callable<Object>> calls = new ArrayList<>();
            Map<String, Long> receipts = new ConcurrentHashMap<>();
            for (int i = 0; i < 50; i++) {
                RecordMetadata d = deu.get(i);
                RecordMetadata f = fra.get(i);
                calls.add(() -> receipts.put(d.id(), store.insert(d).orElseThrow().seq()));
                calls.add(() -> {
                    StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, () -> store.insert(f));
                    assertThat(e).hasMessageStartingWith("could not insert record " + f.id()).hasMessageNotContaining("INSERT");
                    return e;
                });
            }
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Future<Object> result : threads.invokeAll(calls)) {
                    result.get();
                }
            }

            for (RecordMetadata r : deu) {
                assertThat(store.find(r.id())).contains(r);
            }
            for (RecordMetadata r : fra) {
                assertThat(store.find(r.id())).isEmpty();
            }
            List<ChangeEntry> log = store.changesSince(0, 1000);
            assertThat(log).extracting(ChangeEntry::recordId).containsExactlyInAnyOrderElementsOf(deu.stream().map(RecordMetadata::id).toList());
            assertThat(log).extracting(ChangeEntry::seq).containsExactly(LongStream.rangeClosed(1, 50).boxed().toArray(Long[]::new));
            // A batch with a fault runs again after a rollback: each caller gets the seq of the run that committed.
            assertThat(receipts).containsExactlyInAnyOrderEntriesOf(
                    log.stream().collect(java.util.stream.Collectors.toMap(ChangeEntry::recordId, ChangeEntry::seq)));
        }
    }

    static String query(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void execute(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
