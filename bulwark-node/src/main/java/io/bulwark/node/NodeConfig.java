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
 */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
@JsonIgnoreProperties(ignoreUnknown = false)
public record NodeConfig(String nation, String node, String listen, boolean tls, List<String> policies,
                         Limits limits, List<Oidc> oidc, String residency, Federation federation) {

    public NodeConfig {
        policies = policies == null ? List.of() : List.copyOf(policies);
        limits = limits == null ? Limits.DEFAULTS : limits;
        oidc = oidc == null ? List.of() : List.copyOf(oidc);
        residency = residency == null ? "" : residency;
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
                               @JsonProperty("federation") Federation federation) {
        return new NodeConfig(nation, node, listen, Boolean.TRUE.equals(tls), policies, limits, oidc, residency, federation);
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

    /** Request limits; every one has a default. */
    public record Limits(long maxPayloadBytes, int maxConcurrentRequests, int requestTimeoutSeconds, int maxHeaderBytes) {
        public static final Limits DEFAULTS = new Limits(64L * 1024 * 1024, 256, 30, 16 * 1024);

        /** How the {@code limits} of {@code bulwark.yaml} are read: a limit left out takes its default. */
        @JsonCreator
        static Limits fromYaml(@JsonProperty("maxPayloadBytes") Long maxPayloadBytes,
                               @JsonProperty("maxConcurrentRequests") Integer maxConcurrentRequests,
                               @JsonProperty("requestTimeoutSeconds") Integer requestTimeoutSeconds,
                               @JsonProperty("maxHeaderBytes") Integer maxHeaderBytes) {
            return new Limits(maxPayloadBytes == null ? DEFAULTS.maxPayloadBytes() : maxPayloadBytes,
                    maxConcurrentRequests == null ? DEFAULTS.maxConcurrentRequests() : maxConcurrentRequests,
                    requestTimeoutSeconds == null ? DEFAULTS.requestTimeoutSeconds() : requestTimeoutSeconds,
                    maxHeaderBytes == null ? DEFAULTS.maxHeaderBytes() : maxHeaderBytes);
        }
    }

    /** An OIDC issuer and how its claims map onto a subject. */
    public record Oidc(String issuer, String jwksUri, String audience, String nationalityClaim, String clearanceClaim,
                       String coiClaim, String rolesClaim) {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    public static NodeConfig load(Path file) {
        NodeConfig c;
        try {
            c = YAML.readValue(file.toFile(), NodeConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidConfigException(file + ": unknown setting '" + e.getPropertyName() + "' at "
                    + e.getPathReference() + "; known: " + e.getKnownPropertyIds());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidConfigException(file + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw new InvalidConfigException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        String listen = Optional.ofNullable(System.getenv("BULWARK_LISTEN")).filter(s -> !s.isBlank()).orElse(c.listen());
        c = new NodeConfig(c.nation(), c.node(), listen, c.tls(), c.policies(), c.limits(), c.oidc(), c.residency(), c.federation());
        c.validate(file.toString());
        return c;
    }

    public void save(Path file) throws IOException {
        validate(file.toString());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, YAML.writeValueAsString(this));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    void validate(String source) {
        if (nation == null || !nation.matches("[A-Z]{3}")) {
            throw new InvalidConfigException(source + ": nation: an ISO 3166-1 alpha-3 code such as DEU, not '" + nation + "'");
        }
        if (node == null || !node.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new InvalidConfigException(source + ": node: lower-case letters, digits and '-', at most 63, not '" + node + "'");
        }
        host(); // validates listen
        if (federation != null) {
            federation.port();
            if (federation.port() != 0 && federation.port() == port() && federation.host().equals(host())) {
                throw new InvalidConfigException(source + ": federation.listen must differ from listen (" + listen + ")");
            }
        }
        if (limits.maxPayloadBytes() < 1 || limits.maxConcurrentRequests() < 1 || limits.requestTimeoutSeconds() < 1
                || limits.maxHeaderBytes() < 1024) {
            throw new InvalidConfigException(source + ": limits: every limit is positive (and maxHeaderBytes at least 1024)");
        }
        if (!tls && !isLoopback(host())) {
            throw new InvalidConfigException(source + ": listen " + listen + " is not a loopback address; serving it "
                    + "without TLS is refused (set tls: true)");
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

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new InvalidConfigException("listen: unknown host '" + host + "'");
        }
    }

}
