package io.bulwark.node;

import io.bulwark.federation.InvalidPeerException;
import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobStore;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.InvalidSiteException;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.blob.s3.S3Credentials;
import io.bulwark.store.blob.s3.S3Location;
import io.bulwark.store.site.Placement;
import io.bulwark.store.site.Site;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The sensitive operations of this build (docs/approvals.md). */
final class Operations {

    private Operations() {}

    private static Problem parameter(String message) {
        // InvalidPeerException and the like start with the field's name ("fingerprint: 64 hex digits ...").
        return Problem.badRequest("parameters." + message);
    }

    /** Pins a peer by writing peers.json, which the running node re-reads ({@link PeerList.Watched}). */
    record PeerAdd(Path peersFile, String ownNation, String ownFingerprint, Clock clock) implements SensitiveOperation {
        @Override public String name() { return "peer.add"; }
        @Override public List<String> parameters() { return List.of("nation", "url", "fingerprint"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            Peer peer = peer(p);
            added(peer);
            return Map.of("nation", peer.nation(), "url", peer.url().toString(), "fingerprint", peer.fingerprint());
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            Peer peer = peer(p);
            added(peer).write(peersFile);
            return "peer " + peer.nation() + " added: " + peer.url() + " pinned to " + peer.fingerprint();
        }

        /** The list with the peer; its own nation, a nation already a peer or a certificate already pinned is a conflict. */
        private PeerList added(Peer peer) {
            try {
                return list().with(peer, ownNation);
            } catch (InvalidPeerException e) {
                throw conflict(e.getMessage());
            }
        }

        private Peer peer(Map<String, String> p) {
            Peer peer;
            try {
                peer = new Peer(p.get("nation").toUpperCase(java.util.Locale.ROOT), Peer.url(p.get("url")), p.get("fingerprint"), clock.instant());
            } catch (InvalidPeerException e) {
                throw parameter(e.getMessage());
            }
            if (peer.fingerprint().equals(ownFingerprint)) {
                throw parameter("fingerprint: " + peer.fingerprint() + " is this node's own certificate; pin the peer's");
            }
            return peer;
        }

        private PeerList list() {
            return Operations.list(peersFile);
        }
    }

    /** Unpins a peer: all exchange with it stops at its next handshake or request. */
    record PeerRemove(Path peersFile) implements SensitiveOperation {
        @Override public String name() { return "peer.remove"; }
        @Override public List<String> parameters() { return List.of("nation"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String nation = p.get("nation").toUpperCase(java.util.Locale.ROOT);
            without(nation);
            return Map.of("nation", nation);
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            without(p.get("nation")).write(peersFile);
            return "peer " + p.get("nation") + " removed";
        }

        private PeerList without(String nation) {
            try {
                return list(peersFile).without(nation);
            } catch (InvalidPeerException e) {
                throw new Problem(409, "Conflict", "parameters." + e.getMessage());
            }
        }
    }

    private static PeerList list(Path file) {
        try {
            return PeerList.read(file);
        } catch (InvalidPeerException e) {
            throw new Problem(409, "Conflict", e.getMessage() + " (fix peers.json first)");
        }
    }

    /** The default residency: in bulwark.yaml (for the next start) and in the running record service (at once). */
    record ResidencyDefault(NodeHome home, RecordService records, PolicySet policies, NodeStorage storage) implements SensitiveOperation {
        @Override public String name() { return "residency.default"; }
        @Override public List<String> parameters() { return List.of("policy"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            return Map.of("policy", parse(p.get("policy")).toString());
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            ResidencyPolicy residency = parse(p.get("policy"));
            // The file first: if it cannot be written, nothing has changed; NodeConfig.save replaces it atomically.
            NodeConfig.read(home.config()).withResidency(residency.toString()).save(home.config());
            records.defaultResidency(residency);
            return "default residency: " + (residency.toString().isEmpty() ? "(anywhere)" : residency);
        }

        private ResidencyPolicy parse(String text) {
            ResidencyPolicy residency;
            try {
                residency = ResidencyPolicy.parse(text, policies);
            } catch (InvalidResidencyException e) {
                throw parameter("policy: " + e.getMessage());
            }
            // A default that no publish could meet would refuse every record published without a residency.
            if (Placement.choose(residency, storage.replicas().candidates().stream()
                    .map(c -> new Placement.Candidate(c.site(), true, c.acceptsWrites())).toList()) instanceof Placement.Refused r) {
                throw Problem.unprocessable("Residency cannot be met", "parameters.policy: " + residency + ": " + r);
            }
            return residency;
        }
    }

    /** Key rotation, delegated to the build's {@link KeyRotator}; refused at request time without one. */
    record KeysRotate(Optional<KeyRotator> rotator) implements SensitiveOperation {
        @Override public String name() { return "keys.rotate"; }
        @Override public List<String> parameters() { return List.of(); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            if (rotator.isEmpty()) throw new Problem(501, "Not implemented", "keys.rotate: key rotation is not implemented on this build");
            return Map.of();
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            RotationResult r = rotator.orElseThrow().rotate(actor);
            return "keys rotated: signing key " + r.previousSigningKey() + " -> " + r.newSigningKey() + ", KEM key " + r.newKemKey();
        }
    }

    /**
     * Moves every replica off a provider while the node keeps serving (docs/storage.md). The provider
     * is closed to new writes in {@code bulwark.yaml} first, so a restart keeps it closed and a
     * request made again resumes the evacuation from its progress file.
     */
    record ProviderEvacuate(NodeHome home, NodeStorage storage, Runnable storageChanged) implements SensitiveOperation {
        @Override public String name() { return "provider.evacuate"; }
        @Override public List<String> parameters() { return List.of("provider"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String provider = p.get("provider");
            if (storage.replicas().sites().stream().noneMatch(s -> s.provider().equals(provider))) {
                throw parameter("provider: no site of this node belongs to provider '" + provider + "'");
            }
            NodeStorage.nowhereToGo(storage.replicas().sites(), NodeConfig.read(home.config()).storage().closedProviders(), provider)
                    .ifPresent(why -> { throw conflict("provider: " + why + " (bulwark request site-add)"); });
            return Map.of("provider", provider);
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            String provider = check(p).get("provider");
            NodeConfig config = NodeConfig.read(home.config());
            List<String> closed = new java.util.ArrayList<>(config.storage().closedProviders());
            if (!closed.contains(provider)) closed.add(provider);
            config.withStorage(new NodeConfig.Storage(config.storage().sites(), closed)).save(home.config());
            storage.replicas().closeToWrites(provider);
            storageChanged.run(); // peers stop routing records here for the provider's sites
            if (!storage.startEvacuation(provider, home.evacuations())) {
                throw new Problem(409, "Conflict", "an evacuation is already running; see GET /api/v1/storage");
            }
            return "provider " + provider + " closed to writes; evacuation started (progress: GET /api/v1/storage)";
        }
    }

    /**
     * Adds a storage site to the running node (docs/storage.md). The parameters are those of
     * {@code bulwark site add}; credentials are never among them: an S3 site names an owner-only
     * secret file under the home ({@code credentialsFile}), or the node takes them from its
     * environment. Checked when requested without connecting; once approved the site is opened and
     * asked to list what it holds, and only a site that answers and is empty is written into
     * {@code bulwark.yaml} and used for new writes at once.
     */
    record SiteAdd(NodeHome home, NodeStorage storage, Runnable storageChanged) implements SensitiveOperation {
        private static final List<String> FILESYSTEM = List.of("path");
        private static final List<String> S3 = List.of("endpoint", "bucket", "region", "pathStyle", "credentialsFile");

        @Override public String name() { return "site.add"; }
        @Override public List<String> parameters() { return List.of("id", "provider", "jurisdiction", "operator", "kind"); }
        @Override public List<String> optionalParameters() { return List.of("path", "endpoint", "bucket", "region", "pathStyle", "credentialsFile"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String kind = p.get("kind");
            List<String> own = switch (kind) {
                case "filesystem" -> FILESYSTEM;
                case "s3" -> S3;
                default -> throw parameter("kind: filesystem or s3, not '" + kind + "'");
            };
            for (String name : optionalParameters()) {
                if (p.containsKey(name) && !own.contains(name)) {
                    throw parameter(name + ": not a parameter of a" + (kind.equals("s3") ? "n s3" : " filesystem") + " site (it takes "
                            + String.join(", ", own) + ")");
                }
            }
            for (String name : kind.equals("s3") ? List.of("endpoint", "bucket") : FILESYSTEM) {
                if (p.get(name) == null) throw parameter(name + ": required for a" + (kind.equals("s3") ? "n s3" : " filesystem") + " site");
            }
            Map<String, String> canonical = new java.util.TreeMap<>();
            for (String name : parameters()) canonical.put(name, p.get(name));
            if (kind.equals("s3")) {
                canonical.put("endpoint", p.get("endpoint"));
                canonical.put("bucket", p.get("bucket"));
                canonical.put("region", p.getOrDefault("region", "us-east-1"));
                String pathStyle = p.getOrDefault("pathStyle", "true");
                if (!pathStyle.equals("true") && !pathStyle.equals("false")) throw parameter("pathStyle: true or false, not '" + pathStyle + "'");
                canonical.put("pathStyle", pathStyle);
                if (p.containsKey("credentialsFile")) canonical.put("credentialsFile", p.get("credentialsFile"));
            } else {
                canonical.put("path", p.get("path"));
            }
            Site site = site(canonical);
            conflicts(site);
            return canonical;
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            Site site = site(check(p));
            BlobStore store;
            try {
                store = site.open();
            } catch (RuntimeException e) { // StoreException, or InvalidSiteException from the credentials file
                throw new Problem(503, "Site unavailable", "site " + site.id() + " could not be opened: " + e.getMessage()
                        + "; nothing was changed");
            }
            try {
                Optional<String> first;
                try (var blobs = store.list()) {
                    first = blobs.findFirst().map(io.bulwark.store.BlobEntry::key);
                } catch (StoreException e) {
                    throw new Problem(503, "Site unavailable", "site " + site.id() + " did not answer: " + e.getMessage()
                            + "; nothing was changed (request it again once it answers)");
                }
                if (first.isPresent()) {
                    throw new Problem(409, "Conflict", StorageAdmin.notEmpty(site.id(), first.get()));
                }
                NodeConfig config = NodeConfig.read(home.config());
                List<NodeConfig.SiteConfig> sites = new java.util.ArrayList<>(StorageAdmin.explicit(home, config));
                sites.add(new NodeConfig.SiteConfig(site.id(), site.provider(), site.jurisdiction(), site.operator(), p.get("kind"),
                        p.get("path"), p.get("endpoint"), p.get("bucket"), p.get("region"),
                        p.containsKey("pathStyle") ? Boolean.valueOf(p.get("pathStyle")) : null, p.get("credentialsFile")));
                // The file first: if it cannot be written, nothing has changed; NodeConfig.save replaces it atomically.
                config.withStorage(new NodeConfig.Storage(sites, config.storage().closedProviders())).save(home.config());
            } catch (Exception | Error e) {
                store.close();
                throw e;
            }
            storage.addSite(site, store);
            storageChanged.run();
            return "site " + site.id() + " added (" + site.kind() + ", provider " + site.provider() + ", " + site.jurisdiction()
                    + ", operator " + site.operator() + "); new writes may use it";
        }

        /** The site the canonical parameters describe; a field that breaks a rule is named. */
        private Site site(Map<String, String> p) {
            String id = p.get("id");
            // Each field alone beside valid others, so the refusal names the field that breaks its rule.
            Site.Connection probe = new Site.Filesystem(home.dir());
            for (String field : List.of("id", "provider", "jurisdiction", "operator")) {
                try {
                    new Site(field.equals("id") ? id : "x", field.equals("provider") ? p.get(field) : "x",
                            field.equals("jurisdiction") ? p.get(field) : "AAA", field.equals("operator") ? p.get(field) : "AAA", probe);
                } catch (InvalidSiteException e) {
                    throw parameter(field + ": " + quote(p.get(field)) + " " + e.rule());
                }
            }
            Site.Connection connection;
            if (p.get("kind").equals("filesystem")) {
                Path path = resolve(home.dir(), "path", p.get("path"));
                if (home.dir().startsWith(path)) throw parameter("path: " + quote(p.get("path")) + " is the node's home or contains it");
                connection = new Site.Filesystem(path);
            } else {
                URI endpoint;
                try {
                    endpoint = new URI(p.get("endpoint"));
                } catch (java.net.URISyntaxException e) {
                    throw parameter("endpoint: not a URL"); // never echoed: it might carry credentials
                }
                S3Location location;
                try {
                    location = new S3Location(endpoint, p.get("bucket"), p.get("region"), Boolean.parseBoolean(p.get("pathStyle")), "");
                } catch (InvalidSiteException e) {
                    // "bucket \"A_B\"" or "endpoint": the field first, then its value if it may be shown
                    String input = e.input();
                    int space = input.indexOf(' ');
                    throw parameter(space < 0 ? input + ": " + e.rule() : input.substring(0, space) + ": " + input.substring(space + 1) + " " + e.rule());
                }
                Path base = home.dir().toAbsolutePath().normalize();
                Optional<Path> credentials = Optional.ofNullable(p.get("credentialsFile")).map(f -> resolve(base, "credentialsFile", f));
                credentials.ifPresent(file -> {
                    // Inside the home, checked before the file is touched: a request is not a probe of the node's disk.
                    if (!file.startsWith(base)) {
                        throw parameter("credentialsFile: " + quote(p.get("credentialsFile")) + " is outside the node's home; "
                                + "name a file inside it, e.g. secrets/s3.secret");
                    }
                    try {
                        S3Credentials.fromFile(file); // refuses a file others may read, or one without the keys
                    } catch (InvalidSiteException e) {
                        throw parameter("credentialsFile: " + quote(p.get("credentialsFile")) + " " + e.rule());
                    } catch (StoreException e) {
                        throw parameter("credentialsFile: " + quote(p.get("credentialsFile")) + " cannot be read (" + file + ")");
                    }
                });
                connection = new Site.S3(location, credentials);
            }
            return new Site(id, p.get("provider"), p.get("jurisdiction"), p.get("operator"), connection);
        }

        /** Refuses a site that clashes with one the node has: its id, its place, or a provider closed to writes. */
        private void conflicts(Site site) {
            NodeConfig config = NodeConfig.read(home.config());
            List<Site> existing = new java.util.ArrayList<>(storage.replicas().sites());
            for (Site s : NodeStorage.sites(home, config)) { // written but not yet running (a failed start) count too
                if (existing.stream().noneMatch(e -> e.id().equals(s.id()))) existing.add(s);
            }
            for (Site s : existing) {
                if (s.id().equals(site.id())) throw conflict("id: the node has a site " + quote(site.id()) + " already");
                site.sharedPlace(s).ifPresent(why -> {
                    throw conflict((site.connection() instanceof Site.S3 ? "bucket: " : "path: ") + why);
                });
            }
            if (config.storage().closedProviders().contains(site.provider())) {
                throw conflict("provider: " + quote(site.provider()) + " is closed to writes (storage.closedProviders), so a site of it "
                        + "would take no replica");
            }
        }
    }

    /**
     * Removes a storage site from the running node, only if it holds nothing: a site that still
     * holds a replica is refused (409), and the way to empty it is {@code provider.evacuate}.
     * Refused too if it is the node's only site, or if the default residency could not be met
     * without it. The removal is written into {@code bulwark.yaml} while writes pause, so no replica
     * can land there between the check and the removal.
     */
    record SiteRemove(NodeHome home, NodeStorage storage, RecordService records, Runnable storageChanged) implements SensitiveOperation {
        @Override public String name() { return "site.remove"; }
        @Override public List<String> parameters() { return List.of("id"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String id = p.get("id");
            Site site = storage.replicas().site(id).orElseThrow(() -> parameter("id: the node has no site " + quote(id) + "; its sites: "
                    + String.join(", ", storage.replicas().sites().stream().map(Site::id).toList())));
            if (storage.replicas().sites().size() == 1) throw conflict("id: site " + id + " is the node's only site; add another first");
            storage.holds(site).ifPresent(why -> {
                throw conflict("id: " + why);
            });
            ResidencyPolicy residency = records.defaultResidency();
            if (Placement.choose(residency, storage.replicas().candidates().stream().filter(c -> !c.site().id().equals(id))
                    .map(c -> new Placement.Candidate(c.site(), true, c.acceptsWrites())).toList()) instanceof Placement.Refused r) {
                throw conflict("id: without site " + id + " the default residency '" + residency + "' could not be met (" + r
                        + "); change it first (bulwark request residency)");
            }
            return Map.of("id", id);
        }

        @Override
        public String execute(Map<String, String> p, String actor) throws Exception {
            String id = check(p).get("id");
            Site site = storage.replicas().site(id).orElseThrow();
            int left = StorageAdmin.undeletedByEvacuation(home, site.provider());
            if (left > 0) { // replicas an evacuation moved but could not delete there: nothing would delete them after this
                throw conflict("id: the evacuation of provider " + site.provider() + " could not delete " + left
                        + " replica(s) there yet; run it again once the site answers (bulwark request provider-evacuate "
                        + site.provider() + "); nothing was changed");
            }
            Optional<String> refused = storage.removeSite(id, java.time.Duration.ofSeconds(30), () -> {
                NodeConfig config = NodeConfig.read(home.config());
                List<NodeConfig.SiteConfig> sites = new java.util.ArrayList<>(StorageAdmin.explicit(home, config));
                sites.removeIf(s -> s.id().equals(id));
                config.withStorage(new NodeConfig.Storage(sites, config.storage().closedProviders())).save(home.config());
            });
            if (refused.isPresent()) throw conflict("id: " + refused.get() + "; nothing was changed");
            storageChanged.run();
            return "site " + id + " removed (provider " + site.provider() + ", " + site.jurisdiction() + "); it held no replica";
        }
    }

    /** A path parameter against a directory; one the file system cannot name (a NUL in it) is bad input. */
    private static Path resolve(Path dir, String field, String value) {
        try {
            return dir.resolve(value).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw parameter(field + ": " + quote(value) + " is not a path: " + e.getReason());
        }
    }

    private static Problem conflict(String message) {
        return new Problem(409, "Conflict", "parameters." + message);
    }

    private static String quote(String value) {
        return ProblemErrors.quote(value);
    }
}
