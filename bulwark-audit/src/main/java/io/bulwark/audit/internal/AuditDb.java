package io.bulwark.audit.internal;

import io.bulwark.audit.AuditException;
import io.bulwark.audit.SignedTreeHead;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

import org.sqlite.SQLiteConfig;

/** The audit database: connections and schema (docs/formats/audit-log.md, "Storage"). */
public final class AuditDb {

    public static final int SCHEMA_VERSION = 1;
    /**
     * Perfect subtrees of 2^4 = 16 leaves and more are kept in {@code audit_node}: about one row per 16
     * entries, and a proof then reads at most 15 leaf hashes per level below the cache.
     */
    public static final int CACHE_LEVEL = 4;

    /**
     * The subject of a stored leaf, as SQL. {@code CAST}: SQLite would take a BLOB for its binary JSONB.
     * An expression index on it serves a partner's question about one record.
     */
    public static final String SUBJECT = "json_extract(CAST(leaf AS TEXT), '$.subject')";

    private AuditDb() {}

    /** A connection with WAL and synchronous=FULL, checked: a commit returns only once it is on disk. */
    public static Connection connect(Path file, boolean readOnly) throws SQLException {
        if (readOnly && !Files.isRegularFile(file)) {
            throw new AuditException("there is no audit log at " + file);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setGetGeneratedKeys(false); // unread here; on, the driver queries last_insert_rowid() after every INSERT
        Connection c = config.createConnection("jdbc:sqlite:" + file);
        try {
            execute(c, "PRAGMA busy_timeout = 10000");
            if (!readOnly) {
                String mode = pragma(c, "PRAGMA journal_mode = WAL");
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new AuditException("the audit log " + file + " cannot use WAL mode (journal mode is " + mode
                            + "); put it on a local filesystem");
                }
            }
            execute(c, "PRAGMA synchronous = FULL");
            if (!"2".equals(pragma(c, "PRAGMA synchronous"))) {
                throw new AuditException("the audit log " + file + " refused synchronous=FULL; appends would not be durable");
            }
            if (readOnly) {
                execute(c, "PRAGMA query_only = ON");
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Creates the tables in a new file; refuses a file of another schema version. */
    public static void migrate(Connection c, Path file) throws SQLException {
        c.setAutoCommit(false);
        int version = Integer.parseInt(pragma(c, "PRAGMA user_version"));
        if (version == 0) {
            execute(c, """
                    CREATE TABLE audit_entry (
                      idx INTEGER PRIMARY KEY,
                      leaf BLOB NOT NULL,
                      leaf_hash BLOB NOT NULL)""");
            execute(c, """
                    CREATE TABLE audit_tree_head (
                      tree_size INTEGER PRIMARY KEY,
                      root_hash BLOB NOT NULL,
                      timestamp_ms INTEGER NOT NULL,
                      signature BLOB NOT NULL)""");
            execute(c, """
                    CREATE TABLE audit_node (
                      level INTEGER NOT NULL,
                      idx INTEGER NOT NULL,
                      hash BLOB NOT NULL,
                      PRIMARY KEY (level, idx)) WITHOUT ROWID""");
            execute(c, "PRAGMA user_version = " + SCHEMA_VERSION);
        } else if (version != SCHEMA_VERSION) {
            c.rollback();
            throw new AuditException("the audit log " + file + " has schema version " + version
                    + "; this version of Bulwark reads version " + SCHEMA_VERSION);
        }
        // A lookup index only (it adds no meaning to the file), so logs made before it gain it on open.
        execute(c, "CREATE INDEX IF NOT EXISTS audit_entry_subject ON audit_entry (" + SUBJECT + ")");
        c.commit();
    }

    /** The tree head of the largest tree, if any: a log signs one a second while it grows, so the others are never loaded whole. */
    public static java.util.Optional<SignedTreeHead> latestTreeHead(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT tree_size, root_hash, timestamp_ms, signature FROM audit_tree_head ORDER BY tree_size DESC LIMIT 1")) {
            return rs.next() ? java.util.Optional.of(head(rs)) : java.util.Optional.empty();
        }
    }

    /** Every tree head, smallest tree first, read as the caller goes. */
    public static final class TreeHeads implements AutoCloseable {
        private final Statement statement;
        private final ResultSet rows;
        private SignedTreeHead next;
        private SignedTreeHead last;
        private int taken;

        public TreeHeads(Connection c) throws SQLException {
            statement = c.createStatement();
            try {
                statement.setFetchSize(256);
                rows = statement.executeQuery("SELECT tree_size, root_hash, timestamp_ms, signature FROM audit_tree_head ORDER BY tree_size");
                advance();
            } catch (SQLException | RuntimeException e) {
                statement.close();
                throw e;
            }
        }

        /** The next head, not taken yet. */
        public java.util.Optional<SignedTreeHead> peek() {
            return java.util.Optional.ofNullable(next);
        }

        public SignedTreeHead take() throws SQLException {
            SignedTreeHead h = java.util.Objects.requireNonNull(next, "no head left");
            last = h;
            taken++;
            advance();
            return h;
        }

        /** How many heads were taken. */
        public int taken() {
            return taken;
        }

        /** The last head of all, reading past those not taken. */
        public java.util.Optional<SignedTreeHead> last() throws SQLException {
            while (next != null) {
                last = next;
                advance();
            }
            return java.util.Optional.ofNullable(last);
        }

        private void advance() throws SQLException {
            next = rows.next() ? head(rows) : null;
        }

        @Override
        public void close() throws SQLException {
            statement.close();
        }
    }

    public static SignedTreeHead head(ResultSet rs) throws SQLException {
        byte[] root = rs.getBytes(2);
        if (root == null || root.length != Hashes.LENGTH) {
            root = new byte[Hashes.LENGTH]; // a damaged head is reported by the verifier, not here
        }
        byte[] signature = rs.getBytes(4);
        return new SignedTreeHead(rs.getLong(1), root, Instant.ofEpochMilli(rs.getLong(3)),
                signature == null ? new byte[0] : signature);
    }

    public static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String pragma(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    /** Reads perfect-subtree hashes for proofs: cached nodes, or leaf hashes below the cache. */
    public static final class HashReader implements Proofs.Source, AutoCloseable {
        private final PreparedStatement node;
        private final PreparedStatement leaves;

        public HashReader(Connection c) throws SQLException {
            node = c.prepareStatement("SELECT hash FROM audit_node WHERE level = ? AND idx = ?");
            leaves = c.prepareStatement("SELECT leaf_hash FROM audit_entry WHERE idx >= ? AND idx < ? ORDER BY idx");
        }

        @Override
        public byte[] perfect(int level, long index) {
            try {
                if (level < CACHE_LEVEL) {
                    return fromLeaves(level, index);
                }
                node.setInt(1, level);
                node.setLong(2, index);
                try (ResultSet rs = node.executeQuery()) {
                    if (rs.next()) {
                        return rs.getBytes(1);
                    }
                }
                // Not cached (a cache row lost): derive it; the proof is checked by its recipient anyway.
                return Hashes.node(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1));
            } catch (SQLException e) {
                throw new AuditException("could not read the audit log's hashes", e);
            }
        }

        private byte[] fromLeaves(int level, long index) throws SQLException {
            int n = 1 << level;
            byte[][] hashes = new byte[n][];
            leaves.setLong(1, index << level);
            leaves.setLong(2, (index + 1) << level);
            int i = 0;
            try (ResultSet rs = leaves.executeQuery()) {
                while (rs.next() && i < n) {
                    hashes[i++] = rs.getBytes(1);
                }
            }
            if (i != n) {
                throw new AuditException("the audit log lacks entries from " + (index << level) + " to "
                        + (((index + 1) << level) - 1) + ": run bulwark audit verify");
            }
            for (; n > 1; n /= 2) {
                for (int j = 0; j < n / 2; j++) {
                    hashes[j] = Hashes.node(hashes[2 * j], hashes[2 * j + 1]);
                }
            }
            return hashes[0];
        }

        @Override
        public void close() throws SQLException {
            node.close();
            leaves.close();
        }
    }
}
