package io.bulwark.store.site;

import io.bulwark.store.BlobMismatchException;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.InvalidBlobKeyException;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.VerifyingInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * A record's sealed bytes replicated over storage sites: written where {@link Placement} says, read
 * from whichever replica answers, deleted everywhere.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Acknowledged means durable on the minimum.</b> {@link #put} returns {@link Stored} only
 *       once every chosen site has the blob durably (its own {@link BlobStore#put} returned) and the
 *       sites span at least {@code providers} distinct compliant providers. A site that fails is
 *       marked down and placement is asked again for a replacement on another provider; if none
 *       exists, the replicas already written are deleted and the answer is a
 *       {@link Placement.Refused}. Nothing is ever written to a non-compliant site.</li>
 *   <li><b>Identical replicas.</b> Every replica's size and SHA-256 must match; if the content
 *       yields different bytes twice, the put fails.</li>
 *   <li><b>Reads fail over.</b> {@link #open} tries replicas on sites believed up first, then the
 *       others, and checks the bytes against the recorded digest at the end of the stream.</li>
 * </ul>
 * Site health is learnt from calls ({@link SiteHealth}). Sites can be added and removed while the
 * store is in use ({@link #addSite}, {@link #removeSite}); each call sees one consistent set of
 * sites. Thread-safe.
 */
public final class ReplicatedBlobStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedBlobStore.class);
    /** Replicas found of the wrong size and logged so. */
    private final Set<String> warnedShort = ConcurrentHashMap.newKeySet();
    /** Replicas ("site/key") whose bytes proved not to match their record: read last (a bounded memo). */
    private final Set<String> damaged = ConcurrentHashMap.newKeySet();

    /** The outcome of a {@link #put}. */
    public sealed interface PutResult permits Stored, Placement.Refused {
    }

    /**
     * The blob is durable on these sites.
     *
     * @param placements site id → what was stored there; all the same size and digest
     */
    public record Stored(SortedMap<String, BlobRef> placements) implements PutResult {
        public Stored {
            placements = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(placements));
        }

        /** The stored blob (the same at every site). */
        public BlobRef ref() {
            return placements.values().iterator().next();
        }
    }

    /** The bytes to write, opened once per replica. */
    @FunctionalInterface
    public interface Content {
        InputStream open() throws IOException;

        static Content of(byte[] bytes) {
            return () -> new ByteArrayInputStream(bytes);
        }

        /**
         * Bytes whose SHA-256 the caller computed over exactly them: each site stores them with
         * {@link BlobStore#putKnown}, so none hashes them again.
         */
        static Content of(byte[] bytes, String sha256) {
            return new Known(bytes, sha256);
        }
    }

    private record Known(byte[] bytes, String sha256) implements Content {
        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }
    }

    /**
     * The sites and their stores, replaced as a whole when a site is added or removed, so that every
     * operation works on one consistent set without locking.
     */
    private record View(Map<String, Site> sites, Map<String, BlobStore> stores) {
        static View of(Map<Site, BlobStore> stores) {
            Map<String, Site> sites = new LinkedHashMap<>();
            Map<String, BlobStore> byId = new LinkedHashMap<>();
            stores.keySet().stream().sorted(Comparator.comparing(Site::id)).forEach(site -> {
                if (sites.put(site.id(), site) != null) {
                    throw new IllegalArgumentException("two sites have the id " + site.id());
                }
                byId.put(site.id(), Objects.requireNonNull(stores.get(site), "store"));
            });
            return new View(java.util.Collections.unmodifiableMap(sites), java.util.Collections.unmodifiableMap(byId));
        }

        Map<Site, BlobStore> pairs() {
            Map<Site, BlobStore> pairs = new LinkedHashMap<>();
            sites.forEach((id, site) -> pairs.put(site, stores.get(id)));
            return pairs;
        }
    }

    private volatile View view;
    private final SiteHealth health;
    private final Set<String> closedProviders = ConcurrentHashMap.newKeySet();

    /** Replicates over these sites, each with its open store; this object closes them. */
    public ReplicatedBlobStore(Map<Site, BlobStore> stores, SiteHealth health) {
        this.view = View.of(stores);
        this.health = Objects.requireNonNull(health, "health");
    }

    /** Opens every site's store ({@link Site#open}). */
    public static ReplicatedBlobStore open(Collection<Site> sites, SiteHealth health) {
        Map<Site, BlobStore> stores = new LinkedHashMap<>();
        try {
            for (Site s : sites) stores.put(s, s.open());
        } catch (RuntimeException e) {
            stores.values().forEach(BlobStore::close);
            throw e;
        }
        return new ReplicatedBlobStore(stores, health);
    }

    /** The sites, by id. */
    public List<Site> sites() {
        return List.copyOf(view.sites().values());
    }

    /** The site with this id. */
    public Optional<Site> site(String id) {
        return Optional.ofNullable(view.sites().get(id));
    }

    /** The site's blob store, for direct use (sweeping, listing, status). */
    public BlobStore store(String siteId) {
        return Objects.requireNonNull(view.stores().get(siteId), () -> "no site " + siteId);
    }

    /**
     * Adds a site while the store is in use: placement considers it from the next {@link #put} on.
     * Its health starts afresh (a site removed and added again does not keep an old backoff).
     *
     * @param store the site's open store, which this object closes from now on
     * @throws IllegalArgumentException if a site with this id exists
     */
    public synchronized void addSite(Site site, BlobStore store) {
        Map<Site, BlobStore> next = view.pairs();
        if (view.sites().containsKey(site.id())) throw new IllegalArgumentException("two sites have the id " + site.id());
        next.put(site, store);
        health.succeeded(site.id());
        view = View.of(next);
    }

    /**
     * Removes a site while the store is in use, and closes its store. The caller must know that no
     * placement refers to the site and that no write that might choose it is in progress: a replica
     * there would no longer be read, repaired or deleted.
     *
     * @return whether there was such a site
     */
    public synchronized boolean removeSite(String id) {
        Map<Site, BlobStore> next = view.pairs();
        Site gone = view.sites().get(id);
        if (gone == null) return false;
        BlobStore store = next.remove(gone);
        view = View.of(next);
        store.close();
        return true;
    }

    public SiteHealth health() {
        return health;
    }

    /**
     * Stops new replicas going to a provider (it is being evacuated or left). Not persisted here:
     * the node keeps the provider's state in its site configuration and calls this at start.
     */
    public void closeToWrites(String provider) {
        closedProviders.add(provider);
    }

    /** Lets new replicas go to the provider again. */
    public void openToWrites(String provider) {
        closedProviders.remove(provider);
    }

    /** Every site as placement sees it now. */
    public List<Placement.Candidate> candidates() {
        return view.sites().values().stream()
                .map(s -> new Placement.Candidate(s, health.isUp(s.id()), !closedProviders.contains(s.provider())))
                .toList();
    }

    /** Writes the blob to sites that meet the policy; see the class comment. */
    public PutResult put(String key, ResidencyPolicy policy, Content content) {
        return put(key, policy, content, Set.of());
    }

    /**
     * Writes the blob to {@code policy.providers()} more distinct providers, none of them in
     * {@code avoid}: how evacuation and repair add replicas beside those a record already has.
     */
    public PutResult put(String key, ResidencyPolicy policy, Content content, Set<String> avoid) {
        try {
            return put(key, policy, content, avoid, null);
        } catch (ContentFailed e) {
            throw e.named(key);
        }
    }

    /**
     * Adds replicas of a blob the store already holds: how evacuation and repair copy. Reads it from
     * one of {@code from} (sites believed up first, as {@link #open}) and writes it to
     * {@code policy.providers()} more distinct providers, none of them in {@code avoid}, exactly as
     * {@link #put}. Each target checks the bytes against {@code ref}'s size and SHA-256 with the
     * digest it computes as it stores them ({@link BlobStore#putCopy}): one pass over the bytes per
     * copy, and a replica that does not match is never stored — the copy fails with a
     * {@link StoreException} naming the replica read, and no target site is blamed for it.
     *
     * @param ref  the blob: its key, size and SHA-256 as recorded
     * @param from site id → a replica of it
     */
    public PutResult copy(BlobRef ref, Map<String, BlobRef> from, ResidencyPolicy policy, Set<String> avoid) {
        Map<String, BlobRef> sources = new TreeMap<>(from);
        while (true) {
            try {
                return put(ref.key(), policy, () -> openReplica(sources, false)
                        .orElseThrow(() -> new IOException("no replica holds blob " + Checks.quote(ref.key()))), avoid, ref);
            } catch (ContentFailed e) {
                // That replica is damaged or broke while read: the copy is made from the next one, if any.
                if (e.site == null || sources.remove(e.site) == null || sources.isEmpty()) throw e.named(ref.key());
                if (e.getCause().getCause() instanceof BlobMismatchException) damaged(e.site, ref.key());
            }
        }
    }

    /** Notes a replica whose bytes do not match its record: read last from now on, and logged once. */
    private void damaged(String siteId, String key) {
        if (damaged.size() >= 10_000) damaged.clear();
        if (damaged.add(siteId + "/" + key)) {
            LOG.warn("site {}: blob {} does not match its recorded size and SHA-256; other replicas are read first (repair it: "
                    + "delete it there and let the node's repair copy it back)", siteId, key);
        }
    }

    /** Writes with {@link BlobStore#put}, or with {@link BlobStore#putCopy} if {@code expected} is not null. */
    private PutResult put(String key, ResidencyPolicy policy, Content content, Set<String> avoid, BlobRef expected) {
        Checks.blobKey(key).ifPresent(v -> {
            throw new InvalidBlobKeyException("blob key " + Checks.quote(key), v.position(), v.rule());
        });
        SortedMap<String, BlobRef> stored = new TreeMap<>();
        Map<String, String> providers = new java.util.HashMap<>(); // of the sites written, as they were chosen
        Set<String> failed = new HashSet<>();
        while (true) {
            Set<String> used = stored.keySet().stream().map(providers::get).collect(Collectors.toSet());
            int need = policy.providers() - used.size();
            if (need <= 0) {
                return new Stored(stored);
            }
            // A site that failed in this put stays a candidate, as down: a refusal then says capacity
            // exists but is unavailable now (retry), not that no site could ever meet the policy.
            List<Placement.Candidate> candidates = candidates().stream()
                    .filter(c -> !avoid.contains(c.site().provider()) && !used.contains(c.site().provider()))
                    .map(c -> failed.contains(c.site().id()) ? new Placement.Candidate(c.site(), false, c.acceptsWrites()) : c)
                    .toList();
            switch (Placement.choose(new ResidencyPolicy(policy.in(), policy.operator(), need), candidates)) {
                case Placement.Refused r -> {
                    if (expected == null) delete(stored); // a copy's targets are kept: see below
                    Set<String> excluded = new java.util.TreeSet<>(avoid);
                    excluded.addAll(used);
                    if (excluded.isEmpty() && !r.rule().startsWith("providers>=")) return r;
                    // Candidates were narrowed to other providers: say so, or "no site in FRA" would be false.
                    String reason = r.rule().startsWith("providers>=") ? r.reason() : "no compliant site";
                    if (!excluded.isEmpty()) {
                        int details = reason.contains("; ") ? reason.indexOf("; ") : reason.length();
                        reason = reason.substring(0, details) + " outside providers " + String.join(", ", excluded) + reason.substring(details);
                    }
                    return new Placement.Refused("providers>=" + policy.providers(), reason, r.unavailable());
                }
                case Placement.Chosen(List<Site> chosen) -> {
                    chosen.forEach(site -> providers.put(site.id(), site.provider()));
                    Map<String, BlobRef> written;
                    try {
                        written = writeAll(key, chosen, content, failed, expected);
                    } catch (RuntimeException e) {
                        // What earlier rounds of a put wrote: nothing would name it. Not a copy's: a target
                        // may be a placed site whose replica did not answer when asked, now written over
                        // with the same checked bytes; deleting it could delete a replica the index names.
                        // A copy nothing names is the start-up sweep's.
                        if (expected == null) delete(stored);
                        throw e;
                    }
                    stored.putAll(written);
                    if (stored.values().stream().map(r -> r.size() + ":" + r.sha256()).distinct().count() > 1) {
                        delete(stored);
                        throw new StoreException("could not store blob " + Checks.quote(key) + ": the content gave different bytes to different sites");
                    }
                }
            }
        }
    }

    /**
     * Writes to every chosen site in parallel; a site that fails is marked down and added to
     * {@code failed}. If the content fails at one site, the others' writes are cancelled without
     * blaming their sites, and once every write has stopped the key of a new blob is deleted at every
     * chosen site: a write cancelled part-way may have left it behind. A copy's is not: a copy leaves
     * nothing behind, and a chosen site may already hold a good replica under the key.
     */
    private Map<String, BlobRef> writeAll(String key, List<Site> chosen, Content content, Set<String> failed, BlobRef expected) {
        Map<String, BlobRef> written = new TreeMap<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        ContentFailed contentFailed = null;
        // One site (a default node's only one, an evacuation's usual copy) is written on this thread,
        // with no executor to build; several in parallel. Closing the executor waits for every write.
        try (ExecutorService threads = chosen.size() == 1 ? null : Executors.newVirtualThreadPerTaskExecutor()) {
            Map<Site, Future<BlobRef>> futures = new LinkedHashMap<>();
            for (Site s : chosen) {
                Callable<BlobRef> write = () -> writeOne(key, s, content, expected, abandoned);
                futures.put(s, threads == null ? inline(write) : threads.submit(write));
            }
            for (var f : futures.entrySet()) {
                try {
                    written.put(f.getKey().id(), f.getValue().get());
                } catch (CancellationException e) {
                    // cancelled below: another site found the content at fault
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof ContentFailed c) {
                        // The source failed, not the site: nothing to fail over to.
                        if (contentFailed == null) {
                            contentFailed = c;
                            abandoned.set(true);
                            for (Future<BlobRef> other : futures.values()) other.cancel(true);
                        }
                    } else if (!(e.getCause() instanceof StoreException)) {
                        throw new IllegalStateException("unexpected failure storing blob " + Checks.quote(key), e.getCause());
                    } else if (!abandoned.get()) {
                        failed.add(f.getKey().id());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while storing blob " + Checks.quote(key), e);
        }
        if (contentFailed != null) {
            // A copy (putCopy) stores nothing unless its bytes check out and leaves a blob already there as
            // it was: deleting would destroy a good replica on a chosen site that already held one.
            if (expected == null) chosen.forEach(s -> deleteQuietly(s.id(), key));
            throw contentFailed;
        }
        return written;
    }

    /** Runs the task on this thread, its outcome kept as a future's would be. */
    private static <T> Future<T> inline(Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        f.run();
        return f;
    }

    private BlobRef writeOne(String key, Site site, Content content, BlobRef expected, AtomicBoolean abandoned) {
        boolean known = content instanceof Known && expected == null;
        SourceStream source;
        try {
            source = known ? null : new SourceStream(content.open());
        } catch (IOException e) {
            throw new ContentFailed(e);
        }
        try {
            BlobRef ref = switch (content) {
                case Known k when known -> store(site.id()).putKnown(new BlobRef(key, k.bytes().length, k.sha256()), k.bytes());
                default -> expected == null ? store(site.id()).put(key, source) : store(site.id()).putCopy(expected, source);
            };
            health.succeeded(site.id());
            return ref;
        } catch (BlobMismatchException e) {
            // The bytes are not the blob they were said to be: the source's fault, not this site's.
            health.succeeded(site.id());
            throw new ContentFailed(new IOException((source == null ? "the content" : source.origin()) + ": " + e.getMessage(), e),
                    source == null ? null : source.site());
        } catch (StoreException e) {
            if (source != null && source.failure != null) throw new ContentFailed(source.failure, source.site());
            if (abandoned.get()) throw e; // cancelled because another site found the content at fault
            health.failed(site.id());
            throw e;
        } finally {
            try {
                if (source != null) source.close();
            } catch (IOException ignored) {
                // the bytes were read (or the put failed already); a failing close changes neither
            }
        }
    }

    /**
     * Opens the blob from one of its replicas: sites believed up first, in id order, then the others
     * (they may have come back). The stream checks the bytes against the recorded size and SHA-256
     * at its end.
     *
     * @param placements site id → the replica there
     * @return empty if no replica holds the blob and every site answered
     * @throws StoreException naming every site tried, if none could be read
     */
    public Optional<InputStream> open(Map<String, BlobRef> placements) {
        return openReplica(placements, true);
    }

    /** As {@link #open}; unverified streams are for {@link #copy}, whose targets check the bytes. */
    private Optional<InputStream> openReplica(Map<String, BlobRef> placements, boolean verify) {
        List<String> sorted = new ArrayList<>(new TreeMap<>(placements).keySet());
        String key = keyOf(placements);
        sorted.sort(Comparator.comparing((String id) -> damaged.contains(id + "/" + key)).thenComparing(id -> !health.isUp(id)));
        Deque<String> order = new ArrayDeque<>(sorted);
        List<String> errors = new ArrayList<>();
        Optional<Opened> first = openFirst(order, placements, errors);
        if (first.isPresent()) {
            Opened o = first.get();
            return Optional.of(verify ? new FailoverStream(o, order, placements, errors) : new Replica(o.in(), o.siteId(), o.what()));
        }
        if (errors.stream().allMatch(e -> e.endsWith(": missing"))) {
            return Optional.empty();
        }
        throw new StoreException("could not read blob " + Checks.quote(keyOf(placements)) + " from any replica (" + String.join("; ", errors) + ")");
    }

    private static String keyOf(Map<String, BlobRef> placements) {
        return placements.values().stream().findFirst().map(BlobRef::key).orElse("");
    }

    /** A replica answering with its stream. */
    private record Opened(String siteId, BlobRef ref, InputStream in) {
        String what() {
            return "blob " + Checks.quote(ref.key()) + " at site " + siteId;
        }
    }

    /** Takes sites from {@code order} until one answers with the blob; why each other one did not goes to {@code errors}. */
    private Optional<Opened> openFirst(Deque<String> order, Map<String, BlobRef> placements, List<String> errors) {
        Map<String, BlobStore> stores = view.stores();
        while (!order.isEmpty()) {
            String id = order.poll();
            BlobRef ref = placements.get(id);
            BlobStore store = stores.get(id);
            if (store == null) {
                errors.add("site " + id + ": not configured");
                continue;
            }
            try {
                Optional<InputStream> in = store.open(ref.key());
                health.succeeded(id);
                if (in.isPresent()) {
                    return Optional.of(new Opened(id, ref, in.get()));
                }
                errors.add("site " + id + ": missing");
            } catch (StoreException e) {
                health.failed(id);
                errors.add("site " + id + ": unreachable");
            }
        }
        return Optional.empty();
    }

    /**
     * A replica's bytes, checked at the end against the recorded size and SHA-256. If the replica
     * breaks or proves corrupt part-way (a provider failing during a read), reading carries on from
     * the next replica that answers, once its first bytes are shown to be those already passed on
     * (same SHA-256): a reader gets the blob's bytes or an IOException, never a splice of two.
     */
    private final class FailoverStream extends InputStream {
        private final Deque<String> remaining;
        private final Map<String, BlobRef> placements;
        private final List<String> errors;
        private VerifyingInputStream current;
        private String site;

        FailoverStream(Opened first, Deque<String> remaining, Map<String, BlobRef> placements, List<String> errors) {
            this.remaining = remaining;
            this.placements = placements;
            this.errors = errors;
            this.site = first.siteId();
            this.current = verifying(first);
        }

        private static VerifyingInputStream verifying(Opened o) {
            return new VerifyingInputStream(o.in(), o.ref().size(), o.ref().sha256(), o.what());
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF; // a blocking read of one byte returns 1 or -1
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                try {
                    return current.read(b, off, len);
                } catch (IOException | java.io.UncheckedIOException e) {
                    failOver(e);
                }
            }
        }

        private void failOver(Exception cause) throws IOException {
            long passedOn = current.bytesRead();
            byte[] prefix = current.digestOfBytesRead();
            blame(site, current, "broke after " + passedOn + " bytes");
            closeQuietly(current);
            Optional<Opened> next;
            while ((next = openFirst(remaining, placements, errors)).isPresent()) {
                VerifyingInputStream candidate = verifying(next.get());
                try {
                    candidate.skipNBytes(passedOn);
                } catch (IOException | java.io.UncheckedIOException e) {
                    blame(next.get().siteId(), candidate, "broke within the first " + passedOn + " bytes");
                    closeQuietly(candidate);
                    continue;
                }
                if (!java.security.MessageDigest.isEqual(candidate.digestOfBytesRead(), prefix)) {
                    // One of the two is corrupt and the bytes are already passed on: no way to a whole blob.
                    closeQuietly(candidate);
                    errors.add("site " + next.get().siteId() + ": its first " + passedOn + " bytes differ from those already read");
                    break;
                }
                current = candidate;
                site = next.get().siteId();
                return;
            }
            throw new IOException("could not finish reading blob " + Checks.quote(keyOf(placements)) + " from any replica ("
                    + String.join("; ", errors) + ")", cause);
        }

        /** A site whose stream failed is marked down, unless its bytes were merely wrong (rot, not an outage). */
        private void blame(String id, VerifyingInputStream stream, String what) {
            if (stream.mismatched()) {
                damaged(id, keyOf(placements));
                errors.add("site " + id + ": does not match its recorded size and SHA-256");
            } else {
                health.failed(id);
                errors.add("site " + id + ": " + what);
            }
        }

        private static void closeQuietly(InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // a replica being abandoned: its close failing changes nothing
            }
        }

        @Override
        public int available() throws IOException {
            try {
                return current.available();
            } catch (IOException e) {
                return 0; // the next read fails over
            }
        }

        @Override
        public void close() throws IOException {
            current.close();
        }
    }

    /**
     * Whether the site answers that it holds the replica whole: a blob under its key of the size the
     * placement records. {@code false} if the site is down or does not answer, and for a replica cut
     * short or grown (a partial copy, a damaged disk), which must not count towards a minimum that
     * decides whether another replica may be deleted. A replica of the right size whose bytes rotted
     * is caught when it is read or copied (its SHA-256 is checked then), not here.
     */
    public boolean present(String siteId, BlobRef ref) {
        BlobStore store = view.stores().get(siteId);
        if (!health.isUp(siteId) || store == null) return false;
        try {
            java.util.OptionalLong size = store.size(ref.key());
            health.succeeded(siteId);
            if (size.isPresent() && size.getAsLong() != ref.size()) {
                // Once per replica (repair, status and evacuation ask again and again), within a bound.
                if (warnedShort.size() < 10_000 && warnedShort.add(siteId + "/" + ref.key())) {
                    LOG.warn("site {}: blob {} holds {} bytes, its placement records {}; not counted as a replica",
                            siteId, ref.key(), size.getAsLong(), ref.size());
                }
                return false;
            }
            return size.isPresent();
        } catch (StoreException e) {
            health.failed(siteId);
            return false;
        }
    }

    /** Asks the site whether it answers, for its health: a look-up of a key no blob has. */
    public void probe(String siteId) {
        BlobStore store = view.stores().get(siteId);
        if (!health.isUp(siteId) || store == null) return;
        try {
            store.exists("status-probe");
            health.succeeded(siteId);
        } catch (StoreException e) {
            health.failed(siteId);
        }
    }

    /**
     * Deletes every replica it can reach.
     *
     * @return the ids of the sites it could not reach: their replicas are now orphans, for the
     *         orphan sweep of that site
     */
    public List<String> delete(Map<String, BlobRef> placements) {
        List<String> unreached = new ArrayList<>();
        new TreeMap<>(placements).forEach((id, ref) -> {
            if (!deleteQuietly(id, ref.key())) unreached.add(id);
        });
        return unreached;
    }

    /**
     * Deletes these blobs from one site, in as few requests as the site allows
     * ({@link BlobStore#deleteAll}).
     *
     * @return whether the site was reached; if not, the blobs are orphans for its sweep
     */
    public boolean deleteAll(String siteId, Collection<String> keys) {
        BlobStore store = view.stores().get(siteId);
        if (store == null) return false;
        try {
            store.deleteAll(keys);
            health.succeeded(siteId);
            return true;
        } catch (StoreException e) {
            health.failed(siteId);
            return false;
        }
    }

    private boolean deleteQuietly(String siteId, String key) {
        BlobStore store = view.stores().get(siteId);
        if (store == null) return false;
        try {
            store.delete(key);
            health.succeeded(siteId);
            return true;
        } catch (StoreException e) {
            health.failed(siteId);
            return false;
        }
    }

    /**
     * Whether the site's replica reads whole: every byte read and checked against the recorded size
     * and SHA-256. For deciding that another replica may go; {@link #present} checks the size only.
     */
    public boolean whole(String siteId, BlobRef ref) {
        try (InputStream in = open(Map.of(siteId, ref)).orElse(null)) {
            if (in == null) return false;
            in.transferTo(OutputStream.nullOutputStream());
            return true;
        } catch (IOException | StoreException e) {
            return false; // damaged (noted as such by the read) or out of reach
        }
    }

    @Override
    public synchronized void close() {
        view.stores().values().forEach(BlobStore::close);
    }

    /** The content source failed (not the site being written). */
    private static final class ContentFailed extends RuntimeException {
        /** The site of the replica read, if the content was one: the source to pass over when copying. */
        final String site;

        ContentFailed(IOException cause) {
            this(cause, null);
        }

        ContentFailed(IOException cause, String site) {
            super(cause);
            this.site = site;
        }

        StoreException named(String key) {
            return new StoreException("could not read the content of blob " + Checks.quote(key) + ": " + getCause().getMessage(), getCause());
        }
    }

    /** A replica's bytes as read, unchecked, named for messages. */
    private static final class Replica extends FilterInputStream {
        final String site;
        final String what;

        Replica(InputStream in, String site, String what) {
            super(in);
            this.site = site;
            this.what = what;
        }
    }

    /** Remembers whether an I/O error came from the source, so a site is not blamed for it. */
    private static final class SourceStream extends FilterInputStream {
        IOException failure;

        SourceStream(InputStream in) {
            super(in);
        }

        /** Which replica the bytes came from, if the content is one. */
        String origin() {
            return in instanceof Replica r ? r.what : "the content";
        }

        /** The site of the replica the bytes came from; null if the content is not one. */
        String site() {
            return in instanceof Replica r ? r.site : null;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}
