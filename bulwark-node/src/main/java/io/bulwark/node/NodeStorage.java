package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.OrphanSweeper;
import io.bulwark.store.ReferencedBlobKeys;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.blob.s3.S3Location;
import io.bulwark.store.site.Evacuation;
import io.bulwark.store.site.EvacuationProgress;
import io.bulwark.store.site.Placement;
import io.bulwark.store.site.PlacementIndex;
import io.bulwark.store.site.Repair;
import io.bulwark.store.site.ReplicatedBlobStore;
import io.bulwark.store.site.Site;
import io.bulwark.store.site.SiteHealth;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import io.bulwark.store.sqlite.SqlitePlacements;
import io.bulwark.node.StorageAdmin.SiteStatus;
import io.bulwark.node.StorageAdmin.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The node's storage: its sites ({@code storage.sites} of {@code bulwark.yaml}, or the filesystem
 * site {@code default} in the home), the replicated store over them and where each blob's replicas
 * lie ({@link SqlitePlacements}, in the metadata database). Every record write, read and delete of
 * the node goes through here.
 *
 * <p>As a {@link BlobStore} it serves reads and deletes by blob key (the federation feed reads
 * through it). A write needs a residency, so it is {@link #put(String, ResidencyPolicy, byte[])};
 * the residency-less {@code put}, and listing, belong to the sites' own stores.
 */
final class NodeStorage implements BlobStore {

    private static final Logger LOG = LoggerFactory.getLogger(NodeStorage.class);
    /** The site of a node without configured sites: the directory every node had before sites existed. */
    static final String DEFAULT_SITE = "default";

    private final FileChannel lock;
    private final ReplicatedBlobStore replicas;
    private final SqlitePlacements placements;
    /** What this node published last, for the peers' feeds that read it next (8 MiB: ~1,600 records of 1 KiB). */
    private final FreshBlobs fresh = new FreshBlobs(8L << 20);
    /**
     * Held shared by everything that writes replicas and then records their placements (publish,
     * relabel, records from peers, repair), and exclusively by the removal of a site: once the
     * removal holds it, no write that might have chosen the site is between its replicas and its
     * placements, so the placement index says truly whether the site holds anything.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock writes = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile Repair.Report lastRepair = new Repair.Report(0, 0, 0, List.of());
    private volatile Optional<Evacuation.Progress> evacuationProgress = Optional.empty();
    private volatile Optional<Evacuation.Report> evacuationReport = Optional.empty();
    private Thread evacuation;

    private NodeStorage(FileChannel lock, ReplicatedBlobStore replicas, SqlitePlacements placements) {
        this.lock = lock;
        this.replicas = replicas;
        this.placements = placements;
    }

    /** Another process (or this one) has the home's storage open: it has one writer at a time. */
    static final class InUseException extends RuntimeException {
        InUseException(Path home) {
            super(home + ": the node's storage is in use (is the node running?); stop it first, or ask the running node");
        }
    }

    /**
     * Opens the node's sites and placement index, and closes the providers the configuration lists
     * as closed. Holds the home's storage lock until {@link #close}: evacuation and site changes from
     * the command line must not run beside a node writing the same placements.
     *
     * @throws InUseException if the storage is already open
     */
    static NodeStorage open(NodeHome home, NodeConfig config, PolicySet policies, SqliteMetadataStore metadata) throws IOException {
        FileChannel lock = lock(home);
        ReplicatedBlobStore replicas = null;
        try {
            SqlitePlacements placements = placements(home, metadata, policies);
            replicas = ReplicatedBlobStore.open(sites(home, config), new SiteHealth());
            config.storage().closedProviders().forEach(replicas::closeToWrites);
            return new NodeStorage(lock, replicas, placements);
        } catch (RuntimeException e) {
            if (replicas != null) replicas.close();
            lock.close();
            throw e;
        }
    }

    /**
     * The placement index in the metadata database, with the rows of a placement index an earlier
     * version kept in its own file ({@code data/placements.db}) taken over first.
     */
    static SqlitePlacements placements(NodeHome home, SqliteMetadataStore metadata, PolicySet policies) {
        SqlitePlacements placements = metadata.placements(policies);
        long imported = placements.importFrom(home.placements());
        if (imported > 0) LOG.info("took over {} placements from {} into the metadata database", imported, home.placements());
        return placements;
    }

    /** Takes the home's storage lock (released when the channel closes). */
    static FileChannel lock(NodeHome home) throws IOException {
        FileChannel lock = FileChannel.open(home.storageLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (lock.tryLock() != null) return lock;
        } catch (OverlappingFileLockException e) {
            // held in this process: a node runs here
        } catch (IOException e) {
            lock.close();
            throw e;
        }
        lock.close();
        throw new InUseException(home.dir());
    }

    /**
     * Why evacuating a provider would leave the node nowhere to write, if it would: no site of
     * another provider is open to writes. Its replicas could go nowhere, and once closed the node
     * could store nothing.
     */
    static Optional<String> nowhereToGo(List<Site> sites, java.util.Collection<String> closedProviders, String provider) {
        boolean elsewhere = sites.stream().anyMatch(s -> !s.provider().equals(provider) && !closedProviders.contains(s.provider()));
        return elsewhere ? Optional.empty() : Optional.of("no site of another provider is open to writes, so provider " + provider
                + "'s replicas would have nowhere to go and, once it is closed, the node could store nothing; add a site of another "
                + "provider first");
    }

    /** The configured sites, or the default site; a site that cannot be built fails with its name and the rule. */
    static List<Site> sites(NodeHome home, NodeConfig config) {
        if (config.storage().sites().isEmpty()) {
            return List.of(new Site(DEFAULT_SITE, "local", config.nation(), config.nation(), new Site.Filesystem(home.defaultSite())));
        }
        List<Site> sites = new ArrayList<>();
        for (NodeConfig.SiteConfig c : config.storage().sites()) sites.add(site(home, c));
        return sites;
    }

    /** One configured site. */
    static Site site(NodeHome home, NodeConfig.SiteConfig c) {
        String at = "storage.sites[" + c.id() + "]: ";
        for (var field : Map.of("id", Optional.ofNullable(c.id()), "provider", Optional.ofNullable(c.provider()),
                "jurisdiction", Optional.ofNullable(c.jurisdiction()), "operator", Optional.ofNullable(c.operator())).entrySet()) {
            if (field.getValue().isEmpty()) throw new InvalidConfigException(at + field.getKey() + ": required");
        }
        try {
            Site.Connection connection = switch (c.kind() == null ? "" : c.kind()) {
                case "filesystem" -> {
                    if (c.path() == null) throw new InvalidConfigException(at + "path: required for a filesystem site");
                    yield new Site.Filesystem(home.dir().resolve(c.path()));
                }
                case "s3" -> {
                    if (c.endpoint() == null || c.bucket() == null) throw new InvalidConfigException(at + "endpoint and bucket: required for an s3 site");
                    yield new Site.S3(new S3Location(endpoint(at, c.endpoint()), c.bucket(), c.region() == null ? "us-east-1" : c.region(),
                            !Boolean.FALSE.equals(c.pathStyle()), ""), Optional.ofNullable(c.credentialsFile()).map(home.dir()::resolve));
                }
                default -> throw new InvalidConfigException(at + "kind: filesystem or s3, not '" + c.kind() + "'");
            };
            return new Site(c.id(), c.provider(), c.jurisdiction(), c.operator(), connection);
        } catch (IllegalArgumentException e) { // InvalidSiteException
            throw new InvalidConfigException(at + e.getMessage());
        }
    }

    /** An endpoint URL; one that does not parse is refused without echoing it (it may hold credentials). */
    private static URI endpoint(String at, String text) {
        try {
            return new URI(text);
        } catch (java.net.URISyntaxException e) {
            throw new InvalidConfigException(at + "endpoint: not a URL (" + e.getReason() + " at index " + e.getIndex() + ")");
        }
    }

    ReplicatedBlobStore replicas() {
        return replicas;
    }

    PlacementIndex index() {
        return placements;
    }

    /**
     * Writes the blob to sites that meet the residency and records where, durably, before the caller
     * writes the metadata that names it. On a refusal nothing is written. {@code sha256} is the
     * bytes' digest as whoever made them computed it (a sealed record's encoding digest): no site
     * hashes them again.
     */
    ReplicatedBlobStore.PutResult put(String key, ResidencyPolicy residency, byte[] bytes, String sha256) {
        writes.readLock().lock();
        try {
            ReplicatedBlobStore.PutResult result = replicas.put(key, residency, ReplicatedBlobStore.Content.of(bytes, sha256));
            if (result instanceof ReplicatedBlobStore.Stored s) {
                try {
                    placements.add(key, residency, s.placements());
                } catch (StoreException e) {
                    replicas.delete(s.placements());
                    throw e;
                }
            }
            return result;
        } finally {
            writes.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} while no site can be removed. Work that writes replicas with
     * {@link #putUnindexed} and records their placements with the metadata
     * ({@link MetadataStore#insert(io.bulwark.store.RecordMetadata, Map)}, one commit) runs in here,
     * so that a site removal sees either no replica or its placement.
     */
    <T> T whileSitesStay(java.util.function.Supplier<T> work) {
        writes.readLock().lock();
        try {
            return work.get();
        } finally {
            writes.readLock().unlock();
        }
    }

    /**
     * Writes the blob to sites that meet the residency without recording where: the caller records
     * the placements with the metadata, in {@link #whileSitesStay}, or {@link #discard}s the replicas.
     * On a refusal nothing is written. {@code sha256} as for {@link #put}.
     */
    ReplicatedBlobStore.PutResult putUnindexed(String key, ResidencyPolicy residency, byte[] bytes, String sha256) {
        ReplicatedBlobStore.PutResult result = replicas.put(key, residency, ReplicatedBlobStore.Content.of(bytes, sha256));
        if (result instanceof ReplicatedBlobStore.Stored) fresh.put(key, bytes);
        return result;
    }

    /** Records placements of replicas written by {@link #putUnindexed} whose metadata changes on its own (a relabel, a reinstatement). */
    void recordPlacements(String key, ResidencyPolicy residency, Map<String, BlobRef> sites) {
        placements.add(key, residency, sites);
    }

    /** Deletes replicas written by {@link #putUnindexed} that no metadata will name. */
    void discard(Map<String, BlobRef> sites) {
        sites.values().forEach(ref -> fresh.remove(ref.key()));
        List<String> unreached = replicas.delete(sites);
        if (!unreached.isEmpty()) LOG.warn("sites {} not reached; their replicas are left to their orphan sweep", unreached);
    }

    /** As {@link #put(String, ResidencyPolicy, byte[], String)}, where refusal is a fault of the caller's own checks. */
    BlobRef putOrThrow(String key, ResidencyPolicy residency, byte[] bytes, String sha256) {
        return switch (put(key, residency, bytes, sha256)) {
            case ReplicatedBlobStore.Stored s -> s.ref();
            case Placement.Refused r -> throw new StoreException("could not store blob " + key + ": residency " + residency + ": " + r);
        };
    }

    /**
     * Reads a blob from a healthy replica, failing over to the others. The placements are looked up
     * again once if no replica has it: an evacuation may have moved it between lookup and read.
     */
    @Override
    public Optional<InputStream> open(String key) {
        Optional<byte[]> published = fresh.get(key);
        if (published.isPresent()) return Optional.of(new java.io.ByteArrayInputStream(published.get()));
        for (int attempt = 0; attempt < 2; attempt++) {
            Optional<PlacementIndex.Entry> e = placements.get(key);
            if (e.isEmpty()) return legacy().flatMap(s -> s.open(key));
            Optional<InputStream> in = replicas.open(e.get().placements());
            if (in.isPresent()) return in;
        }
        return Optional.empty();
    }

    /** Deletes every replica it reaches; replicas on sites not reached are orphans for that site's sweep. */
    @Override
    public boolean delete(String key) {
        fresh.remove(key);
        // The placements first, taken in one transaction: a switch racing this one (an evacuation
        // moving the blob) then fails its condition and deletes its copy, rather than leaving it named nowhere.
        Optional<PlacementIndex.Entry> e = placements.take(key);
        if (e.isEmpty()) return legacy().map(s -> s.delete(key)).orElse(false);
        List<String> unreached = replicas.delete(e.get().placements());
        if (!unreached.isEmpty()) LOG.warn("blob {}: sites {} not reached; their replicas are left to their orphan sweep", key, unreached);
        return true;
    }

    /** The size its placements record (they are written with the blob), or a legacy blob's. */
    @Override
    public java.util.OptionalLong size(String key) {
        Optional<PlacementIndex.Entry> e = placements.get(key);
        if (e.isPresent()) return java.util.OptionalLong.of(e.get().ref().size());
        return legacy().map(s -> s.size(key)).orElse(java.util.OptionalLong.empty());
    }

    /**
     * Blobs written before the node had a placement index lie in the default site with no
     * placements: they are read and deleted there directly.
     */
    private Optional<BlobStore> legacy() {
        return replicas.site(DEFAULT_SITE).map(s -> replicas.store(s.id()));
    }

    /** Not supported: every write carries a residency ({@link #put(String, ResidencyPolicy, byte[])}). */
    @Override
    public BlobRef put(String key, InputStream content) {
        throw new UnsupportedOperationException("a node's blob write needs a residency");
    }

    /** Not supported: listing is per site ({@link ReplicatedBlobStore#store}). */
    @Override
    public Stream<BlobEntry> list() {
        throw new UnsupportedOperationException("list a site's store");
    }

    @Override
    public int deleteIncomplete(Instant startedBefore) {
        throw new UnsupportedOperationException("sweep a site's store");
    }

    /**
     * The sweep at start, when no write is in progress: placements whose blob no metadata names
     * (a crash between placements and metadata) go with their replicas, then each site's orphan
     * sweep removes unreferenced bytes, partial writes, and replicas of active records whose
     * placements name other sites only (left by an evacuation, a removal or a re-seal that could not
     * reach the site): the placements say where a record's bytes lie, and nowhere else may keep them.
     * A blob with no placements at all predates the placement index and lies in the default site,
     * which keeps it. A site that does not answer is skipped and swept at the next start.
     */
    void sweep(MetadataStore metadata, Clock clock) {
        placements.unreferencedKeys().forEach(this::delete);
        // One pass over the metadata serves every site; a lookup per blob took most of a large node's start.
        ReferencedBlobKeys referenced = ReferencedBlobKeys.snapshot(metadata);
        java.util.function.Function<Site, Predicate<String>> misplaced = misplaced();
        for (Site s : replicas.sites()) {
            try {
                long t0 = System.nanoTime();
                OrphanSweeper.Report r = new OrphanSweeper(metadata, replicas.store(s.id()), Duration.ZERO, clock).sweep(referenced, misplaced.apply(s));
                LOG.info("site {}: swept {} in {} ms", s.id(), r, (System.nanoTime() - t0) / 1_000_000);
            } catch (StoreException e) {
                LOG.warn("site {}: not swept ({})", s.id(), e.getMessage());
            }
        }
    }

    /**
     * Per site, the blobs it may list that belong elsewhere: placed, but not on this site, and on a
     * site the node still has that answers holding it (a blob placed only on sites since removed
     * from the configuration, or whose placed replicas do not answer, is kept: this may be the one
     * copy left). Sites holding a replica of every placed blob (a node
     * with one site) have none, and then the placements are not read at all; otherwise one pass over
     * them, as 64-bit hashes, finds the suspects, and each is looked up exactly before it goes.
     */
    private java.util.function.Function<Site, Predicate<String>> misplaced() {
        Predicate<String> none = key -> false;
        Optional<String> shared = sharedPlace();
        if (shared.isPresent()) {
            LOG.warn("replicas on sites their placements do not name are kept: {}", shared.get());
            return s -> none;
        }
        long placed = placements.distinctKeys();
        Map<String, long[]> totals = placements.totalsBySite();
        Set<String> suspects = new java.util.HashSet<>();
        for (Site s : replicas.sites()) if (totals.getOrDefault(s.id(), new long[1])[0] < placed) suspects.add(s.id());
        if (suspects.isEmpty()) return s -> none;
        ReferencedBlobKeys.Builder anywhere = new ReferencedBlobKeys.Builder();
        Map<String, ReferencedBlobKeys.Builder> bySite = new java.util.HashMap<>();
        placements.forEachPlacement((key, site) -> {
            anywhere.add(key);
            if (suspects.contains(site)) bySite.computeIfAbsent(site, x -> new ReferencedBlobKeys.Builder()).add(key);
        });
        ReferencedBlobKeys placedAnywhere = anywhere.build();
        Set<String> configured = replicas.sites().stream().map(Site::id).collect(java.util.stream.Collectors.toSet());
        return s -> {
            if (!suspects.contains(s.id())) return none;
            ReferencedBlobKeys placedHere = bySite.getOrDefault(s.id(), new ReferencedBlobKeys.Builder()).build();
            // Only if a placed replica reads whole (size and SHA-256): a stray can be the one good copy
            // left (its placed site wiped, or its replica rotted), and then it is kept.
            return key -> placedAnywhere.mayBeReferenced(key) && !placedHere.mayBeReferenced(key)
                    && placements.get(key).map(PlacementIndex.Entry::placements)
                            .filter(at -> !at.containsKey(s.id()) && at.entrySet().stream()
                                    .anyMatch(p -> configured.contains(p.getKey()) && replicas.whole(p.getKey(), p.getValue())))
                            .isPresent();
        };
    }

    /** Two of the node's sites on one place, if any: then neither can tell a replica it lists is its own. */
    private Optional<String> sharedPlace() {
        List<Site> sites = replicas.sites();
        for (int i = 0; i < sites.size(); i++) {
            for (int j = i + 1; j < sites.size(); j++) {
                Optional<String> shared = sites.get(i).sharedPlace(sites.get(j));
                if (shared.isPresent()) return Optional.of("site " + sites.get(i).id() + ": " + shared.get());
            }
        }
        return Optional.empty();
    }

    /**
     * Held by a repair run and by an evacuation: both copy replicas and switch placements, and each
     * cleans up copies after losing a switch; run together, they could pick the same target and one's
     * clean-up delete the other's replica.
     */
    private final java.util.concurrent.locks.ReentrantLock moving = new java.util.concurrent.locks.ReentrantLock();

    /** Restores minimum replica counts where compliant capacity exists; keeps the report for status. Skipped while an evacuation runs. */
    Repair.Report repair() {
        if (!moving.tryLock()) {
            LOG.debug("repair skipped: an evacuation is running");
            return lastRepair;
        }
        Repair.Report r;
        writes.readLock().lock();
        try {
            r = new Repair(replicas, placements).run();
        } finally {
            writes.readLock().unlock();
            moving.unlock();
        }
        lastRepair = r;
        if (r.repaired() > 0 || r.underReplicated() > 0) {
            LOG.info("repair: {} checked, {} repaired, {} under-replicated", r.checked(), r.repaired(), r.underReplicated());
        }
        return r;
    }

    /**
     * Adds a site while the node serves: new writes may be placed there from now on.
     *
     * @param store the site's open store; this storage closes it from now on
     */
    void addSite(Site site, BlobStore store) {
        replicas.addSite(site, store);
        LOG.info("site {} added (provider {}, {}, operator {})", site.id(), site.provider(), site.jurisdiction(), site.operator());
    }

    /** Something to do while a site's removal holds every writer off; it may fail, and then nothing is removed. */
    @FunctionalInterface
    interface Persist {
        void run() throws IOException;
    }

    /**
     * Removes a site while the node serves, if it holds nothing: no placement names it, no
     * evacuation is running (one might copy there), and for the default site no blob from before
     * the placement index lies in it. The check, {@code persist} (writing the configuration) and the
     * removal happen while no write is between its replicas and its placements ({@link #writes}),
     * so a replica cannot appear there in between.
     *
     * @param wait how long to wait for writes and a running repair to finish
     * @return why the site was not removed; empty once it is removed
     */
    Optional<String> removeSite(String id, Duration wait, Persist persist) throws IOException {
        Site site = replicas.site(id).orElse(null);
        if (site == null) return Optional.of("no site " + id);
        try {
            if (!writes.writeLock().tryLock(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return Optional.of("writes to the storage did not pause within " + wait.toSeconds() + " s (a repair may be running); try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        java.time.Instant paused = java.time.Instant.now();
        try {
            Optional<String> holds = holds(site);
            if (holds.isPresent()) return holds;
            synchronized (this) {
                if (evacuation != null && evacuation.isAlive()) {
                    return Optional.of("an evacuation is running (it may copy replicas there); request the removal again once it is done "
                            + "(GET /api/v1/storage)");
                }
            }
            persist.run();
            replicas.removeSite(id);
            LOG.info("site {} removed (provider {})", id, site.provider());
        } finally {
            writes.writeLock().unlock();
        }
        // Once removed, nothing writes there: its leftovers go without holding up the node's writes.
        try (BlobStore store = site.open()) {
            deleteLeftovers(site.id(), store, placements, paused);
        } catch (RuntimeException e) {
            LOG.warn("site {}: cannot be opened to delete its leftover blobs ({}); any it holds stay there", id, e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Deletes what a removed site still holds though no placement names it: replicas whose deletion
     * could not reach the site when their records were retracted or moved, otherwise left to a sweep
     * at start that never comes for a removed site. Only blobs written before {@code before} — when
     * no write was in progress anywhere — and named by no placement go: another site may share the
     * place (the same bucket under another name) and be writing there now. Stops at the first
     * failure: a site that does not answer keeps what it holds, and that is logged.
     */
    static void deleteLeftovers(String siteId, BlobStore store, PlacementIndex placements, java.time.Instant before) {
        java.time.Instant settled = before.minusSeconds(2); // S3 keeps seconds
        List<String> keys;
        try (java.util.stream.Stream<io.bulwark.store.BlobEntry> listed = store.list()) {
            keys = listed.filter(b -> b.lastModified().isBefore(settled)).map(io.bulwark.store.BlobEntry::key)
                    .filter(k -> placements.get(k).isEmpty()).toList();
            store.deleteAll(keys);
        } catch (RuntimeException e) {
            LOG.warn("site {}: its leftover blobs cannot all be deleted ({}); those left stay there", siteId, e.getMessage());
            return;
        }
        if (!keys.isEmpty()) LOG.info("site {}: {} leftover blob(s) that no placement names deleted as it was removed", siteId, keys.size());
    }

    /** What the site still holds, if anything: replicas the index names, or, in the default site, blobs from before it. */
    Optional<String> holds(Site site) {
        long replicasThere = placements.totalsBySite().getOrDefault(site.id(), new long[2])[0];
        if (replicasThere > 0) {
            return Optional.of("site " + site.id() + " still holds " + replicasThere + " replica(s); evacuate its provider first "
                    + "(bulwark request provider-evacuate " + site.provider() + "), then request its removal again");
        }
        if (site.id().equals(DEFAULT_SITE)) {
            try (Stream<BlobEntry> blobs = replicas.store(site.id()).list()) {
                if (blobs.anyMatch(b -> placements.get(b.key()).isEmpty())) {
                    return Optional.of("site " + DEFAULT_SITE + " still holds records stored before the placement index; "
                            + "they are read from it directly, so it stays");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Evacuates a provider in the background while the node serves (the approved
     * {@code provider.evacuate}); the provider must already be closed to writes and persisted so.
     *
     * @return {@code false} if an evacuation is already running
     */
    synchronized boolean startEvacuation(String provider, Path progressFile) {
        if (evacuation != null && evacuation.isAlive()) return false;
        evacuationReport = Optional.empty();
        evacuation = Thread.ofVirtual().name("bulwark-evacuation").start(() -> {
            try (EvacuationProgress progress = new EvacuationProgress(progressFile)) {
                evacuationReport = Optional.of(evacuate(provider, progress, p -> evacuationProgress = Optional.of(p)));
            } catch (RuntimeException e) {
                LOG.warn("evacuation of provider {} stopped: {} (ask for it again to resume)", provider, e.getMessage());
            }
        });
        return true;
    }

    /** Runs an evacuation here, in this thread. */
    Evacuation.Report evacuate(String provider, EvacuationProgress progress, Consumer<Evacuation.Progress> onProgress) {
        Evacuation.Report r;
        moving.lock(); // waits for a repair run to end
        try {
            r = new Evacuation(replicas, placements, progress, 8, onProgress).run(provider);
        } finally {
            moving.unlock();
        }
        LOG.info("evacuation of provider {}: {} moved, {} already elsewhere, {} impossible, {} failed",
                provider, r.moved(), r.alreadyElsewhere(), r.impossible().size(), r.failed().size());
        r.impossible().forEach(d -> LOG.warn("evacuation of provider {}: blob {} stays: {}", provider, d.recordId(), d.reason()));
        return r;
    }

    /** The running or last evacuation: its last progress, and its report once done. */
    record EvacuationState(Optional<Evacuation.Progress> progress, Optional<Evacuation.Report> report) {}

    EvacuationState evacuationState() {
        return new EvacuationState(evacuationProgress, evacuationReport);
    }

    Status status() {
        Map<String, long[]> held = placements.totalsBySite();
        List<SiteStatus> sites = replicas.candidates().stream().map(c -> {
            long[] h = held.getOrDefault(c.site().id(), new long[2]);
            return new SiteStatus(c.site().id(), c.site().provider(), c.site().jurisdiction(), c.site().operator(), c.site().kind(),
                    c.up(), c.acceptsWrites(), h[0], h[1]);
        }).toList();
        return new Status(sites, lastRepair.underReplicated(), lastRepair.examples());
    }

    /**
     * The status of a storage no node is using: each site is asked now, and a record is under its
     * minimum if its replicas on compliant sites that answer span too few providers.
     */
    Status probedStatus() {
        replicas.sites().forEach(s -> replicas.probe(s.id()));
        Repair.Shortfalls under = new Repair.Shortfalls();
        String after = "";
        for (List<PlacementIndex.Entry> page; !(page = placements.page(java.util.Set.of(), after, 256)).isEmpty(); ) {
            for (PlacementIndex.Entry e : page) {
                after = e.recordId();
                long live = e.placements().entrySet().stream()
                        .flatMap(p -> replicas.site(p.getKey()).stream()
                                .filter(s -> e.residency().violation(s.jurisdiction(), s.operator()).isEmpty())
                                .filter(s -> replicas.present(s.id(), p.getValue())))
                        .map(Site::provider).distinct().count();
                if (live < e.residency().providers()) {
                    under.add(e.recordId(), live + " of " + e.residency().providers() + " providers answer");
                }
            }
        }
        lastRepair = under.report(0, 0);
        return status();
    }

    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            running = evacuation;
        }
        if (running != null) {
            running.interrupt();
            try {
                running.join(Duration.ofSeconds(30)); // its progress is durable: it resumes when asked again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        replicas.close(); // the placements belong to the metadata store, which its owner closes
        try {
            lock.close();
        } catch (IOException e) {
            LOG.warn("releasing the storage lock: {}", e.toString());
        }
    }
}
