package io.bulwark.audit.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Group commit, as the metadata store does it: callers queue one write each; a single writer thread
 * takes everything queued and hands it to the handler as one transaction (one commit, one fsync),
 * then completes each caller's future. Under load one fsync serves every write that arrived while the
 * previous one ran; at rest a write waits for no one. The single writer also fixes the order of the
 * log's entries.
 */
public final class GroupCommitter<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    /** One queued write; the handler fills in its result. */
    public static final class Pending<T> {
        private final T item;
        private final CompletableFuture<Object> future = new CompletableFuture<>();
        private final long queuedAt = System.nanoTime();
        private Object result;

        private Pending(T item) {
            this.item = item;
        }

        public T item() {
            return item;
        }

        public void succeed(Object value) {
            result = value;
        }
    }

    /** Applies and commits a batch; throwing means it was rolled back and every write in it fails. */
    @FunctionalInterface
    public interface BatchHandler<T> {
        void commit(List<Pending<T>> batch) throws Exception;
    }

    private final int maxBatch;
    private final long lingerNanos;
    private final BatchHandler<T> handler;
    private final LinkedBlockingQueue<Pending<T>> queue = new LinkedBlockingQueue<>();
    /** Writes queued and not yet committed, at most this many: callers that do not wait for the commit wait here instead, not in the heap. */
    private final java.util.concurrent.Semaphore capacity;
    private final Pending<T> stop = new Pending<>(null);
    private final Thread writer;
    private boolean closed;

    /**
     * @param linger how long the writer waits after the first write of a batch for more to arrive:
     *               fewer, larger commits (fewer fsyncs competing with the caller's own) for callers
     *               that do not wait for the commit; zero commits at once. Only a batch that is not
     *               yet full waits, and only until its first write has waited this long: a writer that
     *               is behind commits full batches back to back
     * @param maxQueued writes queued and not yet committed at most; {@link #submit} waits for room
     *                  beyond that, so a writer that falls behind slows its callers rather than
     *                  filling memory with their writes (and a crash loses at most this many)
     */
    public GroupCommitter(String name, int maxBatch, int maxQueued, java.time.Duration linger, BatchHandler<T> handler) {
        if (maxBatch < 1 || maxQueued < maxBatch) throw new IllegalArgumentException("need 1 <= maxBatch <= maxQueued");
        this.maxBatch = maxBatch;
        this.capacity = new java.util.concurrent.Semaphore(maxQueued);
        this.lingerNanos = linger.toNanos();
        this.handler = handler;
        // A platform thread: it lives as long as the log and spends its time in native SQLite calls.
        this.writer = Thread.ofPlatform().name(name).daemon(true).start(this::run);
    }

    /**
     * Queues a write, first waiting for room if {@code maxQueued} writes are queued; the future
     * completes after its transaction commits, or exceptionally.
     */
    public CompletableFuture<Object> submit(T item) {
        capacity.acquireUninterruptibly(); // given back when the write's batch has committed or failed
        synchronized (this) {
            if (closed) {
                capacity.release();
                return CompletableFuture.failedFuture(new IllegalStateException("closed"));
            }
            Pending<T> p = new Pending<>(item);
            queue.add(p);
            // A full batch is waiting: a lingering writer need not wait any longer.
            if (queue.size() >= maxBatch - 1) java.util.concurrent.locks.LockSupport.unpark(writer);
            return p.future;
        }
    }

    /** Commits what is queued, then stops the writer. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(stop);
        }
        // Uninterruptible: returning early would let the caller close the database under queued writes.
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
        try {
            commitUntilStopped();
        } catch (Throwable t) {
            // The writer died (it catches what the handler throws, so only the JVM's own failures get here):
            // take no more writes, fail those queued, and let no caller wait for room that never comes.
            synchronized (this) {
                closed = true;
            }
            IllegalStateException dead = new IllegalStateException("the audit writer stopped: " + t);
            for (Pending<T> p; (p = queue.poll()) != null; ) p.future.completeExceptionally(dead);
            capacity.release(Integer.MAX_VALUE / 2);
            throw t;
        }
    }

    private void commitUntilStopped() {
        List<Pending<T>> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // nobody interrupts the writer on purpose; close() queues the stop marker
            }
            Pending<T> first = batch.getFirst();
            long wait = first.queuedAt + lingerNanos - System.nanoTime();
            if (lingerNanos > 0 && first != stop && wait > 0 && queue.size() < maxBatch - 1) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait); // submit wakes it early once a batch is full
            }
            queue.drainTo(batch, maxBatch - 1);
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

    private void commit(List<Pending<T>> batch) {
        try {
            handler.commit(batch);
        } catch (Exception | Error e) {
            batch.forEach(p -> p.future.completeExceptionally(e));
            LOG.error("a batch of {} audit writes was rolled back", batch.size(), e);
            return;
        } finally {
            capacity.release(batch.size()); // whatever happened: a lost permit would in the end block every caller
        }
        batch.forEach(p -> p.future.complete(p.result));
    }
}
