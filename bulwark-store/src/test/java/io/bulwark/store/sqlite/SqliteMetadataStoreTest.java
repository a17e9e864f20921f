package io.bulwark.store.sqlite;

import io.bulwark.store.ChangeEntry;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.MetadataStoreContractTest;
import io.bulwark.store.StoreException;
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
