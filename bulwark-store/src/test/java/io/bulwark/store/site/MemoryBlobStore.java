package io.bulwark.store.site;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.StoreException;
import io.bulwark.store.TestRecords;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A blob store in memory that can be made to fail, and counts the puts it was asked for: for fast property tests. */
final class MemoryBlobStore implements BlobStore {

    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final AtomicInteger putAttempts = new AtomicInteger();
    volatile boolean failing;

    @Override
    public BlobRef put(String key, InputStream content) {
        putAttempts.incrementAndGet();
        try {
            byte[] bytes = content.readAllBytes();
            if (failing) throw new StoreException("could not store blob \"" + key + "\": site down");
            blobs.put(key, bytes);
            return new BlobRef(key, bytes.length, TestRecords.sha256(bytes));
        } catch (IOException e) {
            throw new StoreException("could not store blob \"" + key + "\"", e);
        }
    }

    @Override
    public Optional<InputStream> open(String key) {
        if (failing) throw new StoreException("could not open blob \"" + key + "\": site down");
        return Optional.ofNullable(blobs.get(key)).map(ByteArrayInputStream::new);
    }

    @Override
    public boolean delete(String key) {
        if (failing) throw new StoreException("could not delete blob \"" + key + "\": site down");
        return blobs.remove(key) != null;
    }

    @Override
    public java.util.OptionalLong size(String key) {
        if (failing) throw new StoreException("could not look up blob \"" + key + "\": site down");
        byte[] b = blobs.get(key);
        return b == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(b.length);
    }

    @Override
    public Stream<BlobEntry> list() {
        return blobs.entrySet().stream().map(e -> new BlobEntry(e.getKey(), e.getValue().length, Instant.EPOCH));
    }

    @Override
    public int deleteIncomplete(Instant startedBefore) {
        return 0;
    }

    @Override
    public void close() {
    }
}
