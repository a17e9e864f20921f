package io.bulwark.store.site;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;

import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A real blob store with the puts per key counted and a hook before each delete, to simulate a crash there. */
final class WrappedBlobStore implements BlobStore {

    final BlobStore real;
    final Map<String, AtomicInteger> puts = new ConcurrentHashMap<>();
    volatile Runnable beforeDelete = () -> { };
    /** Runs before each put, e.g. to make one site slow. */
    volatile Runnable beforePut = () -> { };
    /** What a read gets instead of the real stream, e.g. one that breaks part-way. */
    volatile java.util.function.UnaryOperator<InputStream> onOpen = in -> in;

    WrappedBlobStore(BlobStore real) {
        this.real = real;
    }

    @Override
    public BlobRef put(String key, InputStream content) {
        puts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        beforePut.run();
        return real.put(key, content);
    }

    @Override
    public BlobRef putCopy(BlobRef expected, InputStream content) {
        puts.computeIfAbsent(expected.key(), k -> new AtomicInteger()).incrementAndGet();
        beforePut.run();
        return real.putCopy(expected, content);
    }

    @Override
    public Optional<InputStream> open(String key) {
        return real.open(key).map(onOpen);
    }

    @Override
    public boolean delete(String key) {
        beforeDelete.run();
        return real.delete(key);
    }

    @Override
    public void deleteAll(java.util.Collection<String> keys) {
        keys.forEach(k -> beforeDelete.run());
        real.deleteAll(keys);
    }

    @Override
    public java.util.OptionalLong size(String key) {
        return real.size(key);
    }

    @Override
    public Stream<BlobEntry> list() {
        return real.list();
    }

    @Override
    public int deleteIncomplete(Instant startedBefore) {
        return real.deleteIncomplete(startedBefore);
    }

    @Override
    public void close() {
        real.close();
    }
}
