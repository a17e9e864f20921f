package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's HTTP API as its users call it: local users' tokens, records published and read, and
 * sensitive operations requested and approved through {@code /api/v1/approvals}.
 */
final class NodeClient {

    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final NodeHome home;
    private final Supplier<Node> node;

    /** @param node the node now (tests restart it) */
    NodeClient(NodeHome home, Supplier<Node> node) {
        this.home = home;
        this.node = node;
    }

    /** An answer: the status and the body, as JSON when it is. */
    record Answer(int status, String text) {
        JsonNode json() {
            try {
                return JSON.readTree(text);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + text, e);
            }
        }

        String detail() {
            return json().path("detail").asText();
        }
    }

    /** The users {@code ana} (analyst), {@code otto} (operator) and {@code olga} and {@code omar} (officers), of the node's nation. */
    static void addUsers(NodeHome home) {
        String nation = home.loadConfig().nation();
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", nation, List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("otto", nation, List.of("NATO SECRET"), Set.of(), Set.of(Role.OPERATOR)));
        users.add(new User("olga", nation, List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
        users.add(new User("omar", nation, List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
    }

    /** Writes the S3 test servers' key into {@code secrets/s3.secret} of the home, owner-only, as an operator would. */
    static void writeS3Secret(NodeHome home, String access, String secret) throws java.io.IOException {
        Path file = home.dir().resolve("secrets/s3.secret");
        Files.writeString(file, "aws_access_key_id=" + access + "\naws_secret_access_key=" + secret + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    String token(String user) throws Exception {
        NodeConfig config = home.loadConfig();
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
        String issuer = "bulwark:" + config.nation() + ":" + config.node();
        return new LocalTokens(config.nation(), config.node(), home.tokenSecret()).issue(u.toPrincipal(issuer), Duration.ofMinutes(10));
    }

    Answer call(String method, String path, String user, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.get().url() + path)).header("Authorization", "Bearer " + token(user));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    /** Publishes as ana with this residency. */
    Answer post(String residency, String payload) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.get().url() + "/api/v1/records"))
                .header("Authorization", "Bearer " + token("ana")).header("Bulwark-Label", "NATO SECRET")
                .header("Bulwark-Residency", residency).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    /** Publishes, expecting 201; the record's id. */
    String publish(String residency, String payload) throws Exception {
        Answer a = post(residency, payload);
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json().path("id").asText();
    }

    Answer read(String id) throws Exception {
        return call("GET", "/api/v1/records/" + id, "ana", null);
    }

    /** Requests an operation as otto; the answer (202 and the request, or the refusal). */
    Answer request(String operation, Map<String, String> parameters) throws Exception {
        return call("POST", "/api/v1/approvals", "otto", Map.of("operation", operation, "parameters", parameters));
    }

    /** Requests an operation as otto and has olga approve it; the request as it stands after the approval. */
    JsonNode requestAndApprove(String operation, Map<String, String> parameters) throws Exception {
        Answer requested = request(operation, parameters);
        assertThat(requested.status()).as(requested.text()).isEqualTo(202);
        return approve(requested.json().path("id").asText());
    }

    JsonNode approve(String requestId) throws Exception {
        Answer approved = call("POST", "/api/v1/approvals/" + requestId + "/approve", "olga", null);
        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        return approved.json();
    }

    /** {@code GET /api/v1/storage} as otto. */
    JsonNode storage() throws Exception {
        Answer a = call("GET", "/api/v1/storage", "otto", null);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        return a.json();
    }
}
