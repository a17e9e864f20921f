package io.bulwark.store.site;

import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.site.EvacuationProgress.Done;
import io.bulwark.store.site.EvacuationProgress.Outcome;
import io.bulwark.store.site.EvacuationProgress.Pending;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Moves every replica off one provider onto other compliant sites, while the node keeps serving:
 * the way out when a provider withdraws, is sanctioned or is simply left.
 *
 * <h2>Per record, in this order</h2>
 * <ol>
 *   <li>If the replicas elsewhere already span the record's {@code providers>=} on compliant
 *       sites, nothing is copied ({@link Outcome#ALREADY_ELSEWHERE}). Otherwise the missing ones are
 *       placed ({@link Placement}) on compliant sites of providers that hold none of its replicas,
 *       and copied from any readable replica; each copy's SHA-256 and size must equal the record's
 *       ({@link Outcome#MOVED}). If no such place exists the record keeps its replica on the
 *       provider and is reported {@link Outcome#IMPOSSIBLE} with the reason — never dropped.</li>
 *   <li>The source replicas are recorded as pending deletion in the {@link EvacuationProgress}
 *       (records are switched and deleted in batches; see {@code Batch}).</li>
 *   <li>The record's placements are switched ({@link PlacementIndex#replace}, conditional: a record
 *       retracted or changed meanwhile has the copies made deleted and is looked at again by the next pass).</li>
 *   <li>Only then are the source replicas deleted, and the outcome recorded.</li>
 * </ol>
 * A replica the index still refers to is never deleted. A crash at any point is resumed by a new
 * {@code Evacuation} over the same progress file: finished records are skipped, pending deletions
 * are completed (or undone, if the switch never happened), and a record caught mid-copy is copied
 * again — the copy overwrites its earlier, unreferenced one.
 *
 * <p>The provider is closed to new writes first ({@link ReplicatedBlobStore#closeToWrites}); a write
 * that raced that is picked up by a later pass. Records are worked on {@code parallelism} at a time,
 * on virtual threads.
 */
public final class Evacuation {

    /** Where the evacuation is, for a progress bar. Rate and ETA cover this run only. */
    public record Progress(long records, long totalRecords, long bytes, long totalBytes, double bytesPerSecond, Optional<Duration> eta) {
    }

    /**
     * How an evacuation ended.
     *
     * @param moved            records copied elsewhere, then removed from the provider
     * @param alreadyElsewhere records that were already elsewhere enough, removed from the provider
     * @param bytesMoved       bytes copied for moved records
     * @param impossible       records that stay, each with the reason; never silently dropped
     * @param failed           records that could not be done now (a site down, a read failed), with
     *                         the error; run again to retry them
     */
    public record Report(String provider, long moved, long alreadyElsewhere, long bytesMoved, List<Done> impossible, List<String> failed) {
        /** Whether every record has a final outcome. */
        public boolean complete() {
            return failed.isEmpty();
        }
    }

    private static final int PAGE = 256;
    private static final int PASSES = 3;

    private final ReplicatedBlobStore replicas;
    private final PlacementIndex index;
    private final EvacuationProgress progress;
    private final int parallelism;
    private final Consumer<Progress> onProgress;
    /** Records switched and deleted per batch; small only in tests, to crash between batches. */
    int batchSize = 128;

    /**
     * @param parallelism records worked on at once; at least 1
     * @param onProgress  called as records finish (after each batch's commit), from the thread that
     *                    switches them
     */
    public Evacuation(ReplicatedBlobStore replicas, PlacementIndex index, EvacuationProgress progress, int parallelism, Consumer<Progress> onProgress) {
        if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
        this.replicas = Objects.requireNonNull(replicas, "replicas");
        this.index = Objects.requireNonNull(index, "index");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.parallelism = parallelism;
        this.onProgress = Objects.requireNonNull(onProgress, "onProgress");
    }

    /**
     * Records switched away whose source replica could not be deleted (its site unreachable), with
     * why, by record id: they stay pending, so the run is not complete and the next run deletes them.
     */
    private final Map<String, String> undeleted = new java.util.concurrent.ConcurrentSkipListMap<>();

    /** Evacuates the provider, resuming an unfinished evacuation of it if there is one. */
    public Report run(String provider) {
        Set<String> siteIds = replicas.sites().stream().filter(s -> s.provider().equals(provider)).map(Site::id).collect(Collectors.toSet());
        if (siteIds.isEmpty()) throw new IllegalArgumentException("no site belongs to provider " + provider);
        replicas.closeToWrites(provider);
        progress.begin(provider);
        finishPending(provider, progress.pending(provider));
        Counter counter = count(provider, siteIds);
        // Record id → why it failed; a pass's failures are those of its own attempts.
        Map<String, String> failed = new java.util.concurrent.ConcurrentSkipListMap<>();
        for (int pass = 0; pass < PASSES; pass++) {
            failed = new java.util.concurrent.ConcurrentSkipListMap<>();
            if (pass(provider, siteIds, counter, failed) == 0) break;
        }
        left(provider, siteIds, failed);
        failed.putAll(undeleted);
        if (failed.isEmpty()) progress.finish(provider);
        EvacuationProgress.Totals totals = progress.totals(provider);
        return new Report(provider, totals.moved(), totals.alreadyElsewhere(), totals.bytesMoved(),
                progress.done(provider, Outcome.IMPOSSIBLE),
                failed.entrySet().stream().map(f -> f.getKey() + ": " + f.getValue()).toList());
    }

    /**
     * Records still placed on the provider after the passes that have no outcome and no failure yet:
     * they changed while being moved, or arrived late. Never reported complete while one is left.
     */
    private void left(String provider, Set<String> siteIds, Map<String, String> failed) {
        String after = "";
        for (List<PlacementIndex.Entry> page; !(page = index.page(siteIds, after, PAGE)).isEmpty(); ) {
            Set<String> done = progress.doneBetween(provider, after, page.getLast().recordId());
            for (PlacementIndex.Entry e : page) {
                after = e.recordId();
                if (!done.contains(e.recordId())) {
                    failed.putIfAbsent(e.recordId(), "still on provider " + provider + " after " + PASSES
                            + " passes (it changed while it was moved); run the evacuation again");
                }
            }
        }
    }

    /** Works through every record still on the provider; returns how many it tried. */
    private int pass(String provider, Set<String> siteIds, Counter counter, Map<String, String> failed) {
        AtomicReference<RuntimeException> crash = new AtomicReference<>();
        Semaphore slots = new Semaphore(parallelism);
        int tried = 0;
        Switcher switcher = new Switcher(provider, counter, crash);
        Thread switching = Thread.ofVirtual().name("evacuation-switch-" + provider).start(switcher::run);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            String after = "";
            for (List<PlacementIndex.Entry> page; crash.get() == null && !(page = index.page(siteIds, after, PAGE)).isEmpty(); ) {
                Set<String> done = progress.doneBetween(provider, after, page.getLast().recordId());
                for (PlacementIndex.Entry e : page) {
                    after = e.recordId();
                    if (crash.get() != null || done.contains(e.recordId())) continue;
                    tried++;
                    slots.acquireUninterruptibly();
                    threads.submit(() -> {
                        try {
                            evacuate(provider, siteIds, e.recordId(), switcher);
                        } catch (StoreException ex) {
                            failed.put(e.recordId(), ex.getMessage());
                        } catch (RuntimeException ex) {
                            crash.compareAndSet(null, ex);
                        } finally {
                            slots.release();
                        }
                    });
                }
            }
        } finally {
            switcher.add(End.END); // the copies are all handed over: switch what is left
            try {
                switching.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                crash.compareAndSet(null, new StoreException("interrupted while evacuating provider " + provider, e));
            }
        }
        if (crash.get() != null) throw crash.get();
        return tried;
    }

    /** What a copy worker hands to the {@link Switcher}. */
    private sealed interface Item permits Copied, Impossible, End {
    }

    /** A record copied (or found already elsewhere) whose placements are to be switched to {@code next}. */
    private record Copied(PlacementIndex.Entry entry, SortedMap<String, BlobRef> next, SortedMap<String, BlobRef> sources, Outcome outcome) implements Item {
        Pending pending() {
            BlobRef ref = entry.ref();
            return new Pending(entry.recordId(), outcome, sources.keySet(), ref.key(), ref.size());
        }
    }

    /** A record that cannot leave: only its outcome is to be recorded. */
    private record Impossible(Done done) implements Item {
    }

    /** No more items in this pass. */
    private enum End implements Item { END }

    /**
     * Switches the placements of copied records and deletes their sources, in batches, on a thread of
     * its own, so copy workers never wait for a progress commit, a placement switch or a deletion:
     * they hand each record over and go on copying. Per batch of up to {@code batchSize} records
     * (the rest at the end of the pass): one progress commit for the pending switches, one
     * {@link PlacementIndex#replaceAll} (conditional per record, one commit in the node's index),
     * one multi-object delete per site, one commit for the outcomes — instead of two disk syncs and
     * two requests per record, which halved throughput. A crash before a batch is committed as
     * pending leaves its records unswitched (their copies are unreferenced and are made again); after
     * that commit, the resumed run completes them. After a failure the switcher switches nothing
     * more and only drains what workers still hand over; the pass then fails with it.
     */
    private final class Switcher {
        private final String provider;
        private final Counter counter;
        private final AtomicReference<RuntimeException> crash;
        /** Bounded, so that workers wait rather than pile up copies if deletions fall far behind. */
        private final BlockingQueue<Item> queue;

        Switcher(String provider, Counter counter, AtomicReference<RuntimeException> crash) {
            this.provider = provider;
            this.counter = counter;
            this.crash = crash;
            this.queue = new ArrayBlockingQueue<>(4 * batchSize + 1);
        }

        void add(Item item) {
            try {
                queue.put(item);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while evacuating provider " + provider, e);
            }
        }

        void run() {
            List<Item> batch = new ArrayList<>();
            for (boolean end = false; !end; ) {
                Item item;
                try {
                    item = queue.take();
                } catch (InterruptedException e) {
                    crash.compareAndSet(null, new StoreException("interrupted while evacuating provider " + provider, e));
                    continue; // go on draining, so that no worker waits for room for ever
                }
                if (item == End.END) end = true;
                else batch.add(item);
                if (batch.size() >= batchSize || (end && !batch.isEmpty())) {
                    if (crash.get() == null) {
                        try {
                            flush(batch);
                        } catch (RuntimeException e) {
                            crash.compareAndSet(null, e);
                        } catch (Error e) {
                            crash.compareAndSet(null, new IllegalStateException("switching evacuated records failed", e));
                        }
                    }
                    batch.clear();
                }
            }
        }

        private void flush(List<Item> batch) {
            List<Copied> copied = new ArrayList<>();
            List<Done> done = new ArrayList<>();
            for (Item item : batch) {
                switch (item) {
                    case Copied c -> copied.add(c);
                    case Impossible i -> done.add(i.done());
                    case End e -> { }
                }
            }
            if (!copied.isEmpty()) {
                progress.pending(provider, copied.stream().map(Copied::pending).toList());
                Set<String> replaced = index.replaceAll(copied.stream()
                        .map(c -> new PlacementIndex.Replacement(c.entry().recordId(), c.entry().placements(), c.next())).toList());
                List<Pending> switched = new ArrayList<>();
                List<String> changed = new ArrayList<>();
                for (Copied c : copied) {
                    if (replaced.contains(c.entry().recordId())) {
                        switched.add(c.pending());
                    } else {
                        // Changed under us (retracted, re-placed): drop our copies; a later pass looks again.
                        changed.add(c.entry().recordId());
                        SortedMap<String, BlobRef> ours = new TreeMap<>(c.next());
                        ours.keySet().removeAll(c.entry().placements().keySet());
                        // ... but never a replica the record's placements name now (a repair may have
                        // copied to the same site and switched first).
                        index.get(c.entry().recordId()).ifPresent(now -> ours.keySet().removeAll(now.placements().keySet()));
                        replicas.delete(ours);
                    }
                }
                progress.forget(provider, changed);
                done.addAll(deleteSources(switched));
            }
            progress.done(provider, done);
            for (Done d : done) counter.record(d.outcome() == Outcome.MOVED ? d.bytes() : 0, onProgress);
        }
    }

    /**
     * Deletes the sources of switched records, one multi-object delete per site.
     *
     * @return the outcome of each record whose sources are all deleted; a record with a source on a
     *         site that could not be reached gets none: it stays pending (the next run deletes it) and
     *         is named in {@link #undeleted}
     */
    private List<Done> deleteSources(List<Pending> switched) {
        Map<String, List<String>> bySite = new TreeMap<>();
        for (Pending p : switched) {
            p.sources().forEach(site -> bySite.computeIfAbsent(site, s -> new ArrayList<>()).add(p.key()));
        }
        Set<String> unreached = new TreeSet<>();
        bySite.forEach((site, keys) -> {
            if (!replicas.deleteAll(site, keys)) unreached.add(site);
        });
        List<Done> done = new ArrayList<>();
        for (Pending p : switched) {
            List<String> left = p.sources().stream().filter(unreached::contains).toList();
            if (left.isEmpty()) {
                done.add(new Done(p.recordId(), p.outcome(), p.outcome() == Outcome.MOVED ? p.bytes() : 0, ""));
            } else {
                // Its placements no longer name the site, so nothing else would ever delete it there
                // once the site is removed: the evacuation is not done until it is.
                undeleted.put(p.recordId(), "moved, but its replica on " + String.join(", ", left)
                        + " could not be deleted (site unreachable); run the evacuation again once it answers");
            }
        }
        return done;
    }

    /** Copies one record's missing replicas (or finds it already elsewhere) and hands it to the switcher. */
    private void evacuate(String provider, Set<String> siteIds, String recordId, Switcher switcher) {
        Optional<PlacementIndex.Entry> current = index.get(recordId);
        if (current.isEmpty()) return; // retracted meanwhile: nothing left to move
        PlacementIndex.Entry e = current.get();
        SortedMap<String, BlobRef> sources = new TreeMap<>(e.placements());
        sources.keySet().retainAll(siteIds);
        if (sources.isEmpty()) return; // moved by someone else (a repair, a re-publish)
        SortedMap<String, BlobRef> rest = new TreeMap<>(e.placements());
        rest.keySet().removeAll(siteIds);
        ResidencyPolicy policy = e.residency();
        BlobRef ref = e.ref();
        // Only replicas that answer count: the index keeps placements of sites that are down or lost
        // (repair keeps them on purpose), and the sources are deleted on the strength of this count.
        Set<String> answering = new HashSet<>();
        rest.forEach((site, r) -> {
            if (replicas.present(site, r)) answering.add(site);
        });
        int need = policy.providers() - compliantProviders(policy, answering).size();
        if (need <= 0) {
            // The sources go on the strength of these alone: each is read through and its SHA-256
            // checked, or a replica that rotted at its full size would leave no good copy.
            answering.removeIf(site -> !replicas.whole(site, rest.get(site)));
            need = policy.providers() - compliantProviders(policy, answering).size();
        }
        SortedMap<String, BlobRef> next = new TreeMap<>(rest);
        Outcome outcome = Outcome.ALREADY_ELSEWHERE;
        if (need > 0) {
            Set<String> avoid = new HashSet<>();
            e.placements().keySet().forEach(id -> replicas.site(id).ifPresent(s -> avoid.add(s.provider())));
            avoid.add(provider);
            var result = replicas.copy(ref, e.placements(), new ResidencyPolicy(policy.in(), policy.operator(), need), avoid);
            switch (result) {
                case Placement.Refused r when r.unavailable() ->
                        throw new StoreException("no compliant site is available now (" + r + "); retry when it is");
                // Providers were left out as holding it though their sites are down: an outage now, not a
                // place that can never be met (once they answer, their replicas count).
                case Placement.Refused r when !down(rest.keySet()).isEmpty() -> throw new StoreException(
                        "a replica on " + String.join(", ", down(rest.keySet())) + " does not answer now (" + r + "); retry when it does");
                case Placement.Refused r -> {
                    switcher.add(new Impossible(new Done(recordId, Outcome.IMPOSSIBLE, ref.size(), policy + ": " + r.reason())));
                    return;
                }
                case ReplicatedBlobStore.Stored s -> {
                    if (s.ref().size() != ref.size() || !s.ref().sha256().equals(ref.sha256())) {
                        replicas.delete(s.placements());
                        throw new StoreException("the copy of record " + recordId + " does not match its SHA-256; the source replica is kept");
                    }
                    next.putAll(s.placements());
                    outcome = Outcome.MOVED;
                }
            }
        }
        switcher.add(new Copied(e, next, sources, outcome));
    }

    /** Of these sites, those down now (a replica that answered short or rotted is not an outage). */
    private List<String> down(Set<String> sites) {
        return sites.stream().filter(id -> !replicas.health().isUp(id)).sorted().toList();
    }

    /** Completes the records a crash left between the switch and the source deletion, in one batch. */
    private void finishPending(String provider, List<Pending> pending) {
        List<String> redo = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        List<Pending> switched = new ArrayList<>();
        for (Pending p : pending) {
            Optional<PlacementIndex.Entry> e = index.get(p.recordId());
            if (e.isPresent() && e.get().placements().keySet().stream().anyMatch(p.sources()::contains)) {
                redo.add(p.recordId()); // the switch never happened: do it again
            } else {
                switched.add(p);
                if (e.isEmpty()) gone.add(p.recordId()); // retracted since: delete the sources, record nothing
            }
        }
        progress.forget(provider, redo);
        List<Done> done = new ArrayList<>(deleteSources(switched));
        Set<String> deleted = done.stream().map(Done::recordId).collect(Collectors.toSet());
        done.removeIf(d -> gone.contains(d.recordId()));
        progress.done(provider, done);
        progress.forget(provider, gone.stream().filter(deleted::contains).toList()); // an undeleted one stays pending
    }

    private Set<String> compliantProviders(ResidencyPolicy policy, Set<String> siteIds) {
        return siteIds.stream().map(replicas::site).flatMap(Optional::stream)
                .filter(s -> policy.violation(s.jurisdiction(), s.operator()).isEmpty())
                .map(Site::provider).collect(Collectors.toSet());
    }

    private Counter count(String provider, Set<String> siteIds) {
        EvacuationProgress.Totals totals = progress.totals(provider);
        long records = totals.records();
        long bytes = totals.bytesMoved();
        long totalRecords = records;
        long totalBytes = bytes;
        String after = "";
        for (List<PlacementIndex.Entry> page; !(page = index.page(siteIds, after, PAGE)).isEmpty(); ) {
            Set<String> finished = progress.doneBetween(provider, after, page.getLast().recordId());
            for (PlacementIndex.Entry e : page) {
                after = e.recordId();
                if (!finished.contains(e.recordId())) {
                    totalRecords++;
                    totalBytes += e.ref().size();
                }
            }
        }
        return new Counter(records, bytes, totalRecords, totalBytes);
    }

    /** Counts finished records and bytes; thread-safe. */
    private static final class Counter {
        private final AtomicLong records;
        private final AtomicLong bytes;
        private final long startBytes;
        private final long totalRecords;
        private final long totalBytes;
        private final long started = System.nanoTime();

        Counter(long records, long bytes, long totalRecords, long totalBytes) {
            this.records = new AtomicLong(records);
            this.bytes = new AtomicLong(bytes);
            this.startBytes = bytes;
            this.totalRecords = totalRecords;
            this.totalBytes = totalBytes;
        }

        void record(long moved, Consumer<Progress> onProgress) {
            long r = records.incrementAndGet();
            long b = bytes.addAndGet(moved);
            double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            double rate = (b - startBytes) / seconds;
            Optional<Duration> eta = rate > 0 ? Optional.of(Duration.ofMillis((long) (Math.max(0, totalBytes - b) / rate * 1000))) : Optional.empty();
            onProgress.accept(new Progress(r, Math.max(r, totalRecords), b, Math.max(b, totalBytes), rate, eta));
        }
    }
}
