package io.bulwark.store.sqlite;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.internal.RecordSql;
import io.bulwark.store.site.PlacementIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each blob's replicas lie, in the metadata database ({@code placement}, schema migration 2),
 * keyed by <em>blob key</em>: a relabel writes the record's new version under a new key before the
 * metadata points to it, so both versions have placements for a while.
 *
 * <p>In the metadata database rather than a file of its own so that a new record and its
 * placements commit together ({@link SqliteMetadataStore#insert(io.bulwark.store.RecordMetadata, Map)}):
 * one disk flush per publish or received record instead of two in sequence. Writes go through the
 * store's single writer (group commit), reads through its readers, so a read never waits for a
 * commit. Thread-safe.
 */
public final class SqlitePlacements implements PlacementIndex {

    private static final int IMPORT_CHUNK = 5_000;

    private final SqliteMetadataStore store;
    private final PolicySet policies;

    SqlitePlacements(SqliteMetadataStore store, PolicySet policies) {
        this.store = store;
        this.policies = policies;
    }

    /**
     * Records where a blob's replicas are, durably, in a commit of its own: for writes whose
     * metadata changes separately (a relabel's new version, a repair), before the metadata names
     * the blob.
     */
    public void add(String key, ResidencyPolicy residency, Map<String, BlobRef> placements) {
        Map<String, BlobRef> sites = Map.copyOf(placements);
        store.write("record the placements of blob " + key, (sql, now) -> {
            sql.putPlacements(key, residency.toString(), sites);
            return null;
        });
    }

    /**
     * Forgets a blob's placements and returns them, read and deleted in one transaction: a
     * conditional {@link #replace} racing it (an evacuation's or a repair's switch) then finds its
     * expected placements gone and deletes its own copy, instead of naming a copy the caller of this
     * never learns of.
     */
    public Optional<Entry> take(String key) {
        return store.write("forget the placements of blob " + key, (sql, now) -> {
            Optional<Entry> e = entry(sql, key);
            if (e.isPresent()) sql.deletePlacements(key);
            return e;
        });
    }

    @Override
    public Optional<Entry> get(String key) {
        return store.read("read the placements of blob " + key, sql -> entry(sql, key));
    }

    private Optional<Entry> entry(RecordSql sql, String key) throws SQLException {
        return sql.placements(key).map(rows -> new Entry(key, ResidencyPolicy.parse(rows.residency(), policies), rows.sites()));
    }

    @Override
    public List<Entry> page(Set<String> siteIds, String after, int limit) {
        List<String> sites = List.copyOf(siteIds);
        return store.read("list placements", sql -> {
            List<Entry> entries = new ArrayList<>();
            for (String key : sql.placedKeys(sites, after, limit)) {
                entry(sql, key).ifPresent(entries::add);
            }
            return entries;
        });
    }

    /** Blob keys with placements that no record names (a crash between placements and metadata). */
    public List<String> unreferencedKeys() {
        return store.read("find placements no record names", RecordSql::unreferencedPlacedKeys);
    }

    /** Every placement, as (blob key, site id), in one read: how a start-up sweep learns which site keeps what. */
    public void forEachPlacement(java.util.function.BiConsumer<String, String> sink) {
        store.read("list placements", sql -> {
            sql.forEachPlacement(sink);
            return null;
        });
    }

    /** How many blobs have placements. */
    public long distinctKeys() {
        return store.read("count placed blobs", RecordSql::placedKeyCount);
    }

    /** Per site: how many blobs it holds a replica of, and their bytes. */
    public Map<String, long[]> totalsBySite() {
        return store.read("count placements by site", RecordSql::placementTotals);
    }

    @Override
    public boolean replace(String key, Map<String, BlobRef> expected, Map<String, BlobRef> next) {
        return !replaceAll(List.of(new Replacement(key, expected, next))).isEmpty();
    }

    /** Every replacement in one transaction: one disk sync for the batch. */
    @Override
    public Set<String> replaceAll(List<Replacement> replacements) {
        List<Replacement> all = List.copyOf(replacements);
        return store.write("replace the placements of " + all.size() + " blobs", (sql, now) -> {
            Set<String> replaced = new HashSet<>();
            for (Replacement r : all) {
                Optional<RecordSql.PlacementRows> current = sql.placements(r.recordId());
                if (current.isEmpty() || !current.get().sites().equals(new TreeMap<>(r.expected()))) continue;
                sql.deletePlacements(r.recordId());
                sql.putPlacements(r.recordId(), current.get().residency(), r.next());
                replaced.add(r.recordId());
            }
            return replaced;
        });
    }

    /**
     * Takes over a placement index kept in a file of its own by earlier versions
     * ({@code data/placements.db}), then deletes that file. Run at start, before any write: a crash
     * part-way leaves the file, and the next start imports it again (the same rows, so the same
     * result).
     *
     * @return how many placements were imported
     */
    public long importFrom(Path file) {
        if (!Files.exists(file)) {
            return 0;
        }
        long imported = 0;
        try (Connection old = DriverManager.getConnection("jdbc:sqlite:" + file);
             PreparedStatement s = old.prepareStatement(
                     "SELECT blob_key, site_id, residency, size, sha256 FROM placement ORDER BY blob_key, site_id")) {
            s.setFetchSize(IMPORT_CHUNK);
            try (ResultSet rs = s.executeQuery()) {
                List<String[]> chunk = new ArrayList<>(IMPORT_CHUNK);
                while (rs.next()) {
                    chunk.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), Long.toString(rs.getLong(4)), rs.getString(5)});
                    if (chunk.size() == IMPORT_CHUNK) {
                        imported += importChunk(file, chunk);
                    }
                }
                imported += importChunk(file, chunk);
            }
        } catch (SQLException e) {
            throw new StoreException("could not import the placement index " + file + ": " + e.getMessage(), e);
        }
        try {
            for (String suffix : List.of("-wal", "-shm", "")) {
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
            }
        } catch (java.io.IOException e) {
            throw new StoreException("imported the placement index " + file + " but could not delete it: " + e.getMessage(), e);
        }
        return imported;
    }

    /** Writes one chunk of imported rows (blob key, site, residency, size, digest) in one commit, then empties it. */
    private int importChunk(Path file, List<String[]> chunk) {
        if (chunk.isEmpty()) {
            return 0;
        }
        List<String[]> rows = List.copyOf(chunk);
        chunk.clear();
        store.write("import " + rows.size() + " placements from " + file, (sql, now) -> {
            for (String[] r : rows) {
                sql.putPlacements(r[0], r[2], Map.of(r[1], new BlobRef(r[0], Long.parseLong(r[3]), r[4])));
            }
            return null;
        });
        return rows.size();
    }
}
