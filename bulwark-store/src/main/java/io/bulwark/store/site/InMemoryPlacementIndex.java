package io.bulwark.store.site;

import io.bulwark.store.BlobRef;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A {@link PlacementIndex} in memory, for tests and tools; not durable. */
public final class InMemoryPlacementIndex implements PlacementIndex {

    private final ConcurrentSkipListMap<String, Entry> entries = new ConcurrentSkipListMap<>();

    /** Records (or replaces) a record's entry, as the node does when a publish is acknowledged. */
    public void put(Entry entry) {
        entries.put(entry.recordId(), entry);
    }

    /** Forgets a record, as the node does when it retracts one. */
    public Optional<Entry> remove(String recordId) {
        return Optional.ofNullable(entries.remove(recordId));
    }

    @Override
    public Optional<Entry> get(String recordId) {
        return Optional.ofNullable(entries.get(recordId));
    }

    @Override
    public List<Entry> page(Set<String> siteIds, String after, int limit) {
        return entries.tailMap(after, false).values().stream()
                .filter(e -> siteIds.isEmpty() || e.placements().keySet().stream().anyMatch(siteIds::contains))
                .limit(limit)
                .toList();
    }

    @Override
    public boolean replace(String recordId, Map<String, BlobRef> expected, Map<String, BlobRef> next) {
        Entry[] done = new Entry[1];
        entries.computeIfPresent(recordId, (id, e) -> {
            if (!e.placements().equals(expected)) return e;
            done[0] = new Entry(id, e.residency(), new TreeMap<>(next));
            return done[0];
        });
        return done[0] != null;
    }
}
