package io.bulwark.store.site;

import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Restores each record's minimum: after a provider is lost (or a replica is), adds replicas on
 * compliant sites of other providers until the replicas that <em>answer</em> span the record's
 * {@code providers>=} again.
 *
 * <p>A replica counts only if its site is compliant and answers that it holds the blob now; one on
 * a down site does not, so repair acts during an outage rather than after it. The index keeps the
 * down site's placement (the provider may come back), so a record may end up with more replicas
 * than its minimum; that is safe, and evacuation or a later trim can remove them. New copies are
 * read from a replica that answers, checked against the record's size and SHA-256 by each target as
 * it stores them ({@link ReplicatedBlobStore#copy}), and added with a conditional
 * {@link PlacementIndex#replace}; if the record changed meanwhile the copies are deleted and the
 * record is left to the next run.
 */
public final class Repair {

    /**
     * What a repair run found and did.
     *
     * @param checked         records examined
     * @param repaired        records given the replicas they lacked
     * @param underReplicated how many records are still below their minimum
     * @param examples        the first {@value #EXAMPLES} of them, each with the reason: after a
     *                        provider loss that may be every record, too many to hold or to list
     */
    public record Report(long checked, long repaired, long underReplicated, List<String> examples) {
        public Report {
            examples = List.copyOf(examples);
        }
    }

    /** How many under-replicated records a report names. */
    public static final int EXAMPLES = 100;

    /** Counts records below their minimum, keeping the first {@value #EXAMPLES} with their reasons. */
    public static final class Shortfalls {
        private long count;
        private final List<String> examples = new ArrayList<>();

        public void add(String recordId, String reason) {
            if (count++ < EXAMPLES) examples.add(recordId + ": " + reason);
        }

        public Report report(long checked, long repaired) {
            return new Report(checked, repaired, count, examples);
        }
    }

    private static final int PAGE = 256;

    private final ReplicatedBlobStore replicas;
    private final PlacementIndex index;

    public Repair(ReplicatedBlobStore replicas, PlacementIndex index) {
        this.replicas = Objects.requireNonNull(replicas, "replicas");
        this.index = Objects.requireNonNull(index, "index");
    }

    /** Checks every record once. */
    public Report run() {
        long checked = 0;
        long repaired = 0;
        Shortfalls under = new Shortfalls();
        String after = "";
        for (List<PlacementIndex.Entry> page; !(page = index.page(Set.of(), after, PAGE)).isEmpty(); ) {
            for (PlacementIndex.Entry e : page) {
                after = e.recordId();
                checked++;
                try {
                    switch (repair(e)) {
                        case Ok ok -> { }
                        case Repaired r -> repaired++;
                        case Short(String reason) -> under.add(e.recordId(), reason);
                    }
                } catch (StoreException ex) {
                    under.add(e.recordId(), ex.getMessage());
                }
            }
        }
        return under.report(checked, repaired);
    }

    private sealed interface Outcome permits Ok, Repaired, Short {
    }

    private record Ok() implements Outcome {
    }

    private record Repaired() implements Outcome {
    }

    private record Short(String reason) implements Outcome {
    }

    private Outcome repair(PlacementIndex.Entry e) {
        ResidencyPolicy policy = e.residency();
        SortedMap<String, BlobRef> live = new TreeMap<>();
        e.placements().forEach((id, ref) -> replicas.site(id)
                .filter(s -> policy.violation(s.jurisdiction(), s.operator()).isEmpty())
                .filter(s -> replicas.present(id, ref))
                .ifPresent(s -> live.put(id, ref)));
        Set<String> liveProviders = live.keySet().stream().map(id -> replicas.site(id).orElseThrow().provider()).collect(Collectors.toSet());
        int need = policy.providers() - liveProviders.size();
        if (need <= 0) return new Ok();
        if (live.isEmpty()) return new Short("no replica answers; it can be restored only when a site holding one is back");
        // A placed site whose replica does not answer may be chosen again (a provider back with empty
        // disks gets its replicas back); a copy never replaces or deletes a replica there (putCopy).
        Set<String> avoid = new HashSet<>(liveProviders);
        BlobRef ref = e.ref();
        var result = replicas.copy(ref, live, new ResidencyPolicy(policy.in(), policy.operator(), need), avoid);
        return switch (result) {
            case Placement.Refused r -> new Short(policy + ": " + liveProviders.size() + " provider(s) hold a replica that answers; " + r.reason());
            case ReplicatedBlobStore.Stored s -> {
                SortedMap<String, BlobRef> next = new TreeMap<>(e.placements());
                next.putAll(s.placements());
                if (!index.replace(e.recordId(), e.placements(), next)) {
                    // Changed meanwhile (an evacuation may have switched to the same site first): drop our
                    // copies, but never one the record's placements name now.
                    SortedMap<String, BlobRef> ours = new TreeMap<>(s.placements());
                    index.get(e.recordId()).ifPresent(now -> ours.keySet().removeAll(now.placements().keySet()));
                    replicas.delete(ours);
                    yield new Short("changed during repair; left to the next run");
                }
                yield new Repaired();
            }
        };
    }
}
