package io.bulwark.node;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.bulwark.store.MetadataStore;
import io.bulwark.store.RecordQuery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A node's configuration, {@code bulwark.yaml} in its home. Keys follow {@code bulwark.<component>.<setting>}
 * in spirit; a few have environment overrides ({@code BULWARK_LISTEN}).
 *
 * @param nation     the node's nation, ISO 3166-1 alpha-3
 * @param node       the node's name, e.g. {@code deu-1}
 * @param listen     host:port of the client API; port 0 picks a free one
 * @param tls        whether the client API serves HTTPS with the node's certificate (required off loopback)
 * @param policies   SPIF files; empty means the bundled policies
 * @param limits     request limits
 * @param oidc       external identity providers whose bearer tokens are accepted
 * @param residency  the default residency policy of records published without one
 * @param federation the federation API, if this node shares with peers
 * @param mode       dev or production: sets the default number of approvals (docs/approvals.md) and
 *                   whether the local {@code peer add|remove --home} commands may change trust
 * @param approvals  M-of-N approvals of sensitive operations
 * @param storage    the storage sites and the providers closed to writes (docs/storage.md); none
 *                   configured means the single filesystem site {@code default} in the home
 */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
@JsonIgnoreProperties(ignoreUnknown = false)
public record NodeConfig(String nation, String node, String listen, boolean tls, List<String> policies,
                         Limits limits, List<Oidc> oidc, String residency, Federation federation, Mode mode,
                         Approvals approvals,
                         @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = Storage.Default.class) Storage storage) {

    public NodeConfig {
        storage = storage == null ? Storage.NONE : storage;
        policies = policies == null ? List.of() : List.copyOf(policies);
        limits = limits == null ? Limits.DEFAULTS : limits;
        oidc = oidc == null ? List.of() : List.copyOf(oidc);
        residency = residency == null ? "" : residency;
        mode = mode == null ? Mode.DEV : mode;
        approvals = approvals == null ? Approvals.DEFAULTS : approvals;
    }

    /** As above, in dev mode with default approvals: the form of every configuration before modes existed. */
    public NodeConfig(String nation, String node, String listen, boolean tls, List<String> policies,
                      Limits limits, List<Oidc> oidc, String residency, Federation federation) {
        this(nation, node, listen, tls, policies, limits, oidc, residency, federation, Mode.DEV, Approvals.DEFAULTS);
    }

    /** As above, with the default storage: the form of every configuration before storage sites existed. */
    public NodeConfig(String nation, String node, String listen, boolean tls, List<String> policies,
                      Limits limits, List<Oidc> oidc, String residency, Federation federation, Mode mode, Approvals approvals) {
        this(nation, node, listen, tls, policies, limits, oidc, residency, federation, mode, approvals, Storage.NONE);
    }

    /**
     * Where records' bytes lie.
     *
     * @param sites           the storage sites; empty means the filesystem site {@code default}
     * @param closedProviders providers that take no new replicas (evacuated, or being evacuated)
     */
    public record Storage(List<SiteConfig> sites, List<String> closedProviders) {
        public static final Storage NONE = new Storage(List.of(), List.of());

        public Storage {
            sites = sites == null ? List.of() : List.copyOf(sites);
            closedProviders = closedProviders == null ? List.of() : List.copyOf(closedProviders);
        }

        /** Leaves the default out of a saved {@code bulwark.yaml}, so nodes without sites keep the file they had. */
        static final class Default {
            @Override
            public boolean equals(Object o) {
                return NONE.equals(o);
            }

            @Override
            public int hashCode() {
                return 0;
            }
        }

        @JsonCreator
        static Storage fromYaml(@JsonProperty("sites") List<SiteConfig> sites, @JsonProperty("closedProviders") List<String> closedProviders) {
            return new Storage(sites, closedProviders);
        }
    }

    /**
     * One storage site as written in {@code bulwark.yaml}. Credentials are never written here: an S3
     * site names an owner-only secret file ({@code credentialsFile}, relative to the home) or takes
     * them from the environment ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}).
     *
     * @param kind {@code filesystem} (with {@code path}, relative to the home) or {@code s3} (with
     *             {@code endpoint}, {@code bucket}, optional {@code region}, {@code pathStyle})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SiteConfig(String id, String provider, String jurisdiction, String operator, String kind, String path,
                             String endpoint, String bucket, String region, Boolean pathStyle, String credentialsFile) {}

    /** This configuration with other storage (a site added or removed, a provider closed). */
    NodeConfig withStorage(Storage newStorage) {
        return new NodeConfig(nation, node, listen, tls, policies, limits, oidc, residency, federation, mode, approvals, newStorage);
    }

    /** How a node is run. Production is stricter: more approvals by default, no local changes of trust. */
    public enum Mode {
        DEV, PRODUCTION;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        static Mode parse(String text) {
            for (Mode m : values()) if (m.id().equals(text)) return m;
            throw new InvalidConfigException("mode: dev or production, not '" + text + "'");
        }
    }

    /**
     * M-of-N approvals of sensitive operations (docs/approvals.md).
     *
     * @param required M, distinct officers other than the requester; absent means the mode's default
     *                 (2 in production, 1 in dev) so that switching the mode switches the default too
     * @param expiry   how long a request waits for its approvals, ISO 8601 ({@code PT24H})
     */
    public record Approvals(Integer required, String expiry) {
        public static final Approvals DEFAULTS = new Approvals(null, null);

        public Approvals {
            expiry = expiry == null ? "PT24H" : expiry;
        }

        @JsonCreator
        static Approvals fromYaml(@JsonProperty("required") Integer required, @JsonProperty("expiry") String expiry) {
            return new Approvals(required, expiry);
        }

        /** The M in force for this mode. */
        public int required(Mode mode) {
            return required != null ? required : mode == Mode.PRODUCTION ? 2 : 1;
        }

        public java.time.Duration expiryDuration() {
            try {
                return java.time.Duration.parse(expiry);
            } catch (java.time.format.DateTimeParseException e) {
                throw new InvalidConfigException("approvals.expiry: an ISO 8601 duration such as PT24H, not '" + expiry + "'");
            }
        }
    }

    /** This configuration with another default residency (an approved {@code residency.default}). */
    NodeConfig withResidency(String newResidency) {
        return new NodeConfig(nation, node, listen, tls, policies, limits, oidc, newResidency, federation, mode, approvals, storage);
    }

    /**
     * How {@code bulwark.yaml} is read: a key left out takes its default ({@code tls: false}, no
     * policies, default limits, no OIDC issuer, no residency), as it does in the constructor.
     */
    @JsonCreator
    static NodeConfig fromYaml(@JsonProperty("nation") String nation, @JsonProperty("node") String node,
                               @JsonProperty("listen") String listen, @JsonProperty("tls") Boolean tls,
                               @JsonProperty("policies") List<String> policies, @JsonProperty("limits") Limits limits,
                               @JsonProperty("oidc") List<Oidc> oidc, @JsonProperty("residency") String residency,
                               @JsonProperty("federation") Federation federation, @JsonProperty("mode") Mode mode,
                               @JsonProperty("approvals") Approvals approvals, @JsonProperty("storage") Storage storage) {
        return new NodeConfig(nation, node, listen, Boolean.TRUE.equals(tls), policies, limits, oidc, residency, federation,
                mode, approvals, storage);
    }

    /**
     * The federation API: always HTTPS with mutual TLS, on its own port.
     *
     * @param listen     host:port; port 0 picks a free one
     * @param hybridOnly refuse any handshake without the hybrid group X25519MLKEM768 (the default)
     */
    public record Federation(String listen, boolean hybridOnly) {
        @JsonCreator
        static Federation fromYaml(@JsonProperty("listen") String listen, @JsonProperty("hybridOnly") Boolean hybridOnly) {
            return new Federation(listen, hybridOnly == null || hybridOnly);
        }

        String host() {
            return NodeConfig.host(listen, "federation.listen");
        }

        int port() {
            return NodeConfig.port(listen, "federation.listen");
        }
    }

    public Optional<Federation> federationSettings() {
        return Optional.ofNullable(federation);
    }

    /**
     * Request limits; every one has a default. {@code maxBufferedBytes}, the request bodies held in
     * memory at once across requests, is null unless set: then a quarter of the heap.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Limits(long maxPayloadBytes, int maxConcurrentRequests, int requestTimeoutSeconds, int maxHeaderBytes,
                         int listingWindow, Long maxBufferedBytes) {
        public static final Limits DEFAULTS = new Limits(64L * 1024 * 1024, 256, 30, 16 * 1024, MetadataStore.SCAN_WINDOW, null);
        /** The largest listing window: a page reading more would cost seconds again. */
        public static final int MAX_LISTING_WINDOW = 1_000_000;
        /**
         * The largest payload limit: a payload is read into one array and sealed into another, with its
         * segments' tags (16 bytes a 64 KiB), key access and label — 4 MiB below 2 GiB leaves room for them.
         */
        public static final long MAX_PAYLOAD_BYTES = (1L << 31) - (4L << 20);
        /** The largest payload limit with federation: a peer takes a sealed record of up to {@code FeedFrame.MAX_FRAME} bytes. */
        public static final long MAX_FEDERATED_PAYLOAD_BYTES = 64L << 20;

        /** The bytes of request bodies this node holds in memory at once: as set, else a quarter of the heap. */
        public long bufferBudget() {
            return maxBufferedBytes != null ? maxBufferedBytes : Runtime.getRuntime().maxMemory() / 4;
        }

        /** How the {@code limits} of {@code bulwark.yaml} are read: a limit left out takes its default. */
        @JsonCreator
        static Limits fromYaml(@JsonProperty("maxPayloadBytes") Long maxPayloadBytes,
                               @JsonProperty("maxConcurrentRequests") Integer maxConcurrentRequests,
                               @JsonProperty("requestTimeoutSeconds") Integer requestTimeoutSeconds,
                               @JsonProperty("maxHeaderBytes") Integer maxHeaderBytes,
                               @JsonProperty("listingWindow") Integer listingWindow,
                               @JsonProperty("maxBufferedBytes") Long maxBufferedBytes) {
            return new Limits(maxPayloadBytes == null ? DEFAULTS.maxPayloadBytes() : maxPayloadBytes,
                    maxConcurrentRequests == null ? DEFAULTS.maxConcurrentRequests() : maxConcurrentRequests,
                    requestTimeoutSeconds == null ? DEFAULTS.requestTimeoutSeconds() : requestTimeoutSeconds,
                    maxHeaderBytes == null ? DEFAULTS.maxHeaderBytes() : maxHeaderBytes,
                    listingWindow == null ? DEFAULTS.listingWindow() : listingWindow, maxBufferedBytes);
        }
    }

    /** An OIDC issuer and how its claims map onto a subject. */
    public record Oidc(String issuer, String jwksUri, String audience, String nationalityClaim, String clearanceClaim,
                       String coiClaim, String rolesClaim) {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // A key given twice is refused: which of the two would count is not the reader's guess to make.
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());

    public static NodeConfig load(Path file) {
        NodeConfig c = read(file);
        String listen = Optional.ofNullable(System.getenv("BULWARK_LISTEN")).filter(s -> !s.isBlank()).orElse(c.listen());
        c = new NodeConfig(c.nation(), c.node(), listen, c.tls(), c.policies(), c.limits(), c.oidc(), c.residency(), c.federation(),
                c.mode(), c.approvals(), c.storage());
        c.validate(file.toString());
        return c;
    }

    /** The file as it is, without environment overrides: what a change to the file starts from. */
    static NodeConfig read(Path file) {
        NodeConfig c;
        try {
            c = YAML.readValue(file.toFile(), NodeConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidConfigException(file + ": unknown setting '" + e.getPropertyName() + "' at "
                    + e.getPathReference() + "; known: " + e.getKnownPropertyIds());
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            // Named by the setting and the kind of value it takes, not by the Java type that holds it.
            String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(java.util.stream.Collectors.joining(".")).replace(".[", "[");
            throw new InvalidConfigException(file + ": " + (key.isEmpty() ? "the file" : key) + ": " + kind(e.getTargetType())
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidConfigException(file + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw new InvalidConfigException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        if (c == null) throw new InvalidConfigException(file + ": empty; the settings are a YAML mapping (nation, node, listen, ...)");
        return c;
    }

    private static String kind(Class<?> type) {
        if (type == null) return "a value of another kind";
        if (type == Boolean.class || type == boolean.class) return "true or false";
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) return "a whole number";
        if (type == String.class) return "text";
        if (java.util.Collection.class.isAssignableFrom(type)) return "a list";
        if (type.isEnum()) return "one of " + java.util.Arrays.toString(type.getEnumConstants());
        return "a mapping of its settings";
    }

    /**
     * Writes the file atomically and durably: a temporary file, forced to disk, renamed over the old
     * one, then the directory forced. A crash leaves the old file or the new one, never a torn one.
     */
    public void save(Path file) throws IOException {
        validate(file.toString());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, YAML.writeValueAsString(this));
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path dir = file.toAbsolutePath().getParent();
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // some file systems cannot force a directory; the rename itself is still atomic
        }
    }

    void validate(String source) {
        if (nation == null || !nation.matches("[A-Z]{3}")) {
            throw new InvalidConfigException(source + ": nation: an ISO 3166-1 alpha-3 code such as DEU, not '" + nation + "'");
        }
        if (node == null || !node.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new InvalidConfigException(source + ": node: lower-case letters, digits and '-', at most 63, not '" + node + "'");
        }
        try { // the address rules name their key; the file is named here
            host();
            if (federation != null) {
                federation.port();
                if (federation.port() != 0 && federation.port() == port() && federation.host().equals(host())) {
                    throw new InvalidConfigException("federation.listen must differ from listen (" + listen + ")");
                }
            }
            if (!tls && !isLoopback(host())) {
                throw new InvalidConfigException("listen " + listen + " is not a loopback address; serving it without TLS is refused "
                        + "(set tls: true)");
            }
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException(source + ": " + e.getMessage());
        }
        for (var limit : java.util.Map.of("maxPayloadBytes", limits.maxPayloadBytes(), "maxConcurrentRequests", (long) limits.maxConcurrentRequests(),
                "requestTimeoutSeconds", (long) limits.requestTimeoutSeconds()).entrySet()) {
            if (limit.getValue() < 1) throw new InvalidConfigException(source + ": limits." + limit.getKey() + ": at least 1, not " + limit.getValue());
        }
        if (limits.maxPayloadBytes() > Limits.MAX_PAYLOAD_BYTES) { // a payload is held in one array, and sealed records stop at 2 GiB
            throw new InvalidConfigException(source + ": limits.maxPayloadBytes: at most " + Limits.MAX_PAYLOAD_BYTES + ", not " + limits.maxPayloadBytes());
        }
        if (federation != null && limits.maxPayloadBytes() > Limits.MAX_FEDERATED_PAYLOAD_BYTES) {
            throw new InvalidConfigException(source + ": limits.maxPayloadBytes: at most " + Limits.MAX_FEDERATED_PAYLOAD_BYTES
                    + " on a node with federation (a feed frame carries a record of a 64 MiB payload at most), not " + limits.maxPayloadBytes());
        }
        if (limits.maxBufferedBytes() != null && limits.maxBufferedBytes() < 2 * limits.maxPayloadBytes()) {
            // A publish holds its body and its sealed record: one of the largest payload needs twice its size.
            throw new InvalidConfigException(source + ": limits.maxBufferedBytes: at least twice limits.maxPayloadBytes ("
                    + 2 * limits.maxPayloadBytes() + "), not " + limits.maxBufferedBytes());
        }
        if (limits.maxHeaderBytes() < 1024) {
            throw new InvalidConfigException(source + ": limits.maxHeaderBytes: at least 1024, not " + limits.maxHeaderBytes());
        }
        // At least the largest page, so that every page size fits in one window.
        if (limits.listingWindow() < RecordQuery.MAX_PAGE_SIZE || limits.listingWindow() > Limits.MAX_LISTING_WINDOW) {
            throw new InvalidConfigException(source + ": limits.listingWindow: " + RecordQuery.MAX_PAGE_SIZE + " to "
                    + Limits.MAX_LISTING_WINDOW + ", not " + limits.listingWindow());
        }
        if (mode == Mode.PRODUCTION) {
            for (int i = 0; i < oidc.size(); i++) {
                String audience = oidc.get(i).audience();
                if (audience == null || audience.isBlank()) {
                    // Without it, a token the provider issued to any of its clients (another application's) is accepted here.
                    throw new InvalidConfigException(source + ": oidc[" + i + "].audience: required in production mode "
                            + "(the client id this node's tokens are issued to)");
                }
            }
        }
        if (approvals.required() != null && approvals.required() < 1) {
            throw new InvalidConfigException(source + ": approvals.required: at least 1, not " + approvals.required());
        }
        java.time.Duration expiry = approvals.expiryDuration();
        if (expiry.isNegative() || expiry.isZero()) {
            throw new InvalidConfigException(source + ": approvals.expiry: positive, not " + approvals.expiry());
        }
    }

    String host() {
        return host(listen, "listen");
    }

    int port() {
        return port(listen, "listen");
    }

    static String host(String listen, String key) {
        int colon = listen == null ? -1 : listen.lastIndexOf(':');
        if (colon <= 0) throw new InvalidConfigException(key + ": HOST:PORT, not '" + listen + "'");
        port(listen, key);
        String host = listen.substring(0, colon);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    static int port(String listen, String key) {
        if (listen == null || listen.lastIndexOf(':') <= 0) throw new InvalidConfigException(key + ": HOST:PORT, not '" + listen + "'");
        String p = listen.substring(listen.lastIndexOf(':') + 1);
        if (!p.matches("[0-9]{1,5}") || Integer.parseInt(p) > 65535) {
            throw new InvalidConfigException(key + ": the port is 0..65535, not '" + p + "'");
        }
        return Integer.parseInt(p);
    }

    /** Whether a {@code listen} value (HOST:PORT) names a loopback address; refuses a malformed one, naming {@code key}. */
    public static boolean loopbackListen(String listen, String key) {
        return isLoopback(host(listen, key));
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new InvalidConfigException("listen: unknown host '" + host + "'");
        }
    }

}
