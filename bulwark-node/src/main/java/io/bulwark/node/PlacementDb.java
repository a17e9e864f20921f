package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.GroupCommitter;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.site.PlacementIndex;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where each blob's replicas lie: the node's {@link PlacementIndex}, in {@code data/placements.db}.
 *
 * <p>Keyed by <em>blob key</em>, not record id: a relabel writes the record's new version under a
 * new key before the metadata points to it, so both versions have placements for a while. Evacuation
 * and repair report these keys (a record's id, or its id with a {@code .rN} suffix).
 *
 * <p>A file of its own rather than a table of the metadata database: placements are written
 * <em>before</em> the metadata (blobs, then placements, then metadata), so a crash leaves placements
 * that no metadata references — removed with their blobs by the sweep at start — and never a record
 * without placements. That order needs no change to {@code MetadataStore} or its schema. Every write
 * commits before it returns ({@code synchronous=FULL}); concurrent {@link #add}s share one commit
 * (group commit), since every publish and every received record adds placements — one fsync each,
 * under one lock, had capped a node's publish rate at one record per disk flush.
 */
final class PlacementDb implements PlacementIndex, AutoCloseable {

    private final Connection db;
    private final PolicySet policies;
    private final GroupCommitter<Added> adds;

    private record Added(String key, String residency, Map<String, BlobRef> placements) {}

    PlacementDb(Path file, PolicySet policies) {
        this.policies = policies;
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS placement (
                          blob_key TEXT NOT NULL, site_id TEXT NOT NULL, residency TEXT NOT NULL,
                          size INTEGER NOT NULL, sha256 TEXT NOT NULL,
                          PRIMARY KEY (blob_key, site_id))""");
                s.execute("CREATE INDEX IF NOT EXISTS placement_site ON placement (site_id, blob_key)");
            }
        } catch (SQLException e) {
            throw new StoreException("could not open the placement index " + file, e);
        }
        adds = new GroupCommitter<>("bulwark-placements-writer", 512, java.time.Duration.ofMillis(1), this::commit);
    }

    /** Records where a blob's replicas now are (after they are durable, before the metadata names the blob). */
    void add(String key, ResidencyPolicy residency, Map<String, BlobRef> placements) {
        try {
            adds.submit(new Added(key, residency.toString(), Map.copyOf(placements))).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new StoreException("the placement index failed", e.getCause());
        }
    }

    /** One transaction for every add that queued meanwhile. */
    private synchronized void commit(List<GroupCommitter.Pending<Added>> batch) {
        try {
            db.setAutoCommit(false);
            try {
                for (GroupCommitter.Pending<Added> p : batch) insert(p.item().key(), p.item().residency(), p.item().placements());
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw fault(e);
        }
        batch.forEach(p -> p.succeed(null));
    }

    /** Forgets a blob's placements (its replicas are deleted, or left to the sites' sweeps). */
    synchronized void remove(String key) {
        try (PreparedStatement s = db.prepareStatement("DELETE FROM placement WHERE blob_key = ?")) {
            s.setString(1, key);
            s.executeUpdate();
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** Per site: how many blobs it holds a replica of, and their bytes. */
    synchronized Map<String, long[]> totalsBySite() {
        Map<String, long[]> counts = new TreeMap<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT site_id, COUNT(*), SUM(size) FROM placement GROUP BY site_id")) {
            while (r.next()) counts.put(r.getString(1), new long[]{r.getLong(2), r.getLong(3)});
        } catch (SQLException e) {
            throw fault(e);
        }
        return counts;
    }

    @Override
    public synchronized Optional<Entry> get(String key) {
        try (PreparedStatement s = db.prepareStatement("SELECT site_id, residency, size, sha256 FROM placement WHERE blob_key = ?")) {
            s.setString(1, key);
            SortedMap<String, BlobRef> placements = new TreeMap<>();
            String residency = "";
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    placements.put(r.getString(1), new BlobRef(key, r.getLong(3), r.getString(4)));
                    residency = r.getString(2);
                }
            }
            return placements.isEmpty() ? Optional.empty()
                    : Optional.of(new Entry(key, ResidencyPolicy.parse(residency, policies), placements));
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    @Override
    public synchronized List<Entry> page(Set<String> siteIds, String after, int limit) {
        List<String> sites = List.copyOf(siteIds);
        String where = sites.isEmpty() ? "" : "site_id IN (" + String.join(",", Collections.nCopies(sites.size(), "?")) + ") AND ";
        List<String> keys = new ArrayList<>();
        try (PreparedStatement s = db.prepareStatement("SELECT DISTINCT blob_key FROM placement WHERE " + where
                + "blob_key > ? ORDER BY blob_key LIMIT ?")) {
            int i = 1;
            for (String site : sites) s.setString(i++, site);
            s.setString(i++, after);
            s.setInt(i, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) keys.add(r.getString(1));
            }
        } catch (SQLException e) {
            throw fault(e);
        }
        return keys.stream().map(this::get).flatMap(Optional::stream).toList();
    }

    @Override
    public boolean replace(String key, Map<String, BlobRef> expected, Map<String, BlobRef> next) {
        return !replaceAll(List.of(new Replacement(key, expected, next))).isEmpty();
    }

    /** Every replacement in one transaction: one disk sync for the batch. */
    @Override
    public synchronized Set<String> replaceAll(List<Replacement> replacements) {
        Set<String> replaced = new HashSet<>();
        try {
            db.setAutoCommit(false);
            try {
                for (Replacement r : replacements) {
                    Optional<Entry> current = get(r.recordId());
                    if (current.isEmpty() || !current.get().placements().equals(new TreeMap<>(r.expected()))) continue;
                    try (PreparedStatement s = db.prepareStatement("DELETE FROM placement WHERE blob_key = ?")) {
                        s.setString(1, r.recordId());
                        s.executeUpdate();
                    }
                    insert(r.recordId(), current.get().residency().toString(), r.next());
                    replaced.add(r.recordId());
                }
                db.commit();
                return replaced;
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    private void insert(String key, String residency, Map<String, BlobRef> placements) throws SQLException {
        try (PreparedStatement s = db.prepareStatement(
                "INSERT OR REPLACE INTO placement (blob_key, site_id, residency, size, sha256) VALUES (?, ?, ?, ?, ?)")) {
            for (var p : placements.entrySet()) {
                s.setString(1, key);
                s.setString(2, p.getKey());
                s.setString(3, residency);
                s.setLong(4, p.getValue().size());
                s.setString(5, p.getValue().sha256());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    /** Every blob key with placements, for the sweep at start. */
    synchronized List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT DISTINCT blob_key FROM placement")) {
            while (r.next()) keys.add(r.getString(1));
        } catch (SQLException e) {
            throw fault(e);
        }
        return keys;
    }

    private static StoreException fault(SQLException e) {
        return new StoreException("the placement index failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        adds.close(); // commits what is queued; outside the lock, which the committer's writes take
        synchronized (this) {
            closeDb();
        }
    }

    private void closeDb() {
        try {
            db.close();
        } catch (SQLException e) {
            throw fault(e);
        }
    }
}
