package io.bulwark.store;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes those waiting for a node's next change: a peer's standing feed request, a client's standing
 * request for changes — they answer at once instead of on a schedule. A waiter reads the version,
 * checks for what it wants, and only then awaits a move past that version, so that a signal between
 * the check and the wait is not lost. A signal may come without the change a waiter wants (it checks
 * again). (A lock and condition rather than {@code synchronized}, so virtual threads do not pin.)
 */
public final class ChangeSignal {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long version;

    public long version() {
        lock.lock();
        try {
            return version;
        } finally {
            lock.unlock();
        }
    }

    public void signal() {
        lock.lock();
        try {
            version++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the version moves past {@code seen} or the time is up; returns whether it moved. */
    public boolean await(long seen, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (version == seen) {
                if (nanos <= 0) return false;
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
