package io.bulwark.store.site;

import io.bulwark.store.StoreException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.sqlite.SQLiteConfig;

/**
 * An evacuation's progress, kept durably in a small SQLite file of its own so a crash or Ctrl-C
 * loses none of it: each record's outcome, and the source replicas still to delete for records
 * whose placements were already switched. Every call commits before it returns
 * ({@code synchronous=FULL}).
 *
 * <p>Kept apart from the metadata database on purpose: it is bookkeeping for one operation, safe to
 * delete once the evacuation has finished, and needs no schema change in the metadata store.
 */
public final class EvacuationProgress implements AutoCloseable {

    /** What became of one record. */
    public enum Outcome {
        /** Copied to another provider, verified, placements switched, source deleted. */
        MOVED,
        /** Already on enough other compliant providers; the source was only deleted. */
        ALREADY_ELSEWHERE,
        /** No compliant place without the provider; the replica stays where it is. */
        IMPOSSIBLE
    }

    /**
     * A record whose placements were switched but whose source replicas may not be deleted yet.
     *
     * @param sources the site ids on the evacuated provider still holding the blob
     */
    public record Pending(String recordId, Outcome outcome, Set<String> sources, String key, long bytes) {
    }

    /** A record's final outcome. */
    public record Done(String recordId, Outcome outcome, long bytes, String reason) {
    }

    private final Connection db;
    private final Path file;

    /** Opens (creating if need be) the progress file. */
    public EvacuationProgress(Path file) {
        this.file = file;
        try {
            SQLiteConfig config = new SQLiteConfig();
            config.setGetGeneratedKeys(false); // unread here; on, the driver queries last_insert_rowid() after every INSERT
            db = config.createConnection("jdbc:sqlite:" + file);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("CREATE TABLE IF NOT EXISTS evacuation (provider TEXT PRIMARY KEY, finished INTEGER NOT NULL)");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS evacuation_record (
                          provider TEXT NOT NULL, record_id TEXT NOT NULL, outcome TEXT NOT NULL,
                          pending INTEGER NOT NULL, sources TEXT NOT NULL, blob_key TEXT NOT NULL,
                          bytes INTEGER NOT NULL, reason TEXT NOT NULL,
                          PRIMARY KEY (provider, record_id))""");
            }
        } catch (SQLException e) {
            throw new StoreException("could not open the evacuation progress file " + file, e);
        }
    }

    /**
     * Starts evacuating the provider, or resumes an unfinished evacuation of it. A finished one is
     * forgotten, so running it again retries the records that were impossible before.
     *
     * @return whether an unfinished evacuation was resumed
     */
    public synchronized boolean begin(String provider) {
        try {
            Optional<Boolean> finished = query("SELECT finished FROM evacuation WHERE provider = ?", r -> r.getInt(1) == 1, provider).stream().findFirst();
            if (finished.isPresent() && !finished.get()) return true;
            update("DELETE FROM evacuation_record WHERE provider = ?", provider);
            update("INSERT OR REPLACE INTO evacuation (provider, finished) VALUES (?, 0)", provider);
            return false;
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** Marks the evacuation of the provider finished. */
    public synchronized void finish(String provider) {
        try {
            update("UPDATE evacuation SET finished = 1 WHERE provider = ?", provider);
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /**
     * Records, in one transaction, that these records' placements are about to be switched and
     * their sources must then be deleted.
     */
    public void pending(String provider, List<Pending> batch) {
        transaction(() -> {
            for (Pending p : batch) {
                update("INSERT OR REPLACE INTO evacuation_record VALUES (?, ?, ?, 1, ?, ?, ?, '')",
                        provider, p.recordId(), p.outcome().name(), String.join(",", p.sources()), p.key(), p.bytes());
            }
        });
    }

    /** Records a record's final outcome. */
    public void done(String provider, Done d) {
        done(provider, List.of(d));
    }

    /** Records final outcomes in one transaction: one disk sync for a batch of records (none if it is empty). */
    public void done(String provider, List<Done> batch) {
        if (batch.isEmpty()) return;
        transaction(() -> {
            for (Done d : batch) {
                update("INSERT OR REPLACE INTO evacuation_record VALUES (?, ?, ?, 0, '', '', ?, ?)",
                        provider, d.recordId(), d.outcome().name(), d.bytes(), d.reason());
            }
        });
    }

    private interface Work {
        void run() throws SQLException;
    }

    private synchronized void transaction(Work work) {
        try {
            db.setAutoCommit(false);
            try {
                work.run();
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
    }

    /** Forgets the record: its placements were not switched after all, so it is to be done again. */
    public void forget(String provider, String recordId) {
        forget(provider, List.of(recordId));
    }

    /** Forgets these records in one transaction (nothing to commit if there are none). */
    public void forget(String provider, Collection<String> recordIds) {
        if (recordIds.isEmpty()) return;
        transaction(() -> {
            for (String id : recordIds) {
                update("DELETE FROM evacuation_record WHERE provider = ? AND record_id = ?", provider, id);
            }
        });
    }

    /**
     * The records with a final outcome whose ids are after {@code after} and at most {@code last}:
     * one query for a page of records instead of one per record.
     */
    public synchronized Set<String> doneBetween(String provider, String after, String last) {
        try {
            return new HashSet<>(query("SELECT record_id FROM evacuation_record WHERE provider = ? AND pending = 0 AND record_id > ? AND record_id <= ?",
                    r -> r.getString(1), provider, after, last));
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** Whether the record has a final outcome in this evacuation. */
    public synchronized boolean isDone(String provider, String recordId) {
        try {
            return !query("SELECT 1 FROM evacuation_record WHERE provider = ? AND record_id = ? AND pending = 0", r -> 1, provider, recordId).isEmpty();
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** Records whose source replicas may still need deleting (a crash came between the switch and the delete). */
    public synchronized List<Pending> pending(String provider) {
        try {
            return query("SELECT record_id, outcome, sources, blob_key, bytes FROM evacuation_record WHERE provider = ? AND pending = 1 ORDER BY record_id",
                    r -> new Pending(r.getString(1), Outcome.valueOf(r.getString(2)),
                            new TreeSet<>(Arrays.asList(r.getString(3).split(","))), r.getString(4), r.getLong(5)), provider);
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** What the records with a final outcome add up to: counted by the database, not read one by one. */
    public record Totals(long records, long moved, long alreadyElsewhere, long bytesMoved) {}

    public synchronized Totals totals(String provider) {
        try {
            return query("SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = 'MOVED' THEN 1 ELSE 0 END), 0), "
                            + "COALESCE(SUM(CASE WHEN outcome = 'ALREADY_ELSEWHERE' THEN 1 ELSE 0 END), 0), "
                            + "COALESCE(SUM(CASE WHEN outcome = 'MOVED' THEN bytes ELSE 0 END), 0) "
                            + "FROM evacuation_record WHERE provider = ? AND pending = 0",
                    r -> new Totals(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4)), provider).getFirst();
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    /** The records with a final outcome of this kind, by record id. */
    public synchronized List<Done> done(String provider, Outcome outcome) {
        try {
            return query("SELECT record_id, outcome, bytes, reason FROM evacuation_record WHERE provider = ? AND pending = 0 AND outcome = ? "
                            + "ORDER BY record_id",
                    r -> new Done(r.getString(1), Outcome.valueOf(r.getString(2)), r.getLong(3), r.getString(4)), provider, outcome.name());
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw fault(e);
        }
    }

    private interface Row<T> {
        T map(ResultSet r) throws SQLException;
    }

    private <T> List<T> query(String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet r = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (r.next()) out.add(row.map(r));
            return out;
        }
    }

    private void update(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args)) {
            ps.executeUpdate();
        }
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement ps = db.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
        return ps;
    }

    private StoreException fault(SQLException e) {
        return new StoreException("could not update the evacuation progress file " + file, e);
    }
}
