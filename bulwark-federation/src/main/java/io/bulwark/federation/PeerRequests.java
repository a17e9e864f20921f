package io.bulwark.federation;

import org.eclipse.jetty.util.Callback;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many feed requests each peer has in progress, from its arrival until its response is written:
 * a feed response is held whole in memory (up to a frame beyond 8 MiB) and each standing request
 * scans on every commit, so one pinned peer opening connection after connection could exhaust the
 * node. A link has one request out (two while it asks ahead, briefly more while a connection is
 * replaced); beyond {@value #PER_PEER} the node answers 429.
 */
final class PeerRequests {

    static final int PER_PEER = 4;

    private final ConcurrentHashMap<String, AtomicInteger> inProgress = new ConcurrentHashMap<>();

    /** A place taken: complete the response through {@link #callback}, or {@link #leave} if it never will be. */
    static final class Held implements Callback {
        private final Callback callback;
        private final AtomicInteger count;
        private final AtomicBoolean left = new AtomicBoolean();

        private Held(Callback callback, AtomicInteger count) {
            this.callback = callback;
            this.count = count;
        }

        /** Gives the place back (once). */
        void leave() {
            if (left.compareAndSet(false, true)) count.decrementAndGet();
        }

        @Override
        public void succeeded() {
            leave();
            callback.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            leave();
            callback.failed(x);
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }
    }

    /**
     * Takes a place for the peer; empty if it has {@value #PER_PEER} already. Else the callback to
     * complete the response with: it gives the place back once, when the response completes either way.
     */
    java.util.Optional<Held> enter(String fingerprint, Callback callback) {
        AtomicInteger n = inProgress.computeIfAbsent(fingerprint, f -> new AtomicInteger());
        if (n.incrementAndGet() > PER_PEER) {
            n.decrementAndGet();
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Held(callback, n));
    }

    /** The peer's requests in progress now. */
    int inProgress(String fingerprint) {
        AtomicInteger n = inProgress.get(fingerprint);
        return n == null ? 0 : n.get();
    }
}
