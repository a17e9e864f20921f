package io.bulwark.store.blob;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Where a pack's live records lie: a hash of each key mapped to its record's location (segment
 * number and offset), 16 bytes a blob in two open-addressed arrays, so that a node holding a
 * million small blobs keeps ~32 MiB of index, not a key string and three objects per blob.
 * The key itself is not kept: it is in the record, and whoever finds a location by hash checks the
 * record's key (two keys may share a hash; both then have entries). Thread-safe; every method is
 * short and holds the monitor.
 */
final class PackIndex {

    private static final long[] NONE = {};
    private static final long EMPTY = 0; // no location is 0: segment numbers start at 1

    private long[] hashes = new long[1024];
    private long[] locations = new long[1024];
    private int size;

    /** A location: the segment's number in the high 32 bits, the record's offset in the low 32. */
    static long location(long segment, long offset) {
        if (segment < 1 || segment > Integer.MAX_VALUE || offset < 0 || offset > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("no location for segment " + segment + ", offset " + offset);
        }
        return segment << 32 | offset;
    }

    static long segment(long location) {
        return location >>> 32;
    }

    static long offset(long location) {
        return location & 0xFFFF_FFFFL;
    }

    /** The locations indexed under the hash: usually none or one. */
    synchronized long[] find(long hash) {
        long[] found = NONE;
        for (int i = slot(hash); locations[i] != EMPTY; i = next(i)) {
            if (hashes[i] == hash) {
                found = Arrays.copyOf(found, found.length + 1);
                found[found.length - 1] = locations[i];
            }
        }
        return found;
    }

    synchronized boolean contains(long hash, long location) {
        return indexOf(hash, location) >= 0;
    }

    synchronized void add(long hash, long location) {
        if (location == EMPTY) throw new IllegalArgumentException("location 0");
        if (size + 1 > locations.length * 5L / 8) grow();
        int i = slot(hash);
        while (locations[i] != EMPTY) i = next(i);
        hashes[i] = hash;
        locations[i] = location;
        size++;
    }

    /** Points the entry (hash, from) at {@code to}; false if there is no such entry. */
    synchronized boolean replace(long hash, long from, long to) {
        int i = indexOf(hash, from);
        if (i < 0) return false;
        locations[i] = to;
        return true;
    }

    /** Removes the entry (hash, location); false if there is none. */
    synchronized boolean remove(long hash, long location) {
        int i = indexOf(hash, location);
        if (i < 0) return false;
        // Backward-shift deletion: move later entries of the probe run into the gap, so no tombstones are needed.
        int gap = i;
        for (int j = next(i); locations[j] != EMPTY; j = next(j)) {
            int home = slot(hashes[j]);
            boolean movable = gap <= j ? home <= gap || home > j : home <= gap && home > j;
            if (movable) {
                hashes[gap] = hashes[j];
                locations[gap] = locations[j];
                gap = j;
            }
        }
        hashes[gap] = 0;
        locations[gap] = EMPTY;
        size--;
        return true;
    }

    /** The entries in one segment as {hash, location} pairs, in offset order. */
    synchronized long[][] entriesIn(long segment) {
        long[][] pairs = new long[16][];
        int n = 0;
        for (int i = 0; i < locations.length; i++) {
            if (locations[i] != EMPTY && segment(locations[i]) == segment) {
                if (n == pairs.length) pairs = Arrays.copyOf(pairs, n * 2);
                pairs[n++] = new long[] {hashes[i], locations[i]};
            }
        }
        pairs = Arrays.copyOf(pairs, n);
        Arrays.sort(pairs, Comparator.comparingLong(p -> p[1]));
        return pairs;
    }

    /** The locations in one segment, in offset order: {@link #entriesIn} without the hashes, for listing. */
    synchronized long[] locationsIn(long segment) {
        long[] in = new long[64];
        int n = 0;
        for (long location : locations) {
            if (location != EMPTY && segment(location) == segment) {
                if (n == in.length) in = Arrays.copyOf(in, n * 2);
                in[n++] = location;
            }
        }
        in = Arrays.copyOf(in, n);
        Arrays.sort(in); // one segment: location order is offset order
        return in;
    }

    synchronized int size() {
        return size;
    }

    private int indexOf(long hash, long location) {
        for (int i = slot(hash); locations[i] != EMPTY; i = next(i)) {
            if (hashes[i] == hash && locations[i] == location) return i;
        }
        return -1;
    }

    private int slot(long hash) {
        return (int) (hash ^ hash >>> 32) & (locations.length - 1);
    }

    private int next(int i) {
        return (i + 1) & (locations.length - 1);
    }

    private void grow() {
        long[] oldHashes = hashes;
        long[] oldLocations = locations;
        hashes = new long[oldLocations.length * 2];
        locations = new long[oldLocations.length * 2];
        for (int i = 0; i < oldLocations.length; i++) {
            if (oldLocations[i] == EMPTY) continue;
            int j = slot(oldHashes[i]);
            while (locations[j] != EMPTY) j = next(j);
            hashes[j] = oldHashes[i];
            locations[j] = oldLocations[i];
        }
    }
}
