package io.bulwark.node;

import io.bulwark.store.sqlite.SqliteMetadataStore;
import io.bulwark.store.StoreException;
import io.bulwark.store.site.Evacuation;
import io.bulwark.store.site.EvacuationProgress;
import io.bulwark.store.site.Site;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The storage commands of a <em>stopped</em> node ({@code bulwark site|storage|provider --home}).
 * Each holds the home's storage lock, so none runs beside the node writing the same placements:
 * a running node is asked through its API instead (approved {@code site.add}, {@code site.remove},
 * {@code provider.evacuate}; {@code GET /api/v1/storage}). Site changes made here take effect at the
 * next start; {@code add} and {@code remove} also hold the home's lock ({@link HomeLock}), so they
 * refuse while the node runs.
 */
public final class StorageAdmin {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StorageAdmin.class);

    private StorageAdmin() {
    }

    /** A refusal a user can act on; the message names the site or provider and why. */
    public static sealed class Refused extends RuntimeException permits Unavailable {
        Refused(String message) {
            super(message);
        }
    }

    /** Refused because a site did not answer: asking again later may succeed. */
    public static final class Unavailable extends Refused {
        Unavailable(String message) {
            super(message);
        }
    }

    /** One site as status shows it. */
    public record SiteStatus(String id, String provider, String jurisdiction, String operator, String kind, boolean up,
                             boolean acceptsWrites, long blobs, long bytes) {}

    /**
     * The sites with their health and what they hold, and the records the last repair left under their minimum.
     *
     * @param underReplicated how many records lack their minimum of replicas that answer
     * @param examples        the first of them (at most {@link io.bulwark.store.site.Repair#EXAMPLES}), each with the reason
     */
    public record Status(List<SiteStatus> sites, long underReplicated, List<String> examples) {}

    /** One configured site, as listed. */
    public record SiteView(String id, String provider, String jurisdiction, String operator, String kind, String where, boolean closed) {}

    /** The sites the node would use (the default one when none is configured). */
    public static List<SiteView> list(NodeHome home) {
        NodeConfig config = home.loadConfig();
        return NodeStorage.sites(home, config).stream().map(s -> new SiteView(s.id(), s.provider(), s.jurisdiction(), s.operator(),
                s.kind(), switch (s.connection()) {
                    case Site.Filesystem f -> f.path().toString();
                    case Site.S3 s3 -> s3.location().endpoint() + " bucket " + s3.location().bucket();
                }, config.storage().closedProviders().contains(s.provider()))).toList();
    }

    /**
     * Adds a site. The first one added makes the implicit default site explicit, so the records it
     * holds stay reachable. The site is checked as it will be opened (not connected to).
     */
    public static void add(NodeHome home, NodeConfig.SiteConfig site) throws IOException {
        try (var stopped = stopped(home, "bulwark request site-add --url URL --token TOKEN --id " + site.id() + " ...");
             var lock = lock(home)) {
            NodeConfig config = NodeConfig.read(home.config());
            Site checked = NodeStorage.site(home, site);
            List<NodeConfig.SiteConfig> sites = new ArrayList<>(explicit(home, config));
            if (sites.stream().anyMatch(s -> s.id().equals(site.id()))) throw new Refused("site " + site.id() + " exists already");
            for (Site s : NodeStorage.sites(home, config)) {
                checked.sharedPlace(s).ifPresent(why -> {
                    throw new Refused("site " + site.id() + ": " + why + "; nothing was changed");
                });
            }
            requireEmpty(checked);
            sites.add(site);
            config.withStorage(new NodeConfig.Storage(sites, config.storage().closedProviders())).save(home.config());
        }
    }

    /**
     * Refuses a site that does not answer or already holds blobs: the node's orphan sweep deletes at
     * each start every blob no record names, so a site pointed at someone's data would lose it.
     */
    private static void requireEmpty(Site site) {
        java.util.Optional<String> first;
        try (var store = site.open(); var blobs = store.list()) {
            first = blobs.findFirst().map(io.bulwark.store.BlobEntry::key);
        } catch (io.bulwark.store.InvalidSiteException e) { // e.g. its credentials file
            throw new Refused("site " + site.id() + ": " + e.getMessage() + "; nothing was changed");
        } catch (StoreException e) {
            throw new Unavailable("site " + site.id() + " did not answer: " + e.getMessage() + "; nothing was changed");
        }
        if (first.isPresent()) throw new Refused(notEmpty(site.id(), first.get()));
    }

    /** Why a site that holds blobs is not added. */
    static String notEmpty(String siteId, String firstKey) {
        return "site " + siteId + " already holds blobs (" + firstKey + ", ...); a new site must start empty, because the node's "
                + "orphan sweep deletes every blob no record names; nothing was changed";
    }

    /** Removes a site that holds no replica; one that does is refused (evacuate its provider first). */
    public static void remove(NodeHome home, String id) throws IOException {
        try (var stopped = stopped(home, "bulwark request site-remove --url URL --token TOKEN " + id);
             var lock = lock(home)) {
            NodeConfig config = NodeConfig.read(home.config());
            List<NodeConfig.SiteConfig> sites = new ArrayList<>(explicit(home, config));
            NodeConfig.SiteConfig gone = sites.stream().filter(s -> s.id().equals(id)).findFirst()
                    .orElseThrow(() -> new Refused("no site " + id + " (bulwark site list)"));
            if (sites.size() == 1) throw new Refused("site " + id + " is the node's only site; add another first");
            int left = undeletedByEvacuation(home, gone.provider());
            if (left > 0) { // replicas an evacuation moved but could not delete there: nothing would delete them after this
                throw new Refused("the evacuation of provider " + gone.provider() + " could not delete " + left
                        + " replica(s) there yet; run it again once the site answers (bulwark provider evacuate --home "
                        + home.dir() + " " + gone.provider() + "); nothing was changed");
            }
            try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database())) {
                var placements = NodeStorage.placements(home, metadata, home.policies(config));
                if (!placements.page(java.util.Set.of(id), "", 1).isEmpty() || holdsLegacyBlobs(home, id)) {
                    throw new Refused("site " + id + " still holds replicas; evacuate its provider first "
                            + "(bulwark provider evacuate --home " + home.dir() + " " + gone.provider() + ")");
                }
                io.bulwark.store.site.Site removed = NodeStorage.sites(home, config).stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
                java.time.Instant quiet = java.time.Instant.now(); // the node is stopped and its lock held: nothing writes
                sites.remove(gone);
                config.withStorage(new NodeConfig.Storage(sites, config.storage().closedProviders())).save(home.config());
                try (var store = removed.open()) {
                    NodeStorage.deleteLeftovers(id, store, placements, quiet);
                } catch (RuntimeException e) {
                    LOG.warn("site {}: cannot be opened to delete its leftover blobs ({}); any it holds stay there", id, e.getMessage());
                }
            }
        }
    }

    /** How many replicas an evacuation of the provider moved but could not yet delete there; 0 if none ran. */
    static int undeletedByEvacuation(NodeHome home, String provider) {
        if (!java.nio.file.Files.exists(home.evacuations())) return 0;
        try (var progress = new io.bulwark.store.site.EvacuationProgress(home.evacuations())) {
            return progress.pending(provider).size();
        }
    }

    /** Sites with health (each is asked now), holdings and records under their minimum. */
    public static Status status(NodeHome home) throws IOException {
        NodeConfig config = home.loadConfig();
        try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database());
             NodeStorage storage = NodeStorage.open(home, config, home.policies(config), metadata)) {
            return storage.probedStatus();
        } catch (NodeStorage.InUseException e) {
            throw new Refused(e.getMessage() + " (bulwark storage status --url URL, or GET /api/v1/storage)");
        }
    }

    /**
     * Evacuates a provider: closes it to writes in {@code bulwark.yaml} (kept after a restart), then
     * moves its replicas elsewhere. Resumes an interrupted evacuation from {@code data/evacuation.db}.
     */
    public static Evacuation.Report evacuate(NodeHome home, String provider, Consumer<Evacuation.Progress> onProgress) throws IOException {
        NodeConfig config = home.loadConfig();
        if (NodeStorage.sites(home, config).stream().noneMatch(s -> s.provider().equals(provider))) {
            throw new Refused("no site of this node belongs to provider " + provider + " (bulwark site list)");
        }
        Optional<String> nowhere = NodeStorage.nowhereToGo(NodeStorage.sites(home, config), config.storage().closedProviders(), provider);
        if (nowhere.isPresent()) throw new Refused(nowhere.get() + " (bulwark site add --home " + home.dir() + " ...)");
        try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database());
             NodeStorage storage = NodeStorage.open(home, config, home.policies(config), metadata);
             EvacuationProgress progress = new EvacuationProgress(home.evacuations())) {
            NodeConfig file = NodeConfig.read(home.config());
            if (!file.storage().closedProviders().contains(provider)) {
                List<String> closed = new ArrayList<>(file.storage().closedProviders());
                closed.add(provider);
                file.withStorage(new NodeConfig.Storage(file.storage().sites(), closed)).save(home.config());
            }
            return storage.evacuate(provider, progress, onProgress);
        } catch (NodeStorage.InUseException e) {
            throw new Refused(e.getMessage() + " (bulwark request provider-evacuate)");
        } catch (StoreException e) {
            throw new Refused("evacuation of provider " + provider + " stopped: " + e.getMessage() + "; run it again to resume");
        }
    }

    /** The configured sites, or the default site written out, so adding one does not drop it. */
    static List<NodeConfig.SiteConfig> explicit(NodeHome home, NodeConfig config) {
        if (!config.storage().sites().isEmpty()) return config.storage().sites();
        return List.of(new NodeConfig.SiteConfig(NodeStorage.DEFAULT_SITE, "local", config.nation(), config.nation(), "filesystem",
                home.dir().relativize(home.defaultSite()).toString(), null, null, null, null, null));
    }

    /** Blobs from before the placement index lie in the default site without placements. */
    private static boolean holdsLegacyBlobs(NodeHome home, String id) throws IOException {
        if (!id.equals(NodeStorage.DEFAULT_SITE) || !Files.isDirectory(home.defaultSite())) return false;
        return !io.bulwark.store.blob.FilesystemBlobStore.storedKeys(home.defaultSite()).isEmpty();
    }

    /**
     * The home's lock ({@link HomeLock}): a running node holds it, and its sites change only through
     * an approved request, which it applies at once — not in a file it would overwrite.
     */
    private static HomeLock stopped(NodeHome home, String instead) throws IOException {
        try {
            return HomeLock.acquire(home);
        } catch (HomeLock.HeldException e) {
            throw new Refused(e.getMessage() + "; a running node changes its sites on a request officers approve: " + instead);
        }
    }

    private static java.nio.channels.FileChannel lock(NodeHome home) throws IOException {
        try {
            return NodeStorage.lock(home);
        } catch (NodeStorage.InUseException e) {
            throw new Refused(e.getMessage() + "; sites change on a stopped node");
        }
    }
}
