package io.bulwark.audit;

import io.bulwark.audit.internal.AuditDb;
import io.bulwark.audit.internal.Frontier;
import io.bulwark.audit.internal.GroupCommitter;
import io.bulwark.audit.internal.GroupCommitter.Pending;
import io.bulwark.audit.internal.Hashes;
import io.bulwark.audit.internal.LeafCodec;
import io.bulwark.audit.internal.Proofs;
import io.bulwark.crypto.SigningKeyset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The node's append-only, tamper-evident audit log: an RFC 9162 Merkle tree over canonical event
 * leaves, kept in one SQLite file, with tree heads signed by the node's hybrid key.
 *
 * <p>{@link #append} returns once the entry is on disk; appends from many threads share one commit.
 * The log keeps the tree's right edge in memory, so an append costs O(log n) hashes and the current
 * root is always at hand. Tree heads are signed off the append path: by a background task every
 * {@code signInterval} when entries were added, on {@link #signTreeHead()}, and at {@link #close()}.
 * The API never updates nor deletes an entry.
 *
 * <p><b>Security guarantees.</b> Every entry up to the latest signed tree head is fixed by that
 * signature: {@link AuditVerifier} detects an edited, deleted, inserted or reordered entry and names
 * the first, and a partner holding a tree head can check any entry with an {@link InclusionProof}
 * and any later head with a {@link ConsistencyProof}. Entries after the latest signed head (at most
 * one interval's worth after a crash) are protected only by their leaf hashes and indexes. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {

    public static final Duration DEFAULT_SIGN_INTERVAL = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_BATCH = 1024;
    /** Appends queued beyond this wait for the writer (about a second of its work): the queue never fills the heap. */
    private static final int MAX_QUEUED = 16 * MAX_BATCH;

    private sealed interface Write {}

    private record Append(List<AuditEvent> events) implements Write {}

    private record StoreHead(SignedTreeHead head) implements Write {}

    /** Thins the heads signed before {@code beforeMillis}, one chunk: succeeds with whether more remain. */
    private record ThinHeads(long beforeMillis, int chunk) implements Write {}

    /**
     * Of a clock hour that ended more than this long ago only the last head is kept, so every head
     * signed within this long stays (decision record 2026-11-28-thinning-tree-heads): a head a second
     * would otherwise add ~300 MB a day.
     */
    static final Duration HEADS_KEPT_WHOLE = Duration.ofHours(1);
    private static final long HOUR_MILLIS = Duration.ofHours(1).toMillis();
    /** Heads looked at in one thinning write, so that appends wait at most one such delete. */
    private static final int THIN_CHUNK = 5_000;
    private static final long THIN_EVERY_MILLIS = Duration.ofMinutes(10).toMillis();

    /** What has been committed: readers see only this. */
    private record Committed(long size, byte[] root) {}

    private final Path file;
    private final Supplier<SigningKeyset> signer;
    private final Clock clock;
    private final Connection writer;
    /** The writer thread's own; others read {@link #committed}. */
    private Frontier frontier;
    private final GroupCommitter<Write> committer;
    private final Connection reader;
    private final AuditDb.HashReader hashes;
    /** Guards the one reader connection that proofs and entry reads share. */
    private final ReentrantLock readerLock = new ReentrantLock();
    private final ReentrantLock signLock = new ReentrantLock();
    private final ReentrantReadWriteLock intake = new ReentrantReadWriteLock();
    private final ScheduledExecutorService scheduler;
    private volatile Committed committed;
    private volatile Optional<SignedTreeHead> latestHead;
    /** The writer thread's: heads up to this tree size are thinned (-1: none yet, in this process; thinning again is cheap). */
    private long thinnedThrough = -1;
    /** The signer thread's: when to thin next. */
    private long nextThinAt;
    /** Guarded by {@link #intake}: appends hold its read lock, close() its write lock. */
    private boolean closing;
    private volatile boolean closed;

    /** Opens (creating if need be) the log in {@code file}, signing every second with the system clock. */
    public AuditLog(Path file, SigningKeyset signer) {
        this(file, signer, DEFAULT_SIGN_INTERVAL, Clock.systemUTC());
    }

    /**
     * Opens (creating if need be) the log in {@code file} and rebuilds the tree's right edge from the
     * stored leaf hashes.
     *
     * @param signInterval how often to sign a tree head when entries were added; {@link Duration#ZERO}
     *                     signs only on {@link #signTreeHead()} and at {@link #close()}
     * @param clock        stamps tree heads
     * @throws AuditException if the file cannot be opened, has another schema version, lacks an entry,
     *                        or its entries no longer match its latest signed tree head
     */
    public AuditLog(Path file, SigningKeyset signer, Duration signInterval, Clock clock) {
        this(file, signer, signInterval, clock, Duration.ZERO);
    }

    /**
     * As above, with a commit delay: the writer waits this long after the first queued event before
     * it commits, so that events arriving meanwhile share the commit. For a log fed through
     * {@link #appendLater} by callers that do not wait: fewer fsyncs compete with the callers' own
     * writes, at the price of events staying in memory up to this much longer (and {@link #append}
     * returning up to this much later).
     */
    public AuditLog(Path file, SigningKeyset signer, Duration signInterval, Clock clock, Duration commitDelay) {
        this(file, fixed(signer), signInterval, clock, commitDelay);
    }

    private static Supplier<SigningKeyset> fixed(SigningKeyset signer) {
        Objects.requireNonNull(signer, "signer");
        return () -> signer;
    }

    /**
     * As above, each tree head signed with the primary of whatever keyset {@code signer} gives then:
     * a node whose keys rotate while it runs (its keyset keeps the old keys, so earlier heads verify).
     */
    public AuditLog(Path file, Supplier<SigningKeyset> signer, Duration signInterval, Clock clock, Duration commitDelay) {
        this.file = file.toAbsolutePath().normalize();
        this.signer = Objects.requireNonNull(signer, "signer");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (signInterval.isNegative() || commitDelay.isNegative()) {
            throw new IllegalArgumentException("signInterval and commitDelay must not be negative: " + signInterval + ", " + commitDelay);
        }
        Connection w = null;
        Connection r = null;
        try {
            Path dir = this.file.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            w = AuditDb.connect(this.file, false);
            AuditDb.migrate(w, this.file);
            this.latestHead = AuditDb.latestTreeHead(w);
            w.commit();
            if (latestHead.isPresent()) {
                // The entries are checked against this head's root below; a head whose signature is not this
                // node's (a forged one that matches rewritten entries) would otherwise be extended and signed.
                try {
                    latestHead.get().verify(signer.get().publicKeys());
                } catch (GeneralSecurityException e) {
                    throw new AuditException("the latest tree head of the audit log " + this.file + " (size " + latestHead.get().treeSize()
                            + ") is not signed by this node's keys: run bulwark audit verify");
                }
            }
            this.frontier = rebuild(w, latestHead);
            r = AuditDb.connect(this.file, true);
            this.hashes = new AuditDb.HashReader(r);
        } catch (SQLException | IOException | RuntimeException e) {
            closeQuietly(r);
            closeQuietly(w);
            if (e instanceof AuditException ae) {
                throw ae;
            }
            throw new AuditException("could not open the audit log " + this.file, e);
        }
        this.writer = w;
        this.reader = r;
        this.committed = new Committed(frontier.size(), frontier.root());
        this.committer = new GroupCommitter<>("bulwark-audit-writer " + this.file.getFileName(), MAX_BATCH, MAX_QUEUED, commitDelay, this::commit);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("bulwark-audit-signer").daemon(true).factory());
        if (signInterval.isPositive()) {
            long ms = Math.max(1, signInterval.toMillis());
            scheduler.scheduleWithFixedDelay(() -> {
                signIfGrown();
                thinIfDue();
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Streams the stored leaf hashes through a fresh frontier, checking that no index is missing and that
     * the latest signed head still matches. Reading the hashes and hashing them cost about the same
     * (~0.9 s each per million entries on the build machines), so a virtual thread reads while this one
     * hashes.
     */
    private Frontier rebuild(Connection c, Optional<SignedTreeHead> latest) throws SQLException {
        long checkAt = latest.map(SignedTreeHead::treeSize).orElse(-1L);
        Frontier f = new Frontier();
        Frontier.NodeSink ignore = (level, index, hash) -> { };
        boolean headMatches = checkAt != 0 || MessageDigest.isEqual(f.root(), latest.get().rootHash());
        LeafHashReader reader = new LeafHashReader(c);
        Thread readerThread = Thread.ofVirtual().name("bulwark-audit-open").start(reader);
        for (byte[][] chunk = reader.next(); chunk.length > 0; chunk = reader.next()) {
            for (byte[] hash : chunk) {
                f.append(hash, ignore);
                if (f.size() == checkAt) {
                    headMatches = MessageDigest.isEqual(f.root(), latest.get().rootHash());
                }
            }
        }
        joinUninterruptibly(readerThread);
        if (reader.failure != null) {
            throw reader.failure;
        }
        c.commit();
        if (reader.missing >= 0) {
            throw new AuditException("the audit log " + file + " lacks entry " + reader.missing + ": run bulwark audit verify");
        }
        if (f.size() < checkAt) {
            throw new AuditException("the audit log " + file + " has " + f.size() + " entries but its latest tree head covers "
                    + checkAt + ": run bulwark audit verify");
        }
        if (!headMatches) {
            throw new AuditException("the entries of the audit log " + file + " no longer match its tree head at size "
                    + checkAt + ": run bulwark audit verify");
        }
        return f;
    }

    /** Reads leaf hashes in index order into chunks; stops at the first missing index. Ends with an empty chunk. */
    private static final class LeafHashReader implements Runnable {
        private static final int CHUNK = 8192;
        private final Connection c;
        private final ArrayBlockingQueue<byte[][]> chunks = new ArrayBlockingQueue<>(4);
        private volatile SQLException failure;
        private volatile long missing = -1;

        LeafHashReader(Connection c) {
            this.c = c;
        }

        @Override
        public void run() {
            try (Statement s = c.createStatement()) {
                s.setFetchSize(CHUNK);
                try (ResultSet rs = s.executeQuery("SELECT idx, leaf_hash FROM audit_entry ORDER BY idx")) {
                    long expected = 0;
                    byte[][] chunk = new byte[CHUNK][];
                    int n = 0;
                    while (rs.next()) {
                        if (rs.getLong(1) != expected) {
                            missing = expected;
                            break;
                        }
                        expected++;
                        chunk[n++] = rs.getBytes(2);
                        if (n == CHUNK) {
                            put(chunk);
                            chunk = new byte[CHUNK][];
                            n = 0;
                        }
                    }
                    if (n > 0) {
                        put(Arrays.copyOf(chunk, n));
                    }
                }
            } catch (SQLException e) {
                failure = e;
            } finally {
                put(new byte[0][]);
            }
        }

        /** The next chunk; empty at the end. Uninterruptible: the reader always ends with an empty chunk. */
        byte[][] next() {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return chunks.take();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void put(byte[][] chunk) {
            while (true) {
                try {
                    chunks.put(chunk);
                    return;
                } catch (InterruptedException e) {
                    // nobody interrupts this thread: it is private to the constructor
                }
            }
        }
    }

    // ---- appending ---------------------------------------------------------------------------

    /**
     * Appends an event and returns its index once it is durable.
     *
     * @throws AuditException if the log is closed or the write failed
     */
    public long append(AuditEvent event) {
        return appendAll(List.of(Objects.requireNonNull(event, "event")));
    }

    /**
     * Appends events as consecutive entries, in one transaction, and returns the first one's index once
     * all are durable. For an empty list, returns the current size.
     *
     * @throws AuditException if the log is closed or the write failed
     */
    public long appendAll(List<AuditEvent> events) {
        List<AuditEvent> all = List.copyOf(events);
        CompletableFuture<Object> done;
        intake.readLock().lock();
        try {
            if (closing) {
                throw new AuditException("could not append to the audit log " + file + ": it is closed");
            }
            done = committer.submit(new Append(all));
        } finally {
            intake.readLock().unlock();
        }
        return (Long) await(done, "append to the audit log " + file);
    }

    /**
     * Queues an event and returns at once; the future completes with its index once it is durable
     * (within one group commit, normally a few milliseconds). Entries take the order of the calls, so
     * a caller that queues A before B finds A before B in the log. For callers that must not wait for
     * the audit fsync (the node's publish path): a crash may lose events queued in the last commit
     * window, never reorder or alter them.
     *
     * @throws AuditException if the log is closed
     */
    public CompletableFuture<Long> appendLater(AuditEvent event) {
        Objects.requireNonNull(event, "event");
        intake.readLock().lock();
        try {
            if (closing) {
                throw new AuditException("could not append to the audit log " + file + ": it is closed");
            }
            return committer.submit(new Append(List.of(event))).thenApply(index -> (Long) index);
        } finally {
            intake.readLock().unlock();
        }
    }

    private void commit(List<Pending<Write>> batch) throws SQLException {
        Frontier f = frontier.copy();
        SignedTreeHead newest = null;
        long thinned = thinnedThrough;
        try (PreparedStatement entry = writer.prepareStatement("INSERT INTO audit_entry (idx, leaf, leaf_hash) VALUES (?, ?, ?)");
             PreparedStatement node = writer.prepareStatement("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)");
             PreparedStatement head = writer.prepareStatement(
                     "INSERT INTO audit_tree_head (tree_size, root_hash, timestamp_ms, signature) VALUES (?, ?, ?, ?)")) {
            List<Object[]> nodes = new ArrayList<>();
            Frontier.NodeSink cache = (level, index, hash) -> {
                if (level >= AuditDb.CACHE_LEVEL) {
                    nodes.add(new Object[] {level, index, hash});
                }
            };
            for (Pending<Write> p : batch) {
                switch (p.item()) {
                    case Append(List<AuditEvent> events) -> {
                        p.succeed(f.size());
                        for (AuditEvent e : events) {
                            byte[] leaf = LeafCodec.encode(f.size(), e);
                            byte[] hash = Hashes.leaf(leaf);
                            entry.setLong(1, f.size());
                            entry.setBytes(2, leaf);
                            entry.setBytes(3, hash);
                            entry.addBatch();
                            f.append(hash, cache);
                        }
                    }
                    case StoreHead(SignedTreeHead h) -> {
                        head.setLong(1, h.treeSize());
                        head.setBytes(2, h.rootHash());
                        head.setLong(3, h.timestamp().toEpochMilli());
                        head.setBytes(4, h.signature());
                        head.addBatch();
                        newest = h;
                        p.succeed(h);
                    }
                    case ThinHeads(long before, int chunk) -> {
                        Thinned t = thinChunk(thinned, before, chunk);
                        thinned = t.through();
                        p.succeed(t.more());
                    }
                }
            }
            for (Object[] n : nodes) {
                node.setInt(1, (Integer) n[0]);
                node.setLong(2, (Long) n[1]);
                node.setBytes(3, (byte[]) n[2]);
                node.addBatch();
            }
            entry.executeBatch();
            node.executeBatch();
            head.executeBatch();
            writer.commit();
        } catch (SQLException | RuntimeException e) {
            writer.rollback();
            throw e;
        }
        // Only now, after the commit: readers never see an entry that could still be rolled back.
        frontier = f;
        thinnedThrough = thinned;
        committed = new Committed(f.size(), f.root());
        if (newest != null) {
            latestHead = Optional.of(newest);
        }
    }

    // ---- tree heads --------------------------------------------------------------------------

    /** The number of durable entries. */
    public long size() {
        return committed.size();
    }

    /** The root hash over all durable entries. */
    public byte[] rootHash() {
        return committed.root().clone();
    }

    /** The most recently signed tree head, if any was signed. */
    public Optional<SignedTreeHead> latestTreeHead() {
        return latestHead;
    }

    /** The signed tree head for {@code treeSize} entries, if one was signed at that size. */
    public Optional<SignedTreeHead> treeHead(long treeSize) {
        return read("read the tree head at size " + treeSize, () -> {
            try (PreparedStatement s = reader.prepareStatement(
                    "SELECT tree_size, root_hash, timestamp_ms, signature FROM audit_tree_head WHERE tree_size = ?")) {
                s.setLong(1, treeSize);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(AuditDb.head(rs)) : Optional.empty();
                }
            }
        });
    }

    /**
     * Signs and stores a tree head for the current size, and returns it once durable; if the latest head
     * already covers the current size, returns that one.
     *
     * @throws AuditException if signing or storing fails, or the log is closed
     */
    public SignedTreeHead signTreeHead() {
        signLock.lock();
        try {
            Committed now = committed;
            Optional<SignedTreeHead> latest = latestHead;
            if (latest.isPresent() && latest.get().treeSize() == now.size()) {
                return latest.get();
            }
            Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            byte[] signature;
            try {
                signature = signer.get().sign(SignedTreeHead.signingInput(now.size(), now.root(), at));
            } catch (GeneralSecurityException e) {
                throw new AuditException("could not sign the audit log's tree head at size " + now.size(), e);
            }
            SignedTreeHead head = new SignedTreeHead(now.size(), now.root(), at, signature);
            return (SignedTreeHead) await(committer.submit(new StoreHead(head)), "store the tree head at size " + now.size());
        } finally {
            signLock.unlock();
        }
    }

    private void signIfGrown() {
        try {
            if (latestHead.map(SignedTreeHead::treeSize).orElse(-1L) != committed.size()) {
                signTreeHead();
            }
        } catch (RuntimeException e) {
            // Interrupted only by close() (shutdownNow), which signs the final head itself: nothing went wrong.
            if (Thread.currentThread().isInterrupted()) return;
            // Retried at the next interval; appends go on meanwhile.
            LOG.warn("could not sign the audit log's tree head: {}", e.getMessage(), e);
        }
    }

    private record Thinned(long through, boolean more) {}

    /**
     * Deletes, among the first {@code chunk} heads above tree size {@code after} — as far as the first
     * one signed at or after {@code before} — every one but the last of its hour. Only whole hours are
     * passed in, so each hour is thinned once; an hour split across two chunks keeps one head more. The
     * latest head is the last of its hour and stays. It runs in the writer's transaction with the
     * appends of its batch, as every write does: a delete that failed would fail them too.
     */
    private Thinned thinChunk(long after, long before, int chunk) throws SQLException {
        long through = after;
        int seen = 0;
        // In tree order, up to the first head not yet old enough: the cursor never passes a head that is
        // to be thinned later (a clock set back stamps a later head earlier).
        try (PreparedStatement s = writer.prepareStatement("SELECT tree_size, timestamp_ms FROM audit_tree_head WHERE tree_size > ?"
                + " ORDER BY tree_size LIMIT ?")) {
            s.setLong(1, after);
            s.setInt(2, chunk);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next() && rs.getLong(2) < before) {
                    through = rs.getLong(1);
                    seen++;
                }
            }
        }
        if (seen > 0) {
            try (PreparedStatement d = writer.prepareStatement("DELETE FROM audit_tree_head WHERE tree_size > ?1 AND tree_size <= ?2"
                    + " AND timestamp_ms < ?3 AND tree_size NOT IN (SELECT MAX(tree_size) FROM audit_tree_head"
                    + " WHERE tree_size > ?1 AND tree_size <= ?2 AND timestamp_ms < ?3 GROUP BY timestamp_ms / " + HOUR_MILLIS + ")")) {
                d.setLong(1, after);
                d.setLong(2, through);
                d.setLong(3, before);
                d.executeUpdate();
            }
        }
        return new Thinned(through, seen == chunk);
    }

    /**
     * Thins one chunk of the heads older than {@link #HEADS_KEPT_WHOLE} (whole hours only), and
     * returns whether more may remain. The background task calls it every ten minutes, and at
     * every tick while a backlog remains (a log from before thinning).
     */
    boolean thinTreeHeads(int chunk) {
        long before = Math.floorDiv(clock.millis() - HEADS_KEPT_WHOLE.toMillis(), HOUR_MILLIS) * HOUR_MILLIS;
        return (Boolean) await(committer.submit(new ThinHeads(before, chunk)), "thin the audit log's tree heads");
    }

    private void thinIfDue() {
        long now = clock.millis();
        if (now < nextThinAt) return;
        nextThinAt = now + THIN_EVERY_MILLIS;
        try {
            if (thinTreeHeads(THIN_CHUNK)) nextThinAt = now;
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) return;
            LOG.warn("could not thin the audit log's tree heads: {}", e.getMessage(), e);
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    /** The entry at {@code index}. */
    public Optional<AuditEntry> entry(long index) {
        return read("read audit entry " + index, () -> {
            if (index < 0 || index >= committed.size()) {
                return Optional.empty();
            }
            try (PreparedStatement s = reader.prepareStatement("SELECT leaf, leaf_hash FROM audit_entry WHERE idx = ?")) {
                s.setLong(1, index);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    byte[] leaf = rs.getBytes(1);
                    try {
                        return Optional.of(new AuditEntry(index, LeafCodec.decode(leaf).event(), leaf, rs.getBytes(2)));
                    } catch (InvalidAuditEventException e) {
                        throw new AuditException("audit entry " + index + " in " + file + " is malformed (" + e.getMessage()
                                + "): run bulwark audit verify");
                    }
                }
            }
        });
    }

    /**
     * Up to {@code limit} durable entries from index {@code from} on, oldest first; with {@code since},
     * only those whose event time is at or after it.
     */
    public List<AuditEntry> entries(long from, int limit, Optional<Instant> since) {
        return entries(from, Long.MAX_VALUE, limit, since);
    }

    /**
     * As {@link #entries(long, int, Optional)}, looking only at indexes below {@code to}: a caller
     * filtering by time bounds how much of the log one call reads (the time is not indexed).
     */
    public List<AuditEntry> entries(long from, long to, int limit, Optional<Instant> since) {
        long upTo = Math.min(to, committed.size());
        return read("read audit entries from " + from, () -> {
            try (PreparedStatement s = reader.prepareStatement("SELECT idx, leaf, leaf_hash FROM audit_entry WHERE idx >= ? AND idx < ? "
                    + "AND json_extract(CAST(leaf AS TEXT), '$.time') >= ? ORDER BY idx LIMIT ?")) {
                s.setLong(1, Math.max(0, from));
                s.setLong(2, upTo);
                s.setLong(3, since.map(Instant::toEpochMilli).orElse(0L));
                s.setInt(4, Math.max(0, limit));
                return entries(s);
            }
        });
    }

    /**
     * The {@code record.shared} and {@code record.received} entries about {@code subject} exchanged
     * with one peer nation ({@code details.peer}), oldest first, at most {@code limit}: filtered in the
     * query, so the record's other entries (reads, say) never crowd them out of the limit. Served by
     * an index on the leaves' subject, so a partner's question about one record does not read the
     * whole log.
     */
    public List<AuditEntry> exchangesAbout(String subject, String peerNation, int limit) {
        long upTo = committed.size();
        return read("read the audit entries about " + subject + " exchanged with " + peerNation, () -> {
            try (PreparedStatement s = reader.prepareStatement("SELECT idx, leaf, leaf_hash FROM audit_entry WHERE "
                    + AuditDb.SUBJECT + " = ? AND idx < ? AND json_extract(CAST(leaf AS TEXT), '$.type') IN (?, ?) "
                    + "AND json_extract(CAST(leaf AS TEXT), '$.details.peer') = ? ORDER BY idx LIMIT ?")) {
                s.setString(1, subject);
                s.setLong(2, upTo);
                s.setString(3, AuditEvent.Type.SHARED.wireName());
                s.setString(4, AuditEvent.Type.RECEIVED.wireName());
                s.setString(5, peerNation);
                s.setInt(6, Math.max(0, limit));
                return entries(s);
            }
        });
    }

    private List<AuditEntry> entries(PreparedStatement s) throws SQLException {
        List<AuditEntry> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                long index = rs.getLong(1);
                byte[] leaf = rs.getBytes(2);
                try {
                    out.add(new AuditEntry(index, LeafCodec.decode(leaf).event(), leaf, rs.getBytes(3)));
                } catch (InvalidAuditEventException e) {
                    throw new AuditException("audit entry " + index + " in " + file + " is malformed (" + e.getMessage()
                            + "): run bulwark audit verify");
                }
            }
        }
        return out;
    }

    /**
     * The RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code treeSize}
     * entries.
     *
     * @throws IllegalArgumentException unless {@code 0 <= index < treeSize <= size()}
     */
    public InclusionProof inclusionProof(long index, long treeSize) {
        long size = committed.size();
        if (treeSize < 1 || treeSize > size) {
            throw new IllegalArgumentException("tree size " + treeSize + " must lie between 1 and the log's size " + size);
        }
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("entry " + index + " is not in a tree of " + treeSize + " entries");
        }
        return read("prove entry " + index, () -> new InclusionProof(index, treeSize, Proofs.inclusion(hashes, index, treeSize)));
    }

    /**
     * The RFC 9162 consistency proof between the trees of the first {@code oldSize} and
     * {@code newSize} entries (empty when {@code oldSize} is 0 or equals {@code newSize}).
     *
     * @throws IllegalArgumentException unless {@code 0 <= oldSize <= newSize <= size()}
     */
    public ConsistencyProof consistencyProof(long oldSize, long newSize) {
        long size = committed.size();
        if (newSize > size || oldSize < 0 || oldSize > newSize) {
            throw new IllegalArgumentException("sizes " + oldSize + " and " + newSize
                    + " must satisfy 0 <= old <= new <= the log's size " + size);
        }
        return read("prove consistency from " + oldSize + " to " + newSize,
                () -> new ConsistencyProof(oldSize, newSize, Proofs.consistency(hashes, oldSize, newSize)));
    }

    /** The root hash of the tree of the first {@code treeSize} entries, from stored hashes. */
    public byte[] rootHash(long treeSize) {
        long size = committed.size();
        if (treeSize < 0 || treeSize > size) {
            throw new IllegalArgumentException("tree size " + treeSize + " must lie between 0 and the log's size " + size);
        }
        return treeSize == 0 ? Hashes.empty() : read("hash the tree of size " + treeSize, () -> Proofs.hash(hashes, 0, treeSize));
    }

    /**
     * Writes the entries as JSON Lines for a SIEM, oldest first, one per line:
     * {@code {"index":N,"leafHash":"<64 hex>","entry":<the leaf>}} where the entry is the stored leaf
     * byte for byte (so {@code SHA-256(0x00 || entry)} is the leaf hash). See docs/formats/audit-log.md.
     *
     * @param since only events whose time is at or after this instant
     * @return the number of lines written
     * @throws UncheckedIOException if {@code out} fails
     */
    public long export(OutputStream out, Optional<Instant> since) {
        return export(file, committed.size(), out, since);
    }

    /**
     * As {@link #export(OutputStream, Optional)}, from the file alone: one read-only snapshot, safe
     * while the node that owns the log is running (SQLite WAL lets readers beside the one writer).
     *
     * @throws AuditException if there is no log at {@code file} or it cannot be read
     */
    public static long export(Path file, OutputStream out, Optional<Instant> since) {
        return export(file, Long.MAX_VALUE, out, since);
    }

    private static long export(Path file, long upTo, OutputStream out, Optional<Instant> since) {
        HexFormat hex = HexFormat.of();
        try (Connection c = AuditDb.connect(file, true);
             PreparedStatement s = c.prepareStatement("SELECT idx, leaf, leaf_hash FROM audit_entry WHERE idx < ? ORDER BY idx")) {
            c.setAutoCommit(false); // one read transaction: one snapshot, however long the export takes
            s.setLong(1, upTo);
            s.setFetchSize(4096);
            long lines = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    long index = rs.getLong(1);
                    byte[] leaf = rs.getBytes(2);
                    if (since.isPresent() && LeafCodec.decode(leaf).event().time().isBefore(since.get())) {
                        continue;
                    }
                    out.write(("{\"index\":" + index + ",\"leafHash\":\"" + hex.formatHex(rs.getBytes(3)) + "\",\"entry\":")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(leaf);
                    out.write('}');
                    out.write('\n');
                    lines++;
                }
            }
            c.rollback();
            out.flush();
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the audit export", e);
        } catch (SQLException e) {
            throw new AuditException("could not read the audit log " + file + " for export", e);
        } catch (InvalidAuditEventException e) {
            throw new AuditException("could not export the audit log " + file + ": a stored entry is malformed ("
                    + e.getMessage() + "); run bulwark audit verify");
        }
    }

    /** Checks this log's file against this log's signing keys; see {@link AuditVerifier}. */
    public AuditVerification verify() {
        return AuditVerifier.verify(file, signer.get().publicKeys());
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    // ---- closing -----------------------------------------------------------------------------

    /** Stops taking appends, commits those queued, signs a final tree head and closes the file. */
    @Override
    public void close() {
        intake.writeLock().lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
        } finally {
            intake.writeLock().unlock();
        }
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // Appends accepted before closing are queued ahead of this barrier, so the head covers them.
            await(committer.submit(new Append(List.of())), "flush the audit log");
            signTreeHead();
        } catch (AuditException e) {
            LOG.warn("closing the audit log {} without a final tree head: {}", file, e.getMessage(), e);
        }
        committer.close();
        readerLock.lock();
        try {
            closed = true;
            closeQuietly(hashes);
            closeQuietly(reader);
        } finally {
            readerLock.unlock();
        }
        closeQuietly(writer);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @FunctionalInterface
    private interface SqlRead<R> {
        R run() throws SQLException;
    }

    private <R> R read(String what, SqlRead<R> body) {
        readerLock.lock();
        try {
            if (closed) {
                throw new AuditException("could not " + what + ": the audit log is closed");
            }
            return body.run();
        } catch (SQLException e) {
            throw new AuditException("could not " + what + " from the audit log " + file, e);
        } finally {
            readerLock.unlock();
        }
    }

    private static Object await(CompletableFuture<Object> done, String what) {
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuditException("interrupted while waiting to " + what + "; the write may still complete");
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException) {
                throw new AuditException("could not " + what + ": the log is closed");
            }
            throw new AuditException("could not " + what, cause);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("could not close an audit log resource", e);
        }
    }
}
