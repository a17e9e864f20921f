package io.bulwark.store.internal;

import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeEntry;
import io.bulwark.store.ChangeKind;
import io.bulwark.store.ChangeReceipt;
import io.bulwark.store.LabelMetadata;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.OriginChanges;
import io.bulwark.store.RecordChange;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.bulwark.store.RecordState;
import io.bulwark.store.Retraction;
import io.bulwark.store.StoreException;
import io.bulwark.store.StoreResult;
import io.bulwark.store.internal.Cursors.Position;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The metadata store's reads and writes in portable SQL (standard types and statements; only
 * {@code LIMIT} beyond the standard, which SQLite and PostgreSQL both accept), over one JDBC
 * connection. Every implementation of {@link io.bulwark.store.MetadataStore} runs the same
 * statements; they differ in connections, transactions and DDL types.
 *
 * <p>Writes expect to run inside a transaction the caller commits. Not thread-safe: one instance
 * per connection.
 */
public final class RecordSql implements AutoCloseable {

    /** The counter row that allocates change-log sequence numbers. */
    public static final String SEQ_COUNTER = "change_log";

    private static final String COLUMNS = "r.id, r.origin_nation, r.origin_node, r.created_at, r.content_type, "
            + "r.payload_size, r.payload_digest, r.label_json, r.policy, r.classification, r.label_values, "
            + "r.residency, r.blob_key, r.blob_digest, r.sealed_size, r.state, r.retracted_at, r.tombstone";
    private static final String FIND = "SELECT " + COLUMNS + " FROM records r WHERE r.id = ?";
    private static final String INSERT = "INSERT INTO records (id, origin_nation, origin_node, created_at, "
            + "content_type, payload_size, payload_digest, label_json, policy, classification, label_values, "
            + "residency, blob_key, blob_digest, sealed_size, state, retracted_at, tombstone) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (id) DO NOTHING";
    private static final String INSERT_VALUE = "INSERT INTO record_label_values (record_id, label_value) VALUES (?, ?)";
    private static final String DELETE_VALUES = "DELETE FROM record_label_values WHERE record_id = ?";
    private static final String RETRACT = "UPDATE records SET state = ?, retracted_at = ?, tombstone = ? WHERE id = ?";
    /** A record's new version, active: a relabel (of an active record) or a reinstatement (of a retracted one). */
    private static final String NEW_VERSION = "UPDATE records SET label_json = ?, policy = ?, classification = ?, "
            + "label_values = ?, blob_key = ?, blob_digest = ?, sealed_size = ?, payload_digest = ?, "
            + "state = 'ACTIVE', retracted_at = NULL, tombstone = NULL WHERE id = ?";
    private static final String BUMP_SEQ = "UPDATE counters SET counter_value = counter_value + 1 WHERE name = ?";
    private static final String READ_SEQ = "SELECT counter_value FROM counters WHERE name = ?";
    private static final String APPEND = "INSERT INTO change_log (seq, record_id, kind, at, label_json, previous_label_json) VALUES (?, ?, ?, ?, ?, ?)";
    private static final String SEQ_OF = "SELECT MAX(seq) FROM change_log WHERE record_id = ? AND kind = ?";
    private static final String LABEL_SEQ_OF = "SELECT MAX(seq) FROM change_log WHERE record_id = ? AND kind IN (?, ?)";
    private static final String CHANGES = "SELECT seq, record_id, kind, at FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?";
    /** How many entries the span after a seq holds, and its last seq: read from the change log's primary key alone. */
    public static final String SPAN = "SELECT COUNT(*), MAX(seq) FROM (SELECT seq FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?) span";
    /**
     * One origin's entries in a span, each joined with its record: the span is read by the change log's
     * primary key and each entry's record by the records' primary key, so other origins' entries are
     * skipped inside the database and the statement needs no index of its own. (One statement with the
     * span as a CTE took twice as long in SQLite: it materialises the span and sorts the wide rows.)
     * Public, as {@link #SPAN}, for the test that holds SQLite's plans to this.
     */
    public static final String ORIGIN_CHANGES = "SELECT c.seq, c.kind, c.at, c.label_json, c.previous_label_json, " + COLUMNS + " FROM change_log c "
            + "JOIN records r ON r.id = c.record_id WHERE c.seq > ? AND c.seq <= ? AND r.origin_nation = ? AND r.origin_node = ? "
            + "ORDER BY c.seq";
    /** Entries after a seq, each joined with its record; by the change log's and the records' primary keys. */
    private static final String RECORD_CHANGES = "SELECT c.seq, c.kind, c.at, c.label_json, c.previous_label_json, " + COLUMNS + " FROM change_log c "
            + "JOIN records r ON r.id = c.record_id WHERE c.seq > ? ORDER BY c.seq LIMIT ?";
    private static final int IN_CHUNK = 500;
    private static final String PUT_PLACEMENT = "INSERT INTO placement (blob_key, site_id, residency, size, sha256) VALUES (?, ?, ?, ?, ?) "
            + "ON CONFLICT (blob_key, site_id) DO UPDATE SET residency = excluded.residency, size = excluded.size, sha256 = excluded.sha256";
    private static final String DELETE_PLACEMENTS = "DELETE FROM placement WHERE blob_key = ?";
    private static final String PLACEMENTS = "SELECT site_id, residency, size, sha256 FROM placement WHERE blob_key = ?";

    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    public RecordSql(Connection connection) {
        this.connection = connection;
    }

    public Connection connection() {
        return connection;
    }

    // ---- reads -------------------------------------------------------------------------------

    public Optional<RecordMetadata> find(String id) throws SQLException {
        PreparedStatement s = prepared(FIND);
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
            return rs.next() ? Optional.of(record(rs)) : Optional.empty();
        }
    }

    /**
     * One batch of the rows matching the query's filters — each as its id, creation time and label
     * only, what deciding whether a caller may see it takes — in listing order, from a position, and
     * before {@code until} (a row not itself returned) if given.
     */
    public List<MetadataStore.Candidate> candidates(RecordQuery q, Optional<Position> from, boolean inclusive, Optional<Position> until,
                                                    int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT r.created_at, r.id, r.label_json FROM records r WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (until.isPresent()) {
            // Rows before it in listing order (created_at desc, id desc): later, or as late with a greater id.
            Position u = until.get();
            sql.append(" AND r.created_at >= ? AND (r.created_at > ? OR r.id > ?)");
            args.add(u.createdAtMillis());
            args.add(u.createdAtMillis());
            args.add(u.id());
        }
        filters(sql, args, q);
        from(sql, args, from, inclusive);
        sql.append(" ORDER BY r.created_at DESC, r.id DESC LIMIT ?");
        args.add(limit);
        try (PreparedStatement s = statement(sql, args); ResultSet rs = s.executeQuery()) {
            List<MetadataStore.Candidate> rows = new ArrayList<>(Math.min(limit, 1024));
            while (rs.next()) {
                rows.add(new MetadataStore.Candidate(rs.getString(2), Instant.ofEpochMilli(rs.getLong(1)), rs.getString(3)));
            }
            return rows;
        }
    }

    /** The records with these ids that match the query's filters now, by id (at most {@value #MAX_IDS} ids). */
    public Map<String, RecordMetadata> records(RecordQuery q, List<String> ids) throws SQLException {
        if (ids.size() > MAX_IDS) throw new IllegalArgumentException("at most " + MAX_IDS + " ids, not " + ids.size());
        Map<String, RecordMetadata> out = new HashMap<>();
        if (ids.isEmpty()) return out;
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM records r WHERE r.id IN (")
                .append("?, ".repeat(ids.size() - 1)).append("?)");
        List<Object> args = new ArrayList<>(ids);
        filters(sql, args, q);
        try (PreparedStatement s = statement(sql, args); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                RecordMetadata m = record(rs);
                out.put(m.id(), m);
            }
        }
        return out;
    }

    /** The most ids {@link #records} takes: a page's worth ({@link RecordQuery#MAX_PAGE_SIZE}). */
    public static final int MAX_IDS = RecordQuery.MAX_PAGE_SIZE;

    /** The query's filters on a row {@code r}, but no position. */
    private static void filters(StringBuilder sql, List<Object> args, RecordQuery q) {
        q.originNation().ifPresent(v -> where(sql, args, " AND r.origin_nation = ?", v));
        q.policy().ifPresent(v -> where(sql, args, " AND r.policy = ?", v));
        q.classification().ifPresent(v -> where(sql, args, " AND r.classification = ?", v));
        q.createdAfter().ifPresent(t -> where(sql, args, " AND r.created_at > ?", t.toEpochMilli()));
        q.createdBefore().ifPresent(t -> where(sql, args, " AND r.created_at < ?", t.toEpochMilli()));
        q.state().ifPresent(v -> where(sql, args, " AND r.state = ?", v.name()));
        for (String value : q.labelValues().stream().sorted().toList()) {
            // Whole values, case-sensitive, in every database: an equality join, never LIKE on the list.
            where(sql, args, " AND EXISTS (SELECT 1 FROM record_label_values v WHERE v.record_id = r.id AND v.label_value = ?)", value);
        }
    }

    /**
     * The position of the row {@code n} rows on from a position in listing order (or from the query's
     * {@code createdBefore}), counting every record whatever the query's other filters and the row's
     * state: where a window of {@code n} rows ends (that row is the first beyond it). Empty if fewer
     * rows follow. Walks the listing index only. {@code createdAfter} is not counted in: a window
     * ending before it (or not) would tell a caller who chooses it, to the millisecond, where hidden
     * records lie.
     */
    public Optional<Position> windowEnd(RecordQuery q, Optional<Position> from, boolean inclusive, int n) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT r.created_at, r.id FROM records r WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        q.createdBefore().ifPresent(t -> where(sql, args, " AND r.created_at < ?", t.toEpochMilli()));
        from(sql, args, from, inclusive);
        sql.append(" ORDER BY r.created_at DESC, r.id DESC LIMIT 1 OFFSET ?");
        args.add(n);
        try (PreparedStatement s = statement(sql, args); ResultSet rs = s.executeQuery()) {
            return rs.next() ? Optional.of(new Position(rs.getLong(1), rs.getString(2))) : Optional.empty();
        }
    }

    /** A statement built for one query, its arguments bound in order. */
    private PreparedStatement statement(CharSequence sql, List<Object> args) throws SQLException {
        PreparedStatement s = connection.prepareStatement(sql.toString());
        try {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            return s;
        } catch (SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Keyset on (created_at desc, id desc) from a position; the first term lets the index bound the range. */
    private static void from(StringBuilder sql, List<Object> args, Optional<Position> from, boolean inclusive) {
        if (from.isPresent()) {
            Position p = from.get();
            sql.append(" AND r.created_at <= ? AND (r.created_at < ? OR r.id ").append(inclusive ? "<=" : "<").append(" ?)");
            args.add(p.createdAtMillis());
            args.add(p.createdAtMillis());
            args.add(p.id());
        }
    }

    public List<ChangeEntry> changesSince(long seq, int limit) throws SQLException {
        PreparedStatement s = prepared(CHANGES);
        s.setLong(1, seq);
        s.setInt(2, limit);
        List<ChangeEntry> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.add(new ChangeEntry(rs.getLong(1), rs.getString(2), ChangeKind.valueOf(rs.getString(3)),
                        Instant.ofEpochMilli(rs.getLong(4))));
            }
        }
        return out;
    }

    /**
     * Two statements: the span's end first, then the origin's entries up to it. Entries up to the end
     * are committed already and never change (numbers follow commit order), so the second statement
     * sees exactly the span the first measured; only the records may have changed in between, and they
     * are returned as they are now in any case.
     */
    public OriginChanges originChangesSince(long seq, String originNation, String originNode, int limit) throws SQLException {
        PreparedStatement span = prepared(SPAN);
        span.setLong(1, seq);
        span.setInt(2, limit);
        int read;
        long last;
        try (ResultSet rs = span.executeQuery()) {
            rs.next();
            read = rs.getInt(1);
            last = rs.getLong(2);
        }
        if (read == 0) {
            return new OriginChanges(List.of(), 0, seq);
        }
        PreparedStatement s = prepared(ORIGIN_CHANGES);
        s.setLong(1, seq);
        s.setLong(2, last);
        s.setString(3, originNation);
        s.setString(4, originNode);
        return new OriginChanges(recordChanges(s), read, last);
    }

    /** The rows of a query that selects seq, kind, at, label_json, previous_label_json and then the record's columns. */
    private List<RecordChange> recordChanges(PreparedStatement s) throws SQLException {
        List<RecordChange> changes = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                RecordMetadata record = record(rs, 5);
                changes.add(new RecordChange(new ChangeEntry(rs.getLong(1), record.id(), ChangeKind.valueOf(rs.getString(2)),
                        Instant.ofEpochMilli(rs.getLong(3))), record, Optional.ofNullable(rs.getString(4)), Optional.ofNullable(rs.getString(5))));
            }
        }
        return changes;
    }

    public List<RecordChange> recordChangesSince(long seq, int limit) throws SQLException {
        PreparedStatement s = prepared(RECORD_CHANGES);
        s.setLong(1, seq);
        s.setInt(2, limit);
        return recordChanges(s);
    }

    public long lastSeq() throws SQLException {
        PreparedStatement s = prepared(READ_SEQ);
        s.setString(1, SEQ_COUNTER);
        try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                throw new StoreException("the database has no change-log counter: it was not created by Bulwark or is damaged");
            }
            return rs.getLong(1);
        }
    }

    public Set<String> referencedBlobKeys(Collection<String> keys) throws SQLException {
        List<String> all = List.copyOf(new HashSet<>(keys));
        Set<String> found = new HashSet<>();
        for (int start = 0; start < all.size(); start += IN_CHUNK) {
            List<String> chunk = all.subList(start, Math.min(all.size(), start + IN_CHUNK));
            String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT DISTINCT blob_key FROM records WHERE state = 'ACTIVE' AND blob_key IN (" + marks + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    s.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
        }
        return found;
    }

    /** Gives every blob key an active record names to {@code sink}, in one pass: for sweeps. */
    public void forEachReferencedBlobKey(java.util.function.Consumer<String> sink) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT blob_key FROM records WHERE state = 'ACTIVE'");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) sink.accept(rs.getString(1));
        }
    }

    // ---- writes (inside the caller's transaction) --------------------------------------------

    public StoreResult<ChangeReceipt> insert(RecordMetadata r, long nowMillis) throws SQLException {
        // Insert first, look only on a clash: a new record (the usual case) costs no read.
        PreparedStatement s = prepared(INSERT);
        int i = 1;
        s.setString(i++, r.id());
        s.setString(i++, r.originNation());
        s.setString(i++, r.originNode());
        s.setLong(i++, r.createdAt().toEpochMilli());
        s.setString(i++, r.contentType());
        s.setLong(i++, r.payloadSize());
        s.setString(i++, r.contentDigest());
        s.setString(i++, r.label().json());
        s.setString(i++, r.label().policy());
        s.setString(i++, r.label().classification());
        s.setString(i++, String.join(" ", r.label().values()));
        s.setString(i++, r.residency());
        s.setString(i++, r.blob().key());
        s.setString(i++, r.blob().sha256());
        s.setLong(i++, r.blob().size());
        s.setString(i, RecordState.ACTIVE.name());
        if (s.executeUpdate() == 0) {
            RecordMetadata existing = find(r.id()).orElseThrow(() -> new StoreException("record " + r.id()
                    + " clashed on insert but cannot be read back: the database is damaged"));
            if (existing.samePublication(r)) {
                return StoreResult.success(new ChangeReceipt(seqOf(r.id(), ChangeKind.PUBLISHED), true));
            }
            return StoreResult.conflict(r.id(), "another publication is stored under this id "
                    + "(its origin, creation time, payload or sealed bytes differ)");
        }
        insertValues(r.id(), r.label().values());
        return StoreResult.success(new ChangeReceipt(append(r.id(), ChangeKind.PUBLISHED, nowMillis, r.label().json(), null), false));
    }

    public StoreResult<ChangeReceipt> retract(String id, Retraction retraction, long nowMillis) throws SQLException {
        Optional<RecordMetadata> existing = find(id);
        if (existing.isEmpty()) {
            return StoreResult.notFound(id);
        }
        Optional<Retraction> earlier = existing.get().retraction();
        if (earlier.isPresent()) {
            if (earlier.get().equals(retraction)) {
                return StoreResult.success(new ChangeReceipt(seqOf(id, ChangeKind.RETRACTED), true));
            }
            return StoreResult.conflict(id, "the record is already retracted, with another tombstone or time");
        }
        storeRetraction(id, retraction);
        return StoreResult.success(new ChangeReceipt(append(id, ChangeKind.RETRACTED, nowMillis, existing.get().label().json(), null), false));
    }

    private void storeRetraction(String id, Retraction retraction) throws SQLException {
        PreparedStatement s = prepared(RETRACT);
        s.setString(1, RecordState.RETRACTED.name());
        s.setLong(2, retraction.at().toEpochMilli());
        s.setBytes(3, retraction.tombstone());
        s.setString(4, id);
        s.executeUpdate();
    }

    public StoreResult<ChangeReceipt> replaceTombstone(String id, byte[] expected, Retraction retraction) throws SQLException {
        Optional<RecordMetadata> existing = find(id);
        if (existing.isEmpty()) {
            return StoreResult.notFound(id);
        }
        Optional<Retraction> stored = existing.get().retraction();
        if (stored.isEmpty()) {
            return StoreResult.conflict(id, "the record is active; only a retracted record's tombstone is replaced");
        }
        if (stored.get().equals(retraction)) {
            return StoreResult.success(new ChangeReceipt(seqOf(id, ChangeKind.RETRACTED), true));
        }
        if (!java.util.Arrays.equals(stored.get().tombstone(), expected)) {
            return StoreResult.conflict(id, "the record is retracted with another tombstone than the one to replace");
        }
        storeRetraction(id, retraction);
        return StoreResult.success(new ChangeReceipt(seqOf(id, ChangeKind.RETRACTED), false));
    }

    public StoreResult<ChangeReceipt> relabel(String id, LabelMetadata label, BlobRef blob, String contentDigest, long nowMillis)
            throws SQLException {
        Optional<RecordMetadata> existing = find(id);
        if (existing.isEmpty()) {
            return StoreResult.notFound(id);
        }
        if (existing.get().state() == RecordState.RETRACTED) {
            return StoreResult.conflict(id, "the record is retracted; a retracted record keeps its last label");
        }
        if (existing.get().label().equals(label) && existing.get().blob().equals(blob)
                && existing.get().contentDigest().equals(contentDigest)) {
            PreparedStatement s = prepared(LABEL_SEQ_OF);
            s.setString(1, id);
            s.setString(2, ChangeKind.PUBLISHED.name());
            s.setString(3, ChangeKind.RELABELED.name());
            return StoreResult.success(new ChangeReceipt(single(s, "the label change of record " + id), true));
        }
        return newVersion(id, label, blob, contentDigest, nowMillis, existing.get().label().json());
    }

    public StoreResult<ChangeReceipt> reissue(String id, long nowMillis) throws SQLException {
        Optional<RecordMetadata> existing = find(id);
        if (existing.isEmpty()) {
            return StoreResult.notFound(id);
        }
        if (existing.get().state() == RecordState.RETRACTED) {
            return StoreResult.conflict(id, "the record is retracted");
        }
        String label = existing.get().label().json();
        return StoreResult.success(new ChangeReceipt(append(id, ChangeKind.RELABELED, nowMillis, label, label), false));
    }

    public StoreResult<ChangeReceipt> reinstate(String id, LabelMetadata label, BlobRef blob, String contentDigest, long nowMillis)
            throws SQLException {
        Optional<RecordMetadata> existing = find(id);
        if (existing.isEmpty()) {
            return StoreResult.notFound(id);
        }
        if (existing.get().state() == RecordState.ACTIVE) {
            return StoreResult.conflict(id, "the record is active; only a retracted record is reinstated");
        }
        return newVersion(id, label, blob, contentDigest, nowMillis, null); // retracted: nobody read it under its last label
    }

    /** @param previousLabelJson the label the new version replaces, kept with the entry; null for none */
    private StoreResult<ChangeReceipt> newVersion(String id, LabelMetadata label, BlobRef blob, String contentDigest, long nowMillis,
                                                  String previousLabelJson) throws SQLException {
        PreparedStatement s = prepared(NEW_VERSION);
        s.setString(1, label.json());
        s.setString(2, label.policy());
        s.setString(3, label.classification());
        s.setString(4, String.join(" ", label.values()));
        s.setString(5, blob.key());
        s.setString(6, blob.sha256());
        s.setLong(7, blob.size());
        s.setString(8, contentDigest);
        s.setString(9, id);
        s.executeUpdate();
        PreparedStatement d = prepared(DELETE_VALUES);
        d.setString(1, id);
        d.executeUpdate();
        insertValues(id, label.values());
        return StoreResult.success(new ChangeReceipt(append(id, ChangeKind.RELABELED, nowMillis, label.json(), previousLabelJson), false));
    }

    @Override
    public void close() throws SQLException {
        SQLException first = null;
        for (PreparedStatement s : statements.values()) {
            try {
                s.close();
            } catch (SQLException e) {
                first = first == null ? e : first;
            }
        }
        statements.clear();
        try {
            connection.close();
        } catch (SQLException e) {
            first = first == null ? e : first;
        }
        if (first != null) {
            throw first;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void insertValues(String id, List<String> values) throws SQLException {
        if (values.isEmpty()) {
            return;
        }
        PreparedStatement s = prepared(INSERT_VALUE);
        for (String v : values) {
            s.setString(1, id);
            s.setString(2, v);
            s.addBatch();
        }
        s.executeBatch();
    }

    /**
     * Allocates the next sequence number and appends the entry. The counter row is updated in the
     * same transaction as the change: a rolled-back change releases its number unseen, a committed
     * one keeps it forever, and the row lock orders concurrent writers (in PostgreSQL as well), so
     * numbers follow commit order.
     *
     * @param labelJson         the label the change leaves in force (a retraction: the record's last)
     * @param previousLabelJson of a relabel of an active record, the label it replaces; else null
     */
    private long append(String id, ChangeKind kind, long nowMillis, String labelJson, String previousLabelJson) throws SQLException {
        PreparedStatement bump = prepared(BUMP_SEQ);
        bump.setString(1, SEQ_COUNTER);
        if (bump.executeUpdate() != 1) {
            throw new StoreException("the database has no change-log counter: it was not created by Bulwark or is damaged");
        }
        long seq = lastSeq();
        PreparedStatement s = prepared(APPEND);
        s.setLong(1, seq);
        s.setString(2, id);
        s.setString(3, kind.name());
        s.setLong(4, nowMillis);
        s.setString(5, labelJson);
        s.setString(6, previousLabelJson);
        s.executeUpdate();
        return seq;
    }

    private long seqOf(String id, ChangeKind kind) throws SQLException {
        PreparedStatement s = prepared(SEQ_OF);
        s.setString(1, id);
        s.setString(2, kind.name());
        return single(s, "the " + kind + " change of record " + id);
    }

    // ---- placements: where each blob's replicas lie (the node's placement index) --------------

    /** A blob's placements as stored: its residency (text) and site id → replica. */
    public record PlacementRows(String residency, java.util.SortedMap<String, BlobRef> sites) {
    }

    /** Records (or updates) where the blob's replicas lie; sites already recorded and not named stay. */
    public void putPlacements(String key, String residency, Map<String, BlobRef> sites) throws SQLException {
        PreparedStatement s = prepared(PUT_PLACEMENT);
        for (var e : sites.entrySet()) {
            s.setString(1, key);
            s.setString(2, e.getKey());
            s.setString(3, residency);
            s.setLong(4, e.getValue().size());
            s.setString(5, e.getValue().sha256());
            s.addBatch();
        }
        s.executeBatch();
    }

    public void deletePlacements(String key) throws SQLException {
        PreparedStatement s = prepared(DELETE_PLACEMENTS);
        s.setString(1, key);
        s.executeUpdate();
    }

    public Optional<PlacementRows> placements(String key) throws SQLException {
        PreparedStatement s = prepared(PLACEMENTS);
        s.setString(1, key);
        java.util.SortedMap<String, BlobRef> sites = new java.util.TreeMap<>();
        String residency = "";
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                sites.put(rs.getString(1), new BlobRef(key, rs.getLong(3), rs.getString(4)));
                residency = rs.getString(2);
            }
        }
        return sites.isEmpty() ? Optional.empty() : Optional.of(new PlacementRows(residency, sites));
    }

    /** Blob keys with a replica on one of {@code siteIds} (any site if empty), after {@code after}, ascending. */
    public List<String> placedKeys(List<String> siteIds, String after, int limit) throws SQLException {
        String where = siteIds.isEmpty() ? "" : "site_id IN (" + String.join(",", java.util.Collections.nCopies(siteIds.size(), "?")) + ") AND ";
        try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT blob_key FROM placement WHERE " + where
                + "blob_key > ? ORDER BY blob_key LIMIT ?")) {
            int i = 1;
            for (String site : siteIds) s.setString(i++, site);
            s.setString(i++, after);
            s.setInt(i, limit);
            List<String> keys = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) keys.add(rs.getString(1));
            }
            return keys;
        }
    }

    public long placedKeyCount() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT COUNT(DISTINCT blob_key) FROM placement");
             ResultSet rs = s.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** Every placement row: blob key and site id. */
    public void forEachPlacement(java.util.function.BiConsumer<String, String> sink) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT blob_key, site_id FROM placement");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) sink.accept(rs.getString(1), rs.getString(2));
        }
    }

    /** Blob keys with placements that no record names: what a crash between the two leaves. */
    public List<String> unreferencedPlacedKeys() throws SQLException {
        // One statement: the database walks placements in key order against the records' key index.
        try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT p.blob_key FROM placement p"
                + " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.blob_key = p.blob_key AND r.state = 'ACTIVE') ORDER BY p.blob_key");
             ResultSet rs = s.executeQuery()) {
            List<String> keys = new ArrayList<>();
            while (rs.next()) keys.add(rs.getString(1));
            return keys;
        }
    }

    /** Per site: how many blobs it holds a replica of, and their bytes. */
    public Map<String, long[]> placementTotals() throws SQLException {
        Map<String, long[]> totals = new java.util.TreeMap<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT site_id, COUNT(*), SUM(size) FROM placement GROUP BY site_id");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) totals.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
        }
        return totals;
    }

    private static long single(PreparedStatement s, String what) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            long seq = rs.next() ? rs.getLong(1) : 0;
            if (seq <= 0) {
                throw new StoreException("the change log lacks " + what + ": the database is damaged");
            }
            return seq;
        }
    }

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement s = statements.get(sql);
        if (s == null) {
            s = connection.prepareStatement(sql);
            statements.put(sql, s);
        }
        return s;
    }

    private static void where(StringBuilder sql, List<Object> args, String clause, Object arg) {
        sql.append(clause);
        args.add(arg);
    }

    private static RecordMetadata record(ResultSet rs) throws SQLException {
        return record(rs, 0);
    }

    /** The record in {@link #COLUMNS}, which start after the first {@code skip} columns of the row. */
    private static RecordMetadata record(ResultSet rs, int skip) throws SQLException {
        String id = rs.getString(skip + 1);
        try {
            String values = rs.getString(skip + 11);
            LabelMetadata label = new LabelMetadata(rs.getString(skip + 8), rs.getString(skip + 9), rs.getString(skip + 10),
                    values.isEmpty() ? List.of() : Arrays.asList(values.split(" ")));
            BlobRef blob = new BlobRef(rs.getString(skip + 13), rs.getLong(skip + 15), rs.getString(skip + 14));
            RecordState state = RecordState.valueOf(rs.getString(skip + 16));
            long retractedAt = rs.getLong(skip + 17);
            boolean hasRetractedAt = !rs.wasNull();
            byte[] tombstone = rs.getBytes(skip + 18);
            Optional<Retraction> retraction = Optional.empty();
            if (state == RecordState.RETRACTED) {
                if (!hasRetractedAt || tombstone == null) {
                    throw new StoreException("record " + id + " is marked retracted without a retraction time or tombstone: the database is damaged");
                }
                retraction = Optional.of(new Retraction(Instant.ofEpochMilli(retractedAt), tombstone));
            }
            return new RecordMetadata(id, rs.getString(skip + 2), rs.getString(skip + 3), Instant.ofEpochMilli(rs.getLong(skip + 4)),
                    rs.getString(skip + 5), rs.getLong(skip + 6), rs.getString(skip + 7), label, rs.getString(skip + 12), blob, retraction);
        } catch (IllegalArgumentException | NullPointerException e) {
            // Rows are validated before they are written; one that no longer parses was damaged since.
            throw new StoreException("record " + id + " in the database is malformed: " + e.getMessage(), e);
        }
    }
}
