package io.bulwark.store.sqlite;

import io.bulwark.store.StoreException;
import io.bulwark.store.internal.RecordSql;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The schema and its migrations. Each migration runs in its own transaction together with the row
 * that records it in {@code schema_version}, so a crash mid-migration leaves the previous version.
 *
 * <p>The DDL keeps to standard types and syntax that PostgreSQL also accepts, except {@code BLOB}
 * (PostgreSQL: {@code BYTEA}). {@code BIGINT} rather than {@code INTEGER} for times, sizes and
 * sequence numbers, because PostgreSQL's {@code INTEGER} has 32 bits (SQLite stores both alike).
 * Documented in {@code docs/formats/store-schema.md}.
 */
final class SqliteSchema {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteSchema.class);

    record Migration(int version, String description, List<String> statements) {
    }

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "records, label values, change log, counters", List.of(
                    """
                    CREATE TABLE records (
                        id             TEXT    NOT NULL PRIMARY KEY,
                        origin_nation  TEXT    NOT NULL,
                        origin_node    TEXT    NOT NULL,
                        created_at     BIGINT  NOT NULL,
                        content_type   TEXT    NOT NULL,
                        payload_size   BIGINT  NOT NULL,
                        payload_digest TEXT    NOT NULL,
                        label_json     TEXT    NOT NULL,
                        policy         TEXT    NOT NULL,
                        classification TEXT    NOT NULL,
                        label_values   TEXT    NOT NULL,
                        residency      TEXT    NOT NULL,
                        blob_key       TEXT    NOT NULL,
                        blob_digest    TEXT    NOT NULL,
                        sealed_size    BIGINT  NOT NULL,
                        state          TEXT    NOT NULL CHECK (state IN ('ACTIVE', 'RETRACTED')),
                        retracted_at   BIGINT,
                        tombstone      BLOB,
                        CHECK ((state = 'ACTIVE' AND retracted_at IS NULL AND tombstone IS NULL)
                            OR (state = 'RETRACTED' AND retracted_at IS NOT NULL AND tombstone IS NOT NULL))
                    )""",
                    "CREATE INDEX records_newest ON records (created_at DESC, id DESC)",
                    "CREATE INDEX records_blob_key ON records (blob_key)",
                    """
                    CREATE TABLE record_label_values (
                        record_id   TEXT NOT NULL REFERENCES records (id),
                        label_value TEXT NOT NULL,
                        PRIMARY KEY (record_id, label_value)
                    )""",
                    "CREATE INDEX record_label_values_value ON record_label_values (label_value, record_id)",
                    """
                    CREATE TABLE change_log (
                        seq       BIGINT NOT NULL PRIMARY KEY,
                        record_id TEXT   NOT NULL REFERENCES records (id),
                        kind      TEXT   NOT NULL CHECK (kind IN ('PUBLISHED', 'RETRACTED', 'RELABELED')),
                        at        BIGINT NOT NULL
                    )""",
                    "CREATE INDEX change_log_record ON change_log (record_id, kind)",
                    """
                    CREATE TABLE counters (
                        name          TEXT   NOT NULL PRIMARY KEY,
                        counter_value BIGINT NOT NULL
                    )""",
                    "INSERT INTO counters (name, counter_value) VALUES ('" + RecordSql.SEQ_COUNTER + "', 0)")),
            // Placements lived in a file of their own (data/placements.db) and were committed before
            // the metadata; here a record and its placements commit together (one fsync, not two).
            new Migration(2, "placements (where each blob's replicas lie)", List.of(
                    """
                    CREATE TABLE placement (
                        blob_key  TEXT   NOT NULL,
                        site_id   TEXT   NOT NULL,
                        residency TEXT   NOT NULL,
                        size      BIGINT NOT NULL,
                        sha256    TEXT   NOT NULL,
                        PRIMARY KEY (blob_key, site_id)
                    )""",
                    "CREATE INDEX placement_site ON placement (site_id, blob_key)")),
            // Each entry keeps the label it left in force, and a relabel's the label it replaced: who
            // could read a record before a change and cannot after it learns that the record is no
            // longer theirs (GET /api/v1/changes), judged by the labels of that moment.
            new Migration(3, "the labels in force before and after each change-log entry", List.of(
                    "ALTER TABLE change_log ADD COLUMN label_json TEXT",
                    "ALTER TABLE change_log ADD COLUMN previous_label_json TEXT")));

    /** The version this code writes. */
    static final int LATEST = MIGRATIONS.getLast().version();

    private SqliteSchema() {
    }

    /** Brings the database up to {@link #LATEST}; {@code c} must not be in auto-commit mode. */
    static void migrate(Connection c, Path file, long nowMillis) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS schema_version (
                        version     BIGINT NOT NULL PRIMARY KEY,
                        description TEXT   NOT NULL,
                        applied_at  BIGINT NOT NULL
                    )""");
        }
        c.commit();
        int current = currentVersion(c);
        if (current > LATEST) {
            throw new StoreException("the metadata database " + file + " has schema version " + current
                    + ", newer than this Bulwark understands (" + LATEST + "); run a Bulwark at least as new as the one that wrote it");
        }
        for (Migration m : MIGRATIONS) {
            if (m.version() <= current) {
                continue;
            }
            try (Statement s = c.createStatement()) {
                for (String sql : m.statements()) {
                    s.execute(sql);
                }
            }
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                p.setInt(1, m.version());
                p.setString(2, m.description());
                p.setLong(3, nowMillis);
                p.executeUpdate();
            }
            c.commit();
            LOG.info("metadata database {}: applied schema migration {} ({})", file, m.version(), m.description());
        }
    }

    static int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1); // NULL (no migration yet) reads as 0
        }
    }
}
