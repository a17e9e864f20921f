package io.bulwark.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: many callers submit one write each; a single writer thread takes everything queued,
 * hands it to the batch handler as one transaction (one commit, one fsync) and only then completes
 * each caller's future. Under load the cost of an fsync is shared by every write that arrived while
 * the previous one ran; at rest a write waits for no one.
 *
 * <p>A single writer also orders the database's writes, so change-log sequence numbers follow
 * commit order.
 *
 * @param <T> what a caller submits
 */
public final class GroupCommitter<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    /**
     * One submitted write. The handler stages its outcome with {@link #succeed} or {@link #fail};
     * the caller's future completes with it only after the handler returns, i.e. after the commit.
     */
    public static final class Pending<T> {
        private final T item;
        private final CompletableFuture<Object> future = new CompletableFuture<>();
        private Object result;
        private RuntimeException failure;
        private boolean staged;

        private Pending(T item) {
            this.item = item;
        }

        public T item() {
            return item;
        }

        public void succeed(Object value) {
            result = value;
            failure = null;
            staged = true;
        }

        public void fail(RuntimeException e) {
            failure = Objects.requireNonNull(e);
            result = null;
            staged = true;
        }

        private void complete() {
            if (!staged) {
                future.completeExceptionally(new IllegalStateException("the batch handler left a write without an outcome"));
            } else if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(result);
            }
        }
    }

    /**
     * Applies a batch as one transaction and commits it. Stages an outcome for each write; a write
     * that fails alone (its own fault) is staged as failed and the others still commit. Throwing
     * means the whole batch was rolled back: every write in it fails with that exception.
     */
    @FunctionalInterface
    public interface BatchHandler<T> {
        void commit(List<Pending<T>> batch);
    }

    private final String name;
    private final int maxBatch;
    private final long lingerNanos;
    private final BatchHandler<T> handler;
    private final LinkedBlockingQueue<Pending<T>> queue = new LinkedBlockingQueue<>();
    private final ReentrantLock lifecycle = new ReentrantLock();
    /** Queued by close() as the last element: the writer commits what precedes it, then stops. */
    private final Pending<T> stop = new Pending<>(null);
    private final Thread writer;
    private boolean closed;

    /**
     * Starts the writer thread.
     *
     * @param name     the thread's name, for diagnostics
     * @param maxBatch the most writes in one transaction (bounds the latency of a commit)
     */
    public GroupCommitter(String name, int maxBatch, BatchHandler<T> handler) {
        this(name, maxBatch, Duration.ZERO, handler);
    }

    /**
     * Starts the writer thread, which under load waits up to {@code linger} after a batch's first
     * write for more before committing. A commit costs far more than a write in it (the metadata
     * schema in SQLite, measured from Python's sqlite3: ~150 µs of CPU a record at 8 records a
     * commit, ~70 µs at 64), so fuller batches leave CPU for the requests themselves. "Under load" means the previous batch held more than one write: a lone write at
     * rest never waits.
     *
     * @param linger how long to wait for more writes under load; zero never waits
     */
    public GroupCommitter(String name, int maxBatch, Duration linger, BatchHandler<T> handler) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive: " + maxBatch);
        }
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: " + linger);
        }
        this.lingerNanos = linger.toNanos();
        this.name = name;
        this.maxBatch = maxBatch;
        this.handler = Objects.requireNonNull(handler);
        // A platform thread: it lives as long as the store and spends its time in native database calls.
        this.writer = Thread.ofPlatform().name(name).daemon(true).start(this::run);
    }

    /**
     * Queues a write. The future completes once the write's transaction has committed, with the
     * value the handler staged, or exceptionally.
     *
     * @throws StoreException if the committer is closed
     */
    public CompletableFuture<Object> submit(T item) {
        Pending<T> p = new Pending<>(item);
        lifecycle.lock();
        try {
            if (closed) {
                throw new StoreException(name + ": the store is closed");
            }
            queue.add(p);
        } finally {
            lifecycle.unlock();
        }
        return p.future;
    }

    /** How many writes wait for the writer; for tests and metrics. */
    public int queued() {
        return queue.size();
    }

    /** Stops taking writes, commits those already queued, and waits for the writer to finish. */
    @Override
    public void close() {
        lifecycle.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            // Added under the lock after closed is set, so no write can queue behind it.
            queue.add(stop);
        } finally {
            lifecycle.unlock();
        }
        boolean interrupted = false;
        while (true) {
            try {
                writer.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<Pending<T>> batch = new ArrayList<>(maxBatch);
        int previous = 0;
        while (true) {
            batch.add(takeUninterruptibly());
            queue.drainTo(batch, maxBatch - 1);
            if (lingerNanos > 0 && previous > 1) {
                linger(batch);
            }
            previous = batch.size();
            boolean stopping = batch.remove(stop);
            if (!batch.isEmpty()) {
                commit(batch);
            }
            batch.clear();
            if (stopping) {
                return;
            }
        }
    }

    /** Adds writes arriving within the linger, until the batch is full or close() queued its marker. */
    private void linger(List<Pending<T>> batch) {
        long deadline = System.nanoTime() + lingerNanos;
        while (batch.size() < maxBatch && !batch.getLast().equals(stop)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Pending<T> next = queue.poll(left, TimeUnit.NANOSECONDS);
                if (next == null) {
                    return;
                }
                batch.add(next);
                queue.drainTo(batch, maxBatch - batch.size());
            } catch (InterruptedException e) {
                return; // nobody interrupts the writer on purpose; commit what there is
            }
        }
    }

    private Pending<T> takeUninterruptibly() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // Nobody interrupts the writer on purpose; close() uses the stop marker.
            }
        }
    }

    private void commit(List<Pending<T>> batch) {
        try {
            handler.commit(batch);
        } catch (RuntimeException | Error e) {
            RuntimeException failure = e instanceof StoreException se ? se
                    : new StoreException(name + ": the write failed unexpectedly", e);
            LOG.error("{}: a batch of {} writes was rolled back", name, batch.size(), e);
            for (Pending<T> p : batch) {
                p.fail(failure);
            }
        }
        for (Pending<T> p : batch) {
            p.complete();
        }
    }
}
