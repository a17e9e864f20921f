package io.bulwark.federation;

import io.bulwark.crypto.KeyId;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * What federation remembers, in its own SQLite file ({@code data/federation.db}, WAL, synchronous
 * FULL): each peer's pinned identity, how far each peer has acknowledged this node's feed, which
 * records each peer was sent (so retractions and withdrawals reach exactly those), the withdrawals
 * and retractions each peer has still to confirm, this node's own cursor at each peer, and the own
 * records a feed passed over because the policies could not read them.
 *
 * <p>Thread-safe (one connection, serialised).
 */
public final class FederationState implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FederationState.class);

    /** Holdings and pins must survive power loss (a retraction must reach every holder); FULL. */
    private final Connection durable;
    /** Acknowledgements and cursors may roll back on power loss — the peer re-acknowledges, the feed redelivers (idempotent); NORMAL. */
    private final Connection relaxed;

    /** How far a peer has acknowledged this node's feed. */
    public record Outbound(long ackedSeq, Optional<Instant> ackedAt) {}

    /** This node's position in a peer's feed and what came of it. */
    public record Inbound(String cursor, long received, long rejected, Optional<Instant> deliveredAt,
                          Optional<String> lastError, Optional<Instant> lastErrorAt) {}

    /** A withdrawal (relabel dropped the nation) or retraction a peer holding the record has to confirm. */
    public record Confirmation(String recordId, String fingerprint, String nation, String kind, long seq,
                               Instant requestedAt, Optional<Instant> confirmedAt) {}

    public FederationState(Path file) {
        try {
            durable = open(file, "FULL");
            relaxed = open(file, "NORMAL");
            try (Statement s = durable.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS peer_identity (fingerprint TEXT PRIMARY KEY, nation TEXT NOT NULL, "
                        + "node TEXT NOT NULL, identity BLOB NOT NULL, pinned_at BIGINT NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS outbound (fingerprint TEXT PRIMARY KEY, acked_seq BIGINT NOT NULL, acked_at BIGINT)");
                s.execute("CREATE TABLE IF NOT EXISTS inbound (fingerprint TEXT PRIMARY KEY, cursor TEXT NOT NULL, "
                        + "received BIGINT NOT NULL, rejected BIGINT NOT NULL, delivered_at BIGINT, last_error TEXT, last_error_at BIGINT)");
                s.execute("CREATE TABLE IF NOT EXISTS holdings (fingerprint TEXT NOT NULL, record_id TEXT NOT NULL, "
                        + "PRIMARY KEY (fingerprint, record_id))");
                // A holding a response took away (a retraction, a withdrawal): dropped once the peer acknowledges up to seq.
                s.execute("CREATE TABLE IF NOT EXISTS pending_drops (fingerprint TEXT NOT NULL, record_id TEXT NOT NULL, "
                        + "seq BIGINT NOT NULL, PRIMARY KEY (fingerprint, record_id))");
                s.execute("CREATE TABLE IF NOT EXISTS confirmations (record_id TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                        + "nation TEXT NOT NULL, kind TEXT NOT NULL, seq BIGINT NOT NULL, requested_at BIGINT NOT NULL, "
                        + "confirmed_at BIGINT, PRIMARY KEY (record_id, fingerprint, seq))");
                // Holdings and confirmations grow with every record sent and every retraction; these
                // keep the statements that run per retraction, per acknowledgement (every feed request)
                // and per listing from scanning them: holders(), acknowledge() and passOn(), confirmations().
                if (!indexExists(s, "holdings_record")) {
                    // Built once, on the first start of this version: seconds per million holdings.
                    LOG.info("federation state {}: indexing holdings by record (once)", file);
                    s.execute("CREATE INDEX holdings_record ON holdings (record_id, fingerprint)");
                    LOG.info("federation state {}: holdings indexed", file);
                }
                // The KEM keys each pinned peer is known to have had (its identity names only the current one and
                // those its rotations moved to): epoch statements made for any of them open at the peer.
                s.execute("CREATE TABLE IF NOT EXISTS peer_kem_keys (fingerprint TEXT NOT NULL, kem_key_id BIGINT NOT NULL, "
                        + "PRIMARY KEY (fingerprint, kem_key_id))");
                // Own records a feed passed over because this node's policies could not read their label or residency.
                s.execute("CREATE TABLE IF NOT EXISTS passed_over (record_id TEXT PRIMARY KEY, at BIGINT NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS confirmations_open ON confirmations (fingerprint, seq) WHERE confirmed_at IS NULL");
                s.execute("CREATE INDEX IF NOT EXISTS confirmations_newest ON confirmations (seq DESC, nation)");
            }
            durable.setAutoCommit(false);
            relaxed.setAutoCommit(false);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the federation state " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean indexExists(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = '" + name + "'")) {
            return rs.next();
        }
    }

    private static Connection open(Path file, String synchronous) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setGetGeneratedKeys(false); // unread here; on, the driver queries last_insert_rowid() after every INSERT
        Connection c = config.createConnection("jdbc:sqlite:" + file);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=" + synchronous);
            s.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T tx(String what, Work<T> work) {
        return tx(durable, what, work);
    }

    private <T> T relaxedTx(String what, Work<T> work) {
        return tx(relaxed, what, work);
    }

    private synchronized <T> T tx(Connection c, String what, Work<T> work) {
        try {
            T t = work.run(c);
            c.commit();
            return t;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the original error says more
            }
            throw new IllegalStateException("federation state: cannot " + what + ": " + e.getMessage(), e);
        }
    }

    // ---- identities ----------------------------------------------------------------------------

    /** A pinned identity as signed, when it was first pinned, and the ids of every KEM key noted for it. */
    public record Pinned(byte[] wire, Instant pinnedAt, Set<KeyId> kemKeys) {}

    public Optional<Pinned> pinnedIdentity(String fingerprint) {
        return tx("read a pinned identity", c -> {
            // An empty identity is one forgotten when its peer was removed: the row keeps only its nation.
            try (PreparedStatement s = c.prepareStatement("SELECT identity, pinned_at FROM peer_identity WHERE fingerprint = ? "
                    + "AND length(identity) > 0")) {
                s.setString(1, fingerprint);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    return Optional.of(new Pinned(rs.getBytes(1), Instant.ofEpochMilli(rs.getLong(2)), kemKeys(c, fingerprint)));
                }
            }
        });
    }

    private static Set<KeyId> kemKeys(Connection c, String fingerprint) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT kem_key_id FROM peer_kem_keys WHERE fingerprint = ?")) {
            s.setString(1, fingerprint);
            Set<KeyId> out = new java.util.HashSet<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) out.add(new KeyId(rs.getLong(1)));
            }
            return out;
        }
    }

    /** Fingerprint → nation of every identity pinned and not forgotten. */
    public Map<String, String> pinnedNations() {
        return tx("read the pinned identities", c -> {
            Map<String, String> out = new java.util.HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT fingerprint, nation FROM peer_identity WHERE length(identity) > 0");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), rs.getString(2));
            }
            return out;
        });
    }

    /**
     * Pins a peer's identity. A nation has one peer: what this node noted for an earlier certificate
     * of the same nation (a renewed TLS key, a re-added node) — which records it holds, the drops and
     * confirmations it owes — passes to this one, so a retraction or withdrawal still reaches the
     * records it was sent. Returns how many holdings passed over.
     */
    public int pinIdentity(String fingerprint, String nation, String node, byte[] wire, Set<KeyId> kemKeys, Instant now) {
        return tx("pin an identity", c -> {
            List<String> earlier = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT fingerprint FROM peer_identity WHERE nation = ? AND fingerprint <> ?")) {
                s.setString(1, nation);
                s.setString(2, fingerprint);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) earlier.add(rs.getString(1));
                }
            }
            int adopted = 0;
            for (String old : earlier) {
                adopted += passOn(c, "holdings", "", old, fingerprint);
                passOn(c, "pending_drops", "", old, fingerprint);
                passOn(c, "confirmations", UNCONFIRMED, old, fingerprint); // those confirmed stay as they were
                try (PreparedStatement forget = c.prepareStatement("DELETE FROM peer_identity WHERE fingerprint = ?");
                     PreparedStatement keys = c.prepareStatement("DELETE FROM peer_kem_keys WHERE fingerprint = ?")) {
                    forget.setString(1, old);
                    forget.executeUpdate();
                    keys.setString(1, old); // a KEM key is the node's, not the nation's: a node made anew has none of them
                    keys.executeUpdate();
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO peer_identity (fingerprint, nation, node, identity, pinned_at) "
                    + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET nation = excluded.nation, node = excluded.node, "
                    + "identity = excluded.identity")) {
                s.setString(1, fingerprint);
                s.setString(2, nation);
                s.setString(3, node);
                s.setBytes(4, wire);
                s.setLong(5, now.toEpochMilli());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO peer_kem_keys (fingerprint, kem_key_id) VALUES (?, ?)")) {
                for (KeyId id : kemKeys) {
                    s.setString(1, fingerprint);
                    s.setLong(2, id.value());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return adopted;
        });
    }

    static final String UNCONFIRMED = " AND confirmed_at IS NULL";

    static String passOnMove(String table, String condition) {
        return "UPDATE OR IGNORE " + table + " SET fingerprint = ? WHERE fingerprint = ?" + condition;
    }

    /**
     * Moves a table's rows (those {@code condition} selects) from one fingerprint to another; a row the
     * new one has already is kept once. Returns how many moved.
     */
    private static int passOn(Connection c, String table, String condition, String from, String to) throws SQLException {
        try (PreparedStatement move = c.prepareStatement(passOnMove(table, condition));
             PreparedStatement rest = c.prepareStatement("DELETE FROM " + table + " WHERE fingerprint = ?" + condition)) {
            move.setString(1, to);
            move.setString(2, from);
            int moved = move.executeUpdate();
            rest.setString(1, from);
            rest.executeUpdate();
            return moved;
        }
    }

    /** The nation of a certificate this node pinned, kept after its keys are forgotten (see {@link #forgetIdentity}). */
    public Optional<String> nationOf(String fingerprint) {
        return tx("read a peer's nation", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT nation FROM peer_identity WHERE fingerprint = ?")) {
                s.setString(1, fingerprint);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /**
     * Forgets a removed peer's pinned identity (its keys): adding it again is a new trust decision, and
     * it is introduced afresh. Its nation stays, for {@link #pinIdentity} to pass on what it holds.
     */
    public void forgetIdentity(String fingerprint) {
        tx("forget an identity", c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE peer_identity SET identity = x'' WHERE fingerprint = ?");
                 PreparedStatement keys = c.prepareStatement("DELETE FROM peer_kem_keys WHERE fingerprint = ?")) {
                s.setString(1, fingerprint);
                keys.setString(1, fingerprint);
                keys.executeUpdate();
                return s.executeUpdate();
            }
        });
    }

    // ---- outbound: what peers acknowledged and hold ---------------------------------------------

    public Outbound outbound(String fingerprint) {
        return tx("read a peer's acknowledgement", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT acked_seq, acked_at FROM outbound WHERE fingerprint = ?")) {
                s.setString(1, fingerprint);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) return new Outbound(0, Optional.empty());
                    return new Outbound(rs.getLong(1), instant(rs, 2));
                }
            }
        });
    }

    static final String CONFIRM = "UPDATE confirmations SET confirmed_at = ? WHERE fingerprint = ? AND seq <= ? AND confirmed_at IS NULL";
    static final String HOLDERS = "SELECT fingerprint FROM holdings WHERE record_id = ? ORDER BY fingerprint";

    /** The peer has applied everything of its feed up to {@code seq}: remember it and confirm what that covers. */
    public void acknowledge(String fingerprint, long seq, Instant now) {
        relaxedTx("record an acknowledgement", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO outbound (fingerprint, acked_seq, acked_at) VALUES (?, ?, ?) "
                    + "ON CONFLICT (fingerprint) DO UPDATE SET acked_seq = MAX(acked_seq, excluded.acked_seq), acked_at = excluded.acked_at")) {
                s.setString(1, fingerprint);
                s.setLong(2, seq);
                s.setLong(3, now.toEpochMilli());
                s.executeUpdate();
            }
            try (PreparedStatement drop = c.prepareStatement("DELETE FROM holdings WHERE fingerprint = ? AND record_id IN "
                    + "(SELECT record_id FROM pending_drops WHERE fingerprint = ? AND seq <= ?)");
                 PreparedStatement done = c.prepareStatement("DELETE FROM pending_drops WHERE fingerprint = ? AND seq <= ?")) {
                drop.setString(1, fingerprint);
                drop.setString(2, fingerprint);
                drop.setLong(3, seq);
                drop.executeUpdate();
                done.setString(1, fingerprint);
                done.setLong(2, seq);
                done.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(CONFIRM)) {
                s.setLong(1, now.toEpochMilli());
                s.setString(2, fingerprint);
                s.setLong(3, seq);
                return s.executeUpdate();
            }
        });
    }

    /** Durably notes that a feed passed over a record it could not judge: before any cursor past it is issued. */
    public void passOver(String recordId, Instant now) {
        tx("note a record passed over", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO passed_over (record_id, at) VALUES (?, ?)")) {
                s.setString(1, recordId);
                s.setLong(2, now.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }

    /** The records passed over, oldest first. */
    public List<String> passedOver() {
        return tx("read the records passed over", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT record_id FROM passed_over ORDER BY at, record_id");
                 ResultSet rs = s.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) out.add(rs.getString(1));
                return out;
            }
        });
    }

    public void forgetPassedOver(String recordId) {
        tx("forget a record passed over", c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM passed_over WHERE record_id = ?")) {
                s.setString(1, recordId);
                return s.executeUpdate();
            }
        });
    }

    public boolean holds(String fingerprint, String recordId) {
        return tx("read a holding", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM holdings WHERE fingerprint = ? AND record_id = ?")) {
                s.setString(1, fingerprint);
                s.setString(2, recordId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The peers (by fingerprint) that were sent this record and have not acknowledged a response telling them to drop it. */
    public List<String> holders(String recordId) {
        return tx("read holders", c -> {
            try (PreparedStatement s = c.prepareStatement(HOLDERS)) {
                s.setString(1, recordId);
                List<String> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) out.add(rs.getString(1));
                }
                return out;
            }
        });
    }

    /**
     * Durably notes what a feed response ending at {@code seq} gives and takes, before the response is
     * sent. What it gives counts as held at once; what it takes stays held until the peer acknowledges
     * {@code seq} — a response lost on the way (the peer died) is scanned again from the peer's cursor,
     * and the retraction or withdrawal must then be sent again.
     */
    public void sent(String fingerprint, Collection<String> given, Collection<String> taken, long seq) {
        if (given.isEmpty() && taken.isEmpty()) return;
        tx("record what a peer was sent", c -> {
            try (PreparedStatement add = c.prepareStatement("INSERT OR IGNORE INTO holdings (fingerprint, record_id) VALUES (?, ?)");
                 PreparedStatement keep = c.prepareStatement("DELETE FROM pending_drops WHERE fingerprint = ? AND record_id = ?");
                 PreparedStatement drop = c.prepareStatement("INSERT INTO pending_drops (fingerprint, record_id, seq) VALUES (?, ?, ?) "
                         + "ON CONFLICT (fingerprint, record_id) DO UPDATE SET seq = excluded.seq")) {
                for (String id : given) {
                    add.setString(1, fingerprint);
                    add.setString(2, id);
                    add.addBatch();
                    keep.setString(1, fingerprint);
                    keep.setString(2, id);
                    keep.addBatch();
                }
                for (String id : taken) {
                    drop.setString(1, fingerprint);
                    drop.setString(2, id);
                    drop.setLong(3, seq);
                    drop.addBatch();
                }
                add.executeBatch();
                keep.executeBatch();
                drop.executeBatch();
            }
            return null;
        });
    }

    /** Notes that a peer holding the record has to confirm a withdrawal or retraction made at {@code seq}. */
    public void expectConfirmation(String recordId, String fingerprint, String nation, String kind, long seq, Instant now) {
        tx("record an expected confirmation", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO confirmations "
                    + "(record_id, fingerprint, nation, kind, seq, requested_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, "
                    + "(SELECT acked_at FROM outbound WHERE fingerprint = ? AND acked_seq >= ?))")) {
                s.setString(1, recordId);
                s.setString(2, fingerprint);
                s.setString(3, nation);
                s.setString(4, kind);
                s.setLong(5, seq);
                s.setLong(6, now.toEpochMilli());
                s.setString(7, fingerprint);
                s.setLong(8, seq);
                return s.executeUpdate();
            }
        });
    }

    static final String CONFIRMATIONS_OF_RECORD = "WHERE record_id = ? ORDER BY seq DESC, nation LIMIT ?";
    static final String CONFIRMATIONS_NEWEST = "ORDER BY seq DESC, nation LIMIT ?";

    /** Confirmations, newest first; for one record if {@code recordId} is given. */
    public List<Confirmation> confirmations(Optional<String> recordId, int limit) {
        return tx("read confirmations", c -> {
            // Two statements, not "? IS NULL OR record_id = ?": the OR would keep either from its index.
            String sql = "SELECT record_id, fingerprint, nation, kind, seq, requested_at, confirmed_at FROM confirmations "
                    + (recordId.isPresent() ? CONFIRMATIONS_OF_RECORD : CONFIRMATIONS_NEWEST);
            try (PreparedStatement s = c.prepareStatement(sql)) {
                int i = 1;
                if (recordId.isPresent()) s.setString(i++, recordId.get());
                s.setInt(i, limit);
                List<Confirmation> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Confirmation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                                Instant.ofEpochMilli(rs.getLong(6)), instant(rs, 7)));
                    }
                }
                return out;
            }
        });
    }

    // ---- inbound: this node's cursor at each peer ----------------------------------------------

    public Optional<Inbound> inbound(String fingerprint) {
        return tx("read a cursor", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT cursor, received, rejected, delivered_at, last_error, last_error_at "
                    + "FROM inbound WHERE fingerprint = ?")) {
                s.setString(1, fingerprint);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    return Optional.of(new Inbound(rs.getString(1), rs.getLong(2), rs.getLong(3), instant(rs, 4),
                            Optional.ofNullable(rs.getString(5)), instant(rs, 6)));
                }
            }
        });
    }

    /** After a feed response is applied: the new cursor and what it brought. */
    public void delivered(String fingerprint, String cursor, int received, int rejected, Optional<String> rejection, Instant now) {
        relaxedTx("record a delivery", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO inbound (fingerprint, cursor, received, rejected, delivered_at, "
                    + "last_error, last_error_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                    + "cursor = excluded.cursor, received = received + excluded.received, rejected = rejected + excluded.rejected, "
                    + "delivered_at = CASE WHEN excluded.received > 0 THEN excluded.delivered_at ELSE delivered_at END, "
                    + "last_error = COALESCE(excluded.last_error, last_error), last_error_at = COALESCE(excluded.last_error_at, last_error_at)")) {
                s.setString(1, fingerprint);
                s.setString(2, cursor);
                s.setLong(3, received);
                s.setLong(4, rejected);
                s.setObject(5, received > 0 ? now.toEpochMilli() : null);
                s.setString(6, rejection.orElse(null));
                s.setObject(7, rejection.isPresent() ? now.toEpochMilli() : null);
                return s.executeUpdate();
            }
        });
    }

    /** A failed exchange with a peer (unreachable, refused, malformed answer). */
    public void failed(String fingerprint, String error, Instant now) {
        relaxedTx("record an error", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO inbound (fingerprint, cursor, received, rejected, last_error, last_error_at) "
                    + "VALUES (?, '', 0, 0, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET last_error = excluded.last_error, "
                    + "last_error_at = excluded.last_error_at")) {
                s.setString(1, fingerprint);
                s.setString(2, error);
                s.setLong(3, now.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }

    private static Optional<Instant> instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
    }

    @Override
    public synchronized void close() {
        try {
            relaxed.close();
            durable.close();
        } catch (SQLException e) {
            // closing: nothing left to lose
        }
    }
}
