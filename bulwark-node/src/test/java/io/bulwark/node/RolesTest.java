package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint of {@code /openapi.json} × every role: allowed or denied (403 naming the role needed),
 * as docs/node.md's table says. The endpoints come from the node's own OpenAPI document, so an endpoint
 * added without a row here fails {@link #everyEndpointHasARow}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NO_SUCH = "01900000-0000-7000-8000-000000000000";
    private static final Set<Role> PUBLIC = EnumSet.allOf(Role.class);
    private static final Set<Role> ANALYST = EnumSet.of(Role.ANALYST);
    private static final Set<Role> OPERATIONS = EnumSet.of(Role.OPERATOR, Role.OFFICER);
    private static final Set<Role> OFFICER = EnumSet.of(Role.OFFICER);
    private final HttpClient http = HttpClient.newHttpClient();
    NodeHome home;
    Node node;
    String recordId;

    /** One row of the matrix: who may, and what an allowed call answers. */
    record Row(Set<Role> roles, String call, int allowed, String body) {
        boolean open() {
            return roles == PUBLIC;
        }
    }

    /** "METHOD /path as in openapi.json" → the row, with the concrete path (and query) called. */
    Map<String, Row> matrix() {
        Map<String, Row> m = new LinkedHashMap<>();
        m.put("GET /health", new Row(PUBLIC, "/health", 200, null));
        m.put("GET /openapi.json", new Row(PUBLIC, "/openapi.json", 200, null));
        m.put("GET /metrics", new Row(OPERATIONS, "/metrics", 200, null));
        m.put("POST /api/v1/records", new Row(ANALYST, "/api/v1/records", 201, "payload"));
        m.put("GET /api/v1/records", new Row(ANALYST, "/api/v1/records", 200, null));
        m.put("GET /api/v1/changes", new Row(ANALYST, "/api/v1/changes?from=latest", 200, null));
        m.put("GET /api/v1/records/{id}", new Row(ANALYST, "/api/v1/records/" + recordId, 200, null));
        m.put("DELETE /api/v1/records/{id}", new Row(ANALYST, "/api/v1/records/" + NO_SUCH, 404, null));
        m.put("PUT /api/v1/records/{id}/label", new Row(ANALYST, "/api/v1/records/" + NO_SUCH + "/label", 404, null)); // the label: the Bulwark-Label every request here carries
        m.put("GET /api/v1/federation/peers", new Row(OPERATIONS, "/api/v1/federation/peers", 200, null));
        m.put("GET /api/v1/federation/confirmations", new Row(OPERATIONS, "/api/v1/federation/confirmations", 200, null));
        m.put("GET /api/v1/audit/head", new Row(OPERATIONS, "/api/v1/audit/head", 200, null));
        m.put("GET /api/v1/storage", new Row(OPERATIONS, "/api/v1/storage", 200, null));
        m.put("GET /api/v1/audit/entries", new Row(OPERATIONS, "/api/v1/audit/entries", 200, null));
        m.put("GET /api/v1/audit/proof/inclusion", new Row(OPERATIONS, "/api/v1/audit/proof/inclusion?index=0", 200, null));
        m.put("GET /api/v1/audit/proof/consistency", new Row(OPERATIONS, "/api/v1/audit/proof/consistency?from=1&to=1", 200, null));
        m.put("POST /api/v1/approvals", new Row(OPERATIONS, "/api/v1/approvals", 202,
                "{\"operation\":\"residency.default\",\"parameters\":{\"policy\":\"\"}}"));
        m.put("GET /api/v1/approvals", new Row(OPERATIONS, "/api/v1/approvals?state=pending", 200, null));
        m.put("GET /api/v1/approvals/{id}", new Row(OPERATIONS, "/api/v1/approvals/" + NO_SUCH, 404, null));
        m.put("POST /api/v1/approvals/{id}/approve", new Row(OFFICER, "/api/v1/approvals/" + NO_SUCH + "/approve", 404, null));
        m.put("POST /api/v1/approvals/{id}/reject", new Row(OFFICER, "/api/v1/approvals/" + NO_SUCH + "/reject", 404,
                "{\"reason\":\"no\"}"));
        return m;
    }

    /** One user per role. */
    static final Map<Role, String> USERS = Map.of(Role.ANALYST, "ana", Role.OPERATOR, "otto", Role.OFFICER, "olga");

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.of("127.0.0.1:" + Federated.freePort()));
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        USERS.forEach((role, name) -> users.add(new User(name, "DEU", List.of("NATO SECRET"), Set.of(), Set.of(role))));
        node = Node.start(home);
        HttpResponse<String> published = send("POST", "/api/v1/records", "ana", "payload");
        recordId = JSON.readTree(published.body()).path("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (JSON.readTree(send("GET", "/api/v1/audit/head", "olga", null).body()).path("size").asLong() < 1) {
            assertThat(System.nanoTime()).as("the audit log has an entry").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @AfterAll
    void stop() {
        node.close();
    }

    HttpResponse<String> send(String method, String path, String user, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path))
                .header("Bulwark-Label", "NATO SECRET").header("Content-Type", body != null && body.startsWith("{") ? "application/json" : "text/plain");
        if (user != null) {
            User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
            b.header("Authorization", "Bearer " + new LocalTokens("DEU", "deu-1", home.tokenSecret())
                    .issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(5)));
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyEndpointHasARow() throws Exception {
        JsonNode paths = JSON.readTree(send("GET", "/openapi.json", null, null).body()).path("paths");
        Set<String> endpoints = new TreeSet<>();
        paths.fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(method -> {
            if (!method.equals("parameters")) endpoints.add(method.toUpperCase() + " " + p.getKey());
        }));
        assertThat(new TreeSet<>(matrix().keySet())).as("rows of the roles matrix = endpoints of /openapi.json").isEqualTo(endpoints);
    }

    @Test
    void everyRoleOnEveryEndpoint() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (var e : matrix().entrySet()) {
            String method = e.getKey().substring(0, e.getKey().indexOf(' '));
            Row row = e.getValue();
            for (Role role : Role.values()) {
                HttpResponse<String> r = send(method, row.call(), USERS.get(role), row.body());
                boolean may = row.roles().contains(role);
                String got = r.statusCode() + " " + r.body().lines().findFirst().orElse("");
                if (may && r.statusCode() != row.allowed()) {
                    wrong.add(e.getKey() + " as " + role.id() + ": expected " + row.allowed() + ", got " + got);
                }
                if (!may) {
                    String needed = "the role " + row.roles().stream().map(Role::id).collect(Collectors.joining(" or ")) + " is needed";
                    if (r.statusCode() != 403 || !r.headers().firstValue("Content-Type").orElse("").equals("application/problem+json")
                            || !JSON.readTree(r.body()).path("detail").asText().contains(needed)) {
                        wrong.add(e.getKey() + " as " + role.id() + ": expected 403 '" + needed + "...', got " + got);
                    }
                }
            }
            HttpResponse<String> anonymous = send(method, row.call(), null, row.body());
            int expected = row.open() ? row.allowed() : 401;
            if (anonymous.statusCode() != expected) wrong.add(e.getKey() + " without a token: expected " + expected + ", got " + anonymous.statusCode());
        }
        assertThat(wrong).isEmpty();
    }

    /** A caller without the role learns that, not what is wrong with its input (docs/node.md: roles before anything else). */
    @Test
    void aCallerWithoutTheRoleIsRefusedBeforeItsInputIsRead() throws Exception {
        record Call(String method, String path, Role as, String body) {}
        List<Call> calls = List.of(
                new Call("POST", "/api/v1/approvals", Role.ANALYST, "{\"unknown\":1}"),
                new Call("POST", "/api/v1/approvals/" + NO_SUCH + "/reject", Role.OPERATOR, "{\"unknown\":1}"),
                new Call("GET", "/api/v1/approvals?state=bogus", Role.ANALYST, null),
                new Call("GET", "/api/v1/records?limit=many", Role.OPERATOR, null),
                new Call("GET", "/api/v1/changes?limit=many", Role.OPERATOR, null));
        List<String> wrong = new ArrayList<>();
        for (Call c : calls) {
            HttpResponse<String> r = send(c.method(), c.path(), USERS.get(c.as()), c.body());
            if (r.statusCode() != 403) wrong.add(c + ": " + r.statusCode() + " " + r.body());
        }
        assertThat(wrong).isEmpty();
    }
}
