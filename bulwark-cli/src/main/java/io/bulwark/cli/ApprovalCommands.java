package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bulwark approval list|show|approve|reject} and {@code bulwark request ...}: M-of-N approval
 * of sensitive operations through a node's client API (docs/approvals.md).
 */
final class ApprovalCommands {

    private ApprovalCommands() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String APPROVALS = "/api/v1/approvals";

    private static JsonNode send(ClientCommands.Connection c, HttpRequest request, int expected) {
        HttpResponse<byte[]> response = c.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != expected) throw ClientCommands.Connection.failure(response.statusCode(), response.body());
        return ClientCommands.Connection.json(response.body());
    }

    private static HttpRequest post(ClientCommands.Connection c, String path, Object body) {
        try {
            return c.request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String path(String id, String action) {
        return APPROVALS + "/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + action;
    }

    /** One line: id, state, operation, approvals so far of those required, requester, expiry. */
    private static String line(JsonNode r) {
        return r.path("id").asText() + "  " + r.path("state").asText() + "  " + r.path("operation").asText() + " " + r.path("parameters")
                + "  " + r.path("approvals").size() + "/" + r.path("required").asInt() + "  by " + r.path("requester").asText()
                + "  expires " + r.path("expires").asText();
    }

    /** What a decision did; an approved operation that then failed is a failure of the command. */
    private static int outcome(PrintWriter out, String verb, JsonNode r) {
        out.println(verb + " " + line(r));
        return switch (r.path("state").asText()) {
            case "executed" -> {
                out.println("executed: " + r.path("result").asText());
                yield ExitCode.OK;
            }
            case "failed" -> throw new UserError(ExitCode.OTHER, "approved, but the operation failed: " + r.path("result").asText());
            default -> ExitCode.OK;
        };
    }

    @Command(name = "approval", mixinStandardHelpOptions = true,
            description = {"Requests for sensitive operations and their approval by officers (M-of-N; docs/approvals.md)."},
            subcommands = {ListRequests.class, Show.class, Approve.class, Reject.class})
    static final class ApprovalGroup {}

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List requests, newest first (operators and officers).")
    static final class ListRequests implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Option(names = "--state", paramLabel = "STATE", description = "pending, executing, executed, failed, rejected or expired") String state;
        @Option(names = "--json", description = "Print the node's JSON.") boolean json;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            String q = state == null ? "" : "?state=" + URLEncoder.encode(state, StandardCharsets.UTF_8);
            JsonNode body = send(connection, connection.request(APPROVALS + q).GET().build(), 200);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(body.toPrettyString());
            } else if (body.path("requests").isEmpty()) {
                out.println("no requests");
            } else {
                for (JsonNode r : body.path("requests")) out.println(line(r));
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a request with its signed approvals as JSON.")
    static final class Show implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = "The approval request's id.") String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(send(connection, connection.request(path(id, "")).GET().build(), 200).toPrettyString());
            return ExitCode.OK;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve a request (officers other than its requester); the approval that makes M executes it.")
    static final class Approve implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = "The approval request's id.") String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return outcome(spec.commandLine().getOut(), "approved", send(connection, post(connection, path(id, "/approve"), Map.of()), 200));
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true, description = "Reject a request (any officer): it ends.")
    static final class Reject implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = "The approval request's id.") String id;
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why; kept with the signed rejection.") String reason;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return outcome(spec.commandLine().getOut(), "rejected",
                    send(connection, post(connection, path(id, "/reject"), Map.of("reason", reason)), 200));
        }
    }

    /** Files a request and prints its id (the one line a script needs), then what it waits for on stderr. */
    private static int request(ClientCommands.Connection c, CommandSpec spec, String operation, Map<String, String> parameters) {
        JsonNode r = send(c, post(c, APPROVALS, Map.of("operation", operation, "parameters", parameters)), 202);
        spec.commandLine().getOut().println(r.path("id").asText());
        spec.commandLine().getErr().println("requested " + operation + "; it runs once " + r.path("required").asInt()
                + " officer(s) other than you approve it before " + r.path("expires").asText());
        return ExitCode.OK;
    }

    @Command(name = "request", mixinStandardHelpOptions = true,
            description = {"Request a sensitive operation (operators and officers); prints the request's id. "
                    + "It takes effect once approved (bulwark approval approve)."},
            subcommands = {PeerAdd.class, PeerRemove.class, Residency.class, KeysRotate.class, ProviderEvacuate.class, SiteAdd.class,
                    SiteRemove.class})
    static final class RequestGroup {}

    @Command(name = "peer-add", mixinStandardHelpOptions = true, description = "Request pinning a peer (operation peer.add).")
    static final class PeerAdd implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Option(names = "--nation", required = true, paramLabel = "NATION", description = "The peer's nation, ISO 3166-1 alpha-3, e.g. FRA.") String nation;
        @Option(names = "--peer-url", required = true, paramLabel = "URL", description = "The peer's federation API, https://HOST:PORT") String peerUrl;
        @Option(names = "--fingerprint", required = true, paramLabel = "HEX", description = "SHA-256 of the peer's TLS certificate") String fingerprint;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("nation", nation);
            p.put("url", peerUrl);
            p.put("fingerprint", fingerprint);
            return request(connection, spec, "peer.add", p);
        }
    }

    @Command(name = "peer-remove", mixinStandardHelpOptions = true, description = "Request unpinning a peer (operation peer.remove).")
    static final class PeerRemove implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "NATION", description = "The peer's nation, e.g. FRA.") String nation;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "peer.remove", Map.of("nation", nation));
        }
    }

    @Command(name = "residency", mixinStandardHelpOptions = true,
            description = "Request a new default residency (operation residency.default); '' means anywhere.")
    static final class Residency implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "POLICY", description = "e.g. in=EU;operator=EU") String policy;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "residency.default", Map.of("policy", policy));
        }
    }

    @Command(name = "keys-rotate", mixinStandardHelpOptions = true, description = "Request a rotation of the node's keys (operation keys.rotate).")
    static final class KeysRotate implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "keys.rotate", Map.of());
        }
    }

    @Command(name = "provider-evacuate", mixinStandardHelpOptions = true,
            description = "Request that the running node evacuate a provider (operation provider.evacuate); progress: GET /api/v1/storage.")
    static final class ProviderEvacuate implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "PROVIDER", description = "The storage provider, as the sites name it (bulwark site list).") String provider;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "provider.evacuate", Map.of("provider", provider));
        }
    }

    @Command(name = "site-add", mixinStandardHelpOptions = true,
            description = {"Request a new storage site on the running node (operation site.add), with the options of bulwark site add. "
                    + "Once approved the node opens the site, checks that it answers and is empty, writes it into bulwark.yaml and places "
                    + "new replicas there at once. S3 credentials are never sent: --credentials-file names an owner-only file on the "
                    + "node's machine (relative to its home), or the node takes AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from its environment."})
    static final class SiteAdd implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Mixin StorageCommands.SiteOptions site;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "site.add", site.parameters());
        }
    }

    @Command(name = "site-remove", mixinStandardHelpOptions = true,
            description = {"Request the removal of a storage site from the running node (operation site.remove). Only a site that holds "
                    + "no replica can go: evacuate its provider first (bulwark request provider-evacuate)."})
    static final class SiteRemove implements Callable<Integer> {
        @Mixin ClientCommands.Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = "The site's id (bulwark site list).") String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            return request(connection, spec, "site.remove", Map.of("id", id));
        }
    }
}
