package io.bulwark.store.sqlite;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeEntry;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.ChangeReceipt;
import io.bulwark.store.InvalidQueryException;
import io.bulwark.store.InvalidRecordException;
import io.bulwark.store.LabelMetadata;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.OriginChanges;
import io.bulwark.store.RecordChange;
import io.bulwark.store.Page;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.bulwark.store.RecordState;
import io.bulwark.store.Retraction;
import io.bulwark.store.StoreException;
import io.bulwark.store.StoreResult;
import io.bulwark.store.GroupCommitter;
import io.bulwark.store.GroupCommitter.Pending;
import io.bulwark.store.internal.Cursors;
import io.bulwark.store.internal.Paging;
import io.bulwark.store.internal.RecordSql;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A {@link MetadataStore} in one SQLite file: the embedded default, for a node in one process.
 *
 * <h2>Durability</h2>
 * The file runs in WAL mode with {@code synchronous=FULL}: a commit returns only after the WAL is
 * forced to disk, so an acknowledged write survives kill -9 and power loss. Foreign keys are
 * enforced; a {@code busy_timeout} rides out other processes' short locks (the sqlite3 shell, a
 * backup).
 *
 * <h2>Concurrency</h2>
 * All writes go through one writer connection on one thread, which group-commits: it takes every
 * write queued while the previous commit ran and commits them together; one write's fault does not
 * fail its neighbours (the batch is then run again with each write in its own savepoint). Callers
 * block (cheaply, on virtual threads) until their write is committed. Reads use a small pool of
 * read-only connections and, in WAL mode, never wait for the writer. One process writes a given
 * file; several node processes over one database need the PostgreSQL store.
 */
public final class SqliteMetadataStore implements MetadataStore {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteMetadataStore.class);
    private static final int BUSY_TIMEOUT_MILLIS = 10_000;
    private static final int READERS = 4;
    private static final int MAX_BATCH = 512;
    /**
     * Under load a commit waits this long for more writes (see {@link GroupCommitter}); at rest, never.
     * 3 ms rather than 1: the writer's CPU per published record fell from ~141 to ~122 µs and the
     * node published ~3,400 instead of ~3,000 records/s (wrk, 256 connections), against a mean
     * request latency of ~72 ms at that load.
     */
    private static final java.time.Duration LINGER = java.time.Duration.ofMillis(3);

    /** A write to run in the writer's transaction. */
    @FunctionalInterface
    interface Work {
        Object apply(RecordSql sql, long nowMillis) throws SQLException;
    }

    private record Write(String what, Work work) {
    }

    @FunctionalInterface
    interface Read<R> {
        R apply(RecordSql sql) throws SQLException;
    }

    private final Path file;
    private final Clock clock;
    private final RecordSql writer;
    private final GroupCommitter<Write> committer;
    private final ChangeSignal committed = new ChangeSignal();
    /** The last committed change-log entry's seq, kept by the writer: read without a database round trip. */
    private volatile long committedSeq;
    private final LinkedBlockingQueue<RecordSql> idleReaders = new LinkedBlockingQueue<>();
    private final Semaphore readerPermits = new Semaphore(READERS, true);
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;

    /** Opens (creating if need be) the store in {@code file}, with the system clock. */
    public SqliteMetadataStore(Path file) {
        this(file, Clock.systemUTC());
    }

    /**
     * Opens (creating if need be) the store in {@code file} and brings its schema up to date.
     *
     * @param clock stamps change-log entries with the time this node commits them
     * @throws StoreException if the file cannot be opened, is not a Bulwark database, has a newer
     *                        schema, or does not support WAL mode
     */
    public SqliteMetadataStore(Path file, Clock clock) {
        this.file = file.toAbsolutePath().normalize();
        this.clock = Objects.requireNonNull(clock, "clock");
        Connection c = null;
        try {
            Path dir = this.file.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            c = connect(false);
            c.setAutoCommit(false);
            SqliteSchema.migrate(c, this.file, clock.millis());
        } catch (SQLException | java.io.IOException | RuntimeException e) {
            closeQuietly(c);
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("could not open the metadata database " + this.file, e);
        }
        this.writer = new RecordSql(c);
        try {
            this.committedSeq = writer.lastSeq();
            c.commit(); // ends the read: none is left open on the writer
        } catch (SQLException e) {
            closeQuietly(c);
            throw new StoreException("could not read the change log of the metadata database " + this.file, e);
        }
        this.committer = new GroupCommitter<>("bulwark-store-writer " + this.file.getFileName(), MAX_BATCH, LINGER, this::commit);
        LOG.debug("metadata database {} open (schema version {})", this.file, SqliteSchema.LATEST);
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    // ---- writes ------------------------------------------------------------------------------

    @Override
    public StoreResult<ChangeReceipt> insert(RecordMetadata record) {
        return insert(record, Map.of());
    }

    @Override
    public StoreResult<ChangeReceipt> insert(RecordMetadata record, Map<String, BlobRef> placements) {
        return insertAll(List.of(record), List.of(placements)).getFirst();
    }

    @Override
    public List<StoreResult<ChangeReceipt>> insertAll(List<RecordMetadata> records) {
        return insertAll(records, java.util.Collections.nCopies(records.size(), Map.of()));
    }

    @Override
    public List<StoreResult<ChangeReceipt>> insertAll(List<RecordMetadata> records, List<Map<String, BlobRef>> placements) {
        List<RecordMetadata> all = List.copyOf(records);
        List<Map<String, BlobRef>> sites = placements.stream().map(Map::copyOf).toList();
        if (sites.size() != all.size()) {
            throw new IllegalArgumentException("one placement map per record: " + all.size() + " records, " + sites.size() + " maps");
        }
        all.forEach(SqliteMetadataStore::requireActive);
        if (all.isEmpty()) {
            return List.of();
        }
        String what = all.size() == 1 ? "insert record " + all.getFirst().id() : "insert " + all.size() + " records";
        return write(what, (sql, now) -> {
            List<StoreResult<ChangeReceipt>> results = new ArrayList<>(all.size());
            for (int i = 0; i < all.size(); i++) {
                RecordMetadata r = all.get(i);
                StoreResult<ChangeReceipt> result = sql.insert(r, now);
                if (result.succeeded() && !sites.get(i).isEmpty()) {
                    sql.putPlacements(r.blob().key(), r.residency(), sites.get(i));
                }
                results.add(result);
            }
            return results;
        });
    }

    /**
     * The placement index kept in this database: where each blob's replicas lie. Its writes go
     * through this store's writer; {@link #insert(RecordMetadata, Map)} commits a record with its
     * placements.
     */
    public SqlitePlacements placements(PolicySet policies) {
        return new SqlitePlacements(this, policies);
    }

    @Override
    public StoreResult<ChangeReceipt> retract(String id, byte[] tombstone, Instant at) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tombstone, "tombstone");
        Retraction retraction = new Retraction(at, tombstone);
        return write("retract record " + id, (sql, now) -> sql.retract(id, retraction, now));
    }

    @Override
    public StoreResult<ChangeReceipt> replaceTombstone(String id, byte[] expected, byte[] tombstone, Instant at) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(tombstone, "tombstone");
        Retraction retraction = new Retraction(at, tombstone);
        return write("replace the tombstone of record " + id, (sql, now) -> sql.replaceTombstone(id, expected, retraction));
    }

    @Override
    public StoreResult<ChangeReceipt> relabel(String id, LabelMetadata newLabel, BlobRef newBlob, String newContentDigest) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(newLabel, "newLabel");
        Objects.requireNonNull(newBlob, "newBlob");
        checkDigest("newContentDigest", newContentDigest);
        return write("relabel record " + id, (sql, now) -> sql.relabel(id, newLabel, newBlob, newContentDigest, now));
    }

    @Override
    public StoreResult<ChangeReceipt> reissue(String id) {
        Objects.requireNonNull(id, "id");
        return write("reissue record " + id, (sql, now) -> sql.reissue(id, now));
    }

    @Override
    public StoreResult<ChangeReceipt> reinstate(String id, LabelMetadata label, BlobRef blob, String contentDigest) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(blob, "blob");
        checkDigest("contentDigest", contentDigest);
        return write("reinstate record " + id, (sql, now) -> sql.reinstate(id, label, blob, contentDigest, now));
    }

    private static void checkDigest(String field, String digest) {
        Objects.requireNonNull(digest, field);
        io.bulwark.store.internal.Checks.sha256Hex(digest).ifPresent(v -> {
            throw new InvalidRecordException(field + " " + io.bulwark.store.internal.Checks.quote(digest), v.position(), v.rule());
        });
    }

    // ---- reads -------------------------------------------------------------------------------

    @Override
    public Optional<RecordMetadata> find(String id) {
        Objects.requireNonNull(id, "id");
        return read("read record " + id, sql -> sql.find(id));
    }

    @Override
    public Page<RecordMetadata> list(RecordQuery query) {
        // Trips of the page plus one row (its position is the next cursor), after the window's end and
        // before the page's records are read whole.
        return Paging.page(query, r -> true, query.pageSize(), query.pageSize() + 1, SCAN_WINDOW, fetcher(query));
    }

    @Override
    public Page<RecordMetadata> scan(RecordQuery query, Predicate<? super Candidate> visible, int pageSize, int window) {
        Objects.requireNonNull(visible, "visible");
        if (pageSize < 1 || pageSize > RecordQuery.MAX_PAGE_SIZE) {
            throw new InvalidQueryException("pageSize " + pageSize, "", "must be between 1 and " + RecordQuery.MAX_PAGE_SIZE);
        }
        if (window < pageSize) {
            throw new InvalidQueryException("window " + window, "", "must be at least the page size, " + pageSize);
        }
        // Fewer than pageSize + 1 rows per trip can never finish a page in one.
        int fetch = Math.max(query.pageSize(), pageSize + 1);
        return Paging.page(query, visible, pageSize, fetch, window, fetcher(query));
    }

    @Override
    public List<ChangeEntry> changesSince(long seq, int limit) {
        checkChangeRead(seq, limit);
        return read("read the change log after " + seq, sql -> sql.changesSince(seq, limit));
    }

    @Override
    public OriginChanges originChangesSince(long seq, String originNation, String originNode, int limit) {
        Objects.requireNonNull(originNation, "originNation");
        Objects.requireNonNull(originNode, "originNode");
        checkChangeRead(seq, limit);
        return read("read the change log after " + seq + " for " + originNation + "/" + originNode,
                sql -> sql.originChangesSince(seq, originNation, originNode, limit));
    }

    @Override
    public List<RecordChange> recordChangesSince(long seq, int limit) {
        checkChangeRead(seq, limit);
        return read("read the change log with its records after " + seq, sql -> sql.recordChangesSince(seq, limit));
    }

    @Override
    public ChangeSignal committed() {
        return committed;
    }

    private static void checkChangeRead(long seq, int limit) {
        if (seq < 0) {
            throw new InvalidQueryException("seq " + seq, "", "must not be negative; 0 reads from the beginning");
        }
        if (limit < 1 || limit > MAX_CHANGES) {
            throw new InvalidQueryException("limit " + limit, "", "must be between 1 and " + MAX_CHANGES);
        }
    }

    @Override
    public long lastSeq() {
        if (closed) {
            throw new StoreException("the metadata database " + file + " is closed");
        }
        return committedSeq;
    }

    @Override
    public Set<String> referencedBlobKeys(Collection<String> blobKeys) {
        List<String> keys = List.copyOf(blobKeys);
        if (keys.isEmpty()) {
            return Set.of();
        }
        return read("look up " + keys.size() + " blob keys", sql -> sql.referencedBlobKeys(keys));
    }

    @Override
    public void forEachReferencedBlobKey(Consumer<String> sink) {
        Objects.requireNonNull(sink, "sink");
        read("list referenced blob keys", sql -> {
            sql.forEachReferencedBlobKey(sink);
            return null;
        });
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        committer.close(); // commits what was already submitted
        committed.signal(); // waiters read again, and learn that the store is closed
        closeQuietly(writer);
        // Holding every permit waits out the reads in flight; later reads see closed and refuse.
        readerPermits.acquireUninterruptibly(READERS);
        try {
            for (RecordSql r; (r = idleReaders.poll()) != null; ) {
                closeQuietly(r);
            }
        } finally {
            readerPermits.release(READERS);
        }
    }

    // ---- machinery ---------------------------------------------------------------------------

    private static void requireActive(RecordMetadata record) {
        Objects.requireNonNull(record, "record");
        if (record.state() != RecordState.ACTIVE) {
            throw new InvalidRecordException("record " + record.id(), "",
                    "insert takes an active record; insert it, then retract it");
        }
    }

    @SuppressWarnings("unchecked")
    <R> R write(String what, Work work) {
        try {
            return (R) committer.submit(new Write(what, work)).join();
        } catch (CompletionException e) {
            // Re-raised here so the trace shows the caller, with the writer's exception as cause.
            Throwable cause = e.getCause();
            if (cause instanceof StoreException se) {
                throw new StoreException(se.getMessage(), se);
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new StoreException("could not " + what, cause);
        }
    }

    /**
     * The writer's batch, in one commit (one fsync). The writes run back to back first; only if one
     * of them fails is the transaction rolled back and the batch run again with each write in a
     * savepoint, so that the fault stays its own. Savepoints on the common path would cost SQLite a
     * copy of every page a write touches that an earlier write in the batch had already changed
     * (its statement journal: ~16 pages a record here, spilled to a temporary file past 64 KiB).
     * A write is a function of the database alone, so running it again after the rollback is safe.
     */
    private void commit(List<Pending<Write>> batch) {
        Connection c = writer.connection();
        long now = clock.millis();
        try {
            if (!applyTogether(c, batch, now)) {
                applyEachInSavepoint(c, batch, now);
            }
            long seq = writer.lastSeq(); // read in the transaction: no read left open on the writer after it
            c.commit();
            if (seq != committedSeq) { // only a commit that appended to the change log is a change to wake for
                committedSeq = seq;
                committed.signal();
            }
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            String what = batch.size() == 1 ? batch.getFirst().item().what() : "commit " + batch.size() + " writes";
            throw new StoreException("could not " + what + " in the metadata database " + file, e);
        } catch (RuntimeException | Error e) {
            // Every caller of the batch is failed: its writes must not ride along with the next batch's commit.
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Runs every write; false, with the transaction rolled back, if one of them failed. */
    private boolean applyTogether(Connection c, List<Pending<Write>> batch, long now) throws SQLException {
        try {
            for (Pending<Write> p : batch) {
                p.succeed(p.item().work().apply(writer, now));
            }
            return true;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            return false;
        }
    }

    private void applyEachInSavepoint(Connection c, List<Pending<Write>> batch, long now) throws SQLException {
        for (Pending<Write> p : batch) {
            execute(c, "SAVEPOINT write");
            try {
                p.succeed(p.item().work().apply(writer, now));
                execute(c, "RELEASE SAVEPOINT write");
            } catch (SQLException | RuntimeException e) {
                execute(c, "ROLLBACK TO SAVEPOINT write");
                execute(c, "RELEASE SAVEPOINT write");
                p.fail(e instanceof RuntimeException re ? re : new StoreException("could not " + p.item().what(), e));
            }
        }
    }

    private Paging.Fetch fetcher(RecordQuery query) {
        return new Paging.Fetch() {
            @Override
            public List<Candidate> candidates(Optional<Cursors.Position> from, boolean inclusive, Optional<Cursors.Position> until, int limit) {
                return read("list records", sql -> sql.candidates(query, from, inclusive, until, limit));
            }

            @Override
            public Map<String, RecordMetadata> records(List<String> ids) {
                return read("list records", sql -> sql.records(query, ids));
            }

            @Override
            public Optional<Cursors.Position> windowEnd(Optional<Cursors.Position> from, boolean inclusive, int n) {
                return read("list records", sql -> sql.windowEnd(query, from, inclusive, n));
            }
        };
    }

    <R> R read(String what, Read<R> read) {
        readerPermits.acquireUninterruptibly();
        RecordSql sql = null;
        boolean healthy = false;
        try {
            if (closed) {
                throw new StoreException("could not " + what + ": the metadata store is closed");
            }
            sql = idleReaders.poll();
            if (sql == null) {
                sql = new RecordSql(connect(true));
            }
            R result = read.apply(sql);
            healthy = true;
            return result;
        } catch (SQLException e) {
            throw new StoreException("could not " + what + " from the metadata database " + file, e);
        } finally {
            if (sql != null) {
                if (healthy && !closed) {
                    idleReaders.add(sql);
                } else {
                    closeQuietly(sql);
                }
            }
            readerPermits.release();
        }
    }

    private Connection connect(boolean readOnly) throws SQLException {
        // Without generated keys: the driver would otherwise run SELECT last_insert_rowid() after every
        // INSERT (a third of the writer's CPU when publishing), and nothing here reads them.
        SQLiteConfig config = new SQLiteConfig();
        config.setGetGeneratedKeys(false);
        Connection c = config.createConnection("jdbc:sqlite:" + file);
        try {
            execute(c, "PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
            if (!readOnly) {
                // Persistent in the file; checked, because some filesystems (network shares) cannot do WAL.
                String mode = pragma(c, "PRAGMA journal_mode = WAL");
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new StoreException("the metadata database " + file + " cannot use WAL mode (journal mode is "
                            + mode + "); put it on a local filesystem");
                }
            }
            // Per connection: every commit forces the WAL to disk before it returns.
            execute(c, "PRAGMA synchronous = FULL");
            if (!"2".equals(pragma(c, "PRAGMA synchronous"))) { // 2 = FULL
                throw new StoreException("the metadata database " + file + " refused synchronous=FULL; commits would not be durable");
            }
            execute(c, "PRAGMA foreign_keys = ON");
            if (readOnly) {
                execute(c, "PRAGMA query_only = ON");
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String pragma(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("could not close a metadata database connection", e);
        }
    }
}
