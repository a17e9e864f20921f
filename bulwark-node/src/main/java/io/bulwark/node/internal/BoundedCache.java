package io.bulwark.node.internal;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A thread-safe map of results worth keeping, of bounded size: once it holds {@code capacity}
 * entries, the next insertion empties it first.
 *
 * <p>Why clear-on-overflow rather than LRU: the keys it serves (verified tokens, label texts,
 * principals) repeat heavily in normal traffic, so after a clear the working set comes back within a
 * few requests; an LRU would need a lock or per-entry bookkeeping on every hit, which is the hot
 * path. A caller who floods it with distinct keys costs others a refill, never unbounded memory.
 * No {@code ThreadLocal}s, no locks on a hit (a {@link ConcurrentHashMap} read).
 *
 * <p>The bound: at most {@code capacity} entries, plus transiently one per thread inserting at the
 * same moment (a check-then-insert race that is not worth a lock).
 *
 * <p>Only values derived purely from the key (and fixed state of the owner) belong here: the owner
 * must re-check anything that can change over time on every hit.
 */
public final class BoundedCache<K, V> {

    private final ConcurrentHashMap<K, V> map;
    private final int capacity;

    /** An empty cache of at most {@code capacity} entries (more than zero). */
    public BoundedCache(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be more than zero, not " + capacity);
        }
        this.capacity = capacity;
        this.map = new ConcurrentHashMap<>(Math.min(capacity, 1024));
    }

    /** The value kept for {@code key}, or null. */
    public V get(K key) {
        return map.get(key);
    }

    /** Keeps {@code value} for {@code key}, emptying the cache first if it is full. */
    public void put(K key, V value) {
        Objects.requireNonNull(value, "value");
        if (map.size() >= capacity && !map.containsKey(key)) {
            map.clear();
        }
        map.put(key, value);
    }

    /**
     * The value kept for {@code key}, or {@code compute(key)} kept and returned. {@code compute} runs
     * outside any lock (two threads may both compute a missing value; the results are equal) and
     * what it throws is thrown here, with nothing kept — failures are never cached.
     */
    public V get(K key, Function<? super K, ? extends V> compute) {
        V v = map.get(key);
        if (v == null) {
            v = compute.apply(key);
            put(key, v);
        }
        return v;
    }

    /** Forgets {@code key}, if it is kept. */
    public void remove(K key) {
        map.remove(key);
    }

    /** Forgets {@code key} only while it maps to {@code value} (a newer entry stays). */
    public void remove(K key, V value) {
        map.remove(key, value);
    }

    /** How many entries are kept now. */
    public int size() {
        return map.size();
    }

    /** The most entries kept (bar the race described above). */
    public int capacity() {
        return capacity;
    }
}
