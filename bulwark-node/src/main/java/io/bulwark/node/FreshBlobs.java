package io.bulwark.node;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The blobs of the records this node published last, kept in memory up to a few MiB: every peer's
 * feed reads a record within milliseconds of its publish, and so may its first readers. From here
 * they skip the site read and its SHA-256 check, which cost the origin one pass over the record per
 * peer. The bytes are the very array that was hashed and stored, never handed out to be written.
 * Oldest first out; a deleted or discarded blob leaves at once.
 */
final class FreshBlobs {

    private final long capacity;
    private final Map<String, byte[]> blobs = new LinkedHashMap<>();
    private long bytes;

    FreshBlobs(long capacity) {
        this.capacity = capacity;
    }

    synchronized void put(String key, byte[] blob) {
        remove(key);
        if (blob.length > capacity / 16) return; // large payloads would push out many records for one read
        blobs.put(key, blob);
        bytes += blob.length;
        for (Iterator<byte[]> oldest = blobs.values().iterator(); bytes > capacity; ) {
            bytes -= oldest.next().length;
            oldest.remove();
        }
    }

    synchronized Optional<byte[]> get(String key) {
        return Optional.ofNullable(blobs.get(key));
    }

    synchronized void remove(String key) {
        byte[] gone = blobs.remove(key);
        if (gone != null) bytes -= gone.length;
    }

    synchronized long bytes() {
        return bytes;
    }
}
