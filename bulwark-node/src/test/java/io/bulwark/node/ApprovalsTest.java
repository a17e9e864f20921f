package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.federation.PeerList;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Approvals through the API of a real node in production mode (2 of 3 officers): what runs when, signatures, audit, restart. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApprovalsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    NodeHome home;
    Node node;
    String fraFingerprint;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.of("127.0.0.1:" + Federated.freePort()));
        fraFingerprint = NodeHome.init(dir.resolve("fra"), "FRA", "fra-1", "127.0.0.1:0", Optional.of("127.0.0.1:1")).tlsFingerprint();
        NodeConfig c = NodeConfig.read(home.config());
        new NodeConfig(c.nation(), c.node(), c.listen(), c.tls(), c.policies(), c.limits(), c.oidc(), c.residency(), c.federation(),
                NodeConfig.Mode.PRODUCTION, c.approvals()).save(home.config());
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("otto", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OPERATOR)));
        users.add(new User("oscar", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OPERATOR, Role.OFFICER)));
        for (String o : List.of("olga", "omar", "oleg")) users.add(new User(o, "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        node = Node.start(home);
    }

    @AfterAll
    void stop() {
        node.close();
    }

    String token(String user) throws Exception {
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
        return new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
    }

    record Answer(int status, JsonNode body, String type) {}

    Answer call(String method, String path, String user, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).header("Authorization", "Bearer " + token(user));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()), r.headers().firstValue("Content-Type").orElse(""));
    }

    String request(String user, String operation, Map<String, String> parameters) throws Exception {
        Answer a = call("POST", "/api/v1/approvals", user, Map.of("operation", operation, "parameters", parameters));
        assertThat(a.status()).as("%s", a.body()).isEqualTo(202);
        assertThat(a.body().path("state").asText()).isEqualTo("pending");
        assertThat(a.body().path("required").asInt()).isEqualTo(2);
        return a.body().path("id").asText();
    }

    @Test
    void twoOfThreeOfficersAddAPeerOnlyAtTheSecondApproval() throws Exception {
        String id = request("otto", "peer.add", Map.of("nation", "FRA", "url", "https://127.0.0.1:17444", "fingerprint", fraFingerprint));
        assertThat(Files.exists(home.peers())).isFalse();

        Answer first = call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().path("state").asText()).isEqualTo("pending");
        assertThat(Files.exists(home.peers())).as("one approval of two: nothing happens").isFalse();

        Answer twice = call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        assertThat(twice.status()).isEqualTo(409);
        assertThat(twice.type()).isEqualTo("application/problem+json");
        assertThat(twice.body().path("title").asText()).isEqualTo("Duplicate approval");
        assertThat(Files.exists(home.peers())).isFalse();

        Answer second = call("POST", "/api/v1/approvals/" + id + "/approve", "omar", null);
        assertThat(second.body().path("state").asText()).as("%s", second.body()).isEqualTo("executed");
        assertThat(PeerList.read(home.peers()).byNation("FRA").orElseThrow().fingerprint()).isEqualTo(fraFingerprint);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.peers().stream().noneMatch(p -> p.nation().equals("FRA")) && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(node.peers()).as("the running node picks the new peer up").anyMatch(p -> p.nation().equals("FRA"));

        // Every approval verifies with the node's signing key: the one whose fingerprint 'bulwark node info' prints.
        HybridPublicSigningKey nodeKey = home.openKeystore().signing().primary();
        JsonNode r = second.body();
        Map<String, String> parameters = new TreeMap<>();
        r.path("parameters").fields().forEachRemaining(f -> parameters.put(f.getKey(), f.getValue().asText()));
        byte[] digest = ApprovalService.digest("peer.add", parameters);
        assertThat(HexFormat.of().formatHex(digest)).isEqualTo(r.path("digest").asText());
        assertThat(r.path("approvals")).hasSize(2);
        for (JsonNode a : r.path("approvals")) {
            assertThat(HybridPublicSigningKey.parse(Base64.getDecoder().decode(a.path("publicKey").asText())).fingerprint())
                    .isEqualTo(nodeKey.fingerprint());
            byte[] signed = ApprovalService.signedBytes(id, digest, a.path("officer").asText(), Instant.ofEpochMilli(a.path("timeMillis").asLong()),
                    ApprovalService.Verdict.APPROVE);
            nodeKey.verify(Base64.getDecoder().decode(a.path("signature").asText()), signed); // throws if it does not verify
        }

        // The audit log has the request, both approvals, the refused duplicate and the execution.
        List<JsonNode> events = new ArrayList<>();
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (events.stream().noneMatch(e -> e.path("type").asText().equals("admin") && e.path("subject").asText().equals("peer.add"))
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
            events.clear();
            call("GET", "/api/v1/audit/entries?limit=1000", "olga", null).body().path("entries").forEach(e -> events.add(e.path("event")));
        }
        List<String> trail = events.stream().filter(e -> e.path("subject").asText().equals(id) || e.path("details").path("request").asText().equals(id))
                .map(e -> e.path("type").asText() + " " + e.path("details").path("action").asText("") + " " + e.path("outcome").asText()
                        + " " + e.path("actor").asText()).toList();
        assertThat(trail).containsExactly("approval request success otto@DEU", "approval approve success olga@DEU",
                "approval approve denied olga@DEU", "approval approve success omar@DEU", "admin  success approval:" + id);
    }

    @Test
    void theRequesterCannotApproveAndARejectionEndsTheRequest() throws Exception {
        String id = request("oscar", "residency.default", Map.of("policy", "in=DEU"));
        Answer own = call("POST", "/api/v1/approvals/" + id + "/approve", "oscar", null);
        assertThat(own.status()).isEqualTo(403);
        assertThat(own.body().path("detail").asText()).contains("you requested " + id);
        Answer rejected = call("POST", "/api/v1/approvals/" + id + "/reject", "oleg", Map.of("reason", "not agreed"));
        assertThat(rejected.body().path("state").asText()).isEqualTo("rejected");
        assertThat(rejected.body().path("rejection").path("reason").asText()).isEqualTo("not agreed");
        Answer late = call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.body().path("title").asText()).isEqualTo("Already decided");
    }

    @Test
    void theDefaultResidencyChangesAtRuntimeAndInTheFile() throws Exception {
        String id = request("otto", "residency.default", Map.of("policy", "in=DEU"));
        call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        assertThat(node.records().defaultResidency().toString()).isEmpty();
        Answer done = call("POST", "/api/v1/approvals/" + id + "/approve", "oleg", null);
        assertThat(done.body().path("state").asText()).as("%s", done.body()).isEqualTo("executed");
        assertThat(node.records().defaultResidency().toString()).isEqualTo("in=DEU");
        assertThat(NodeConfig.read(home.config()).residency()).isEqualTo("in=DEU");
        var ana = LocalUsers.open(home.dir(), PolicySet.defaults()).find("ana").orElseThrow().toPrincipal("bulwark:DEU:deu-1");
        var published = node.records().publish(ana, "NATO SECRET", null, "text/plain", "x".getBytes());
        assertThat(published.residency()).isEqualTo("in=DEU");
    }

    @Test
    void anApprovedRotationRotatesTheKeysOfTheRunningNode() throws Exception {
        var before = home.openKeystore().signing().primary();
        String id = request("otto", "keys.rotate", Map.of());
        call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        assertThat(home.openKeystore().signing().primary()).isEqualTo(before); // one approval of two: nothing yet
        Answer done = call("POST", "/api/v1/approvals/" + id + "/approve", "oleg", null);
        assertThat(done.body().path("state").asText()).as("%s", done.body()).isEqualTo("executed");
        var after = home.openKeystore().signing();
        assertThat(after.primary()).isNotEqualTo(before);
        assertThat(after.publicKeys()).contains(before); // kept: what it signed still verifies

        // The rotation's own audit event names the approved request as its actor.
        node.close(); // everything audited is written
        var out = new java.io.ByteArrayOutputStream();
        io.bulwark.audit.AuditLog.export(home.auditLog(), out, Optional.empty());
        node = Node.start(home);
        List<JsonNode> rotations = new ArrayList<>();
        for (String line : out.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            JsonNode e = JSON.readTree(line);
            if (e.at("/entry/details/action").asText().equals("keys.rotate")) rotations.add(e);
        }
        assertThat(rotations).singleElement().satisfies(e -> assertThat(e.at("/entry/actor").asText()).isEqualTo("approval:" + id));
    }

    @Test
    void refusalsAreProblemsNamingTheInput() throws Exception {
        assertThat(call("POST", "/api/v1/approvals", "otto", Map.of("operation", "peer.ad")).body().path("detail").asText())
                .startsWith("operation: unknown 'peer.ad'; known: keys.rotate, peer.add, peer.remove, provider.evacuate, residency.default");
        assertThat(call("POST", "/api/v1/approvals", "otto", Map.of("operation", "peer.add", "parameters",
                Map.of("nation", "FRA", "url", "https://127.0.0.1:1", "fingerprint", "xyz"))).body().path("detail").asText())
                .startsWith("parameters.fingerprint: 64 hex digits");
        Answer own = call("POST", "/api/v1/approvals", "otto", Map.of("operation", "peer.add", "parameters",
                Map.of("nation", "DEU", "url", "https://127.0.0.1:1", "fingerprint", fraFingerprint)));
        assertThat(own.status() + " " + own.body().path("detail").asText())
                .isEqualTo("409 parameters.nation: DEU is this node's own nation; peers are other nations' nodes");
        assertThat(call("POST", "/api/v1/approvals", "otto", Map.of("operation", "residency.default", "parameters",
                Map.of("policy", "in=FRA"))).status()).isEqualTo(422);
        Answer analyst = call("POST", "/api/v1/approvals", "ana", Map.of("operation", "peer.remove", "parameters", Map.of("nation", "FRA")));
        assertThat(analyst.status()).isEqualTo(403);
        assertThat(analyst.body().path("detail").asText()).contains("the role operator or officer is needed");
        assertThat(call("GET", "/api/v1/approvals/nope", "olga", null).status()).isEqualTo(404);
        assertThat(call("GET", "/api/v1/approvals?state=soon", "olga", null).status()).isEqualTo(400);
    }

    @Test
    void aRestartKeepsPendingRequests() throws Exception {
        String id = request("otto", "residency.default", Map.of("policy", ""));
        call("POST", "/api/v1/approvals/" + id + "/approve", "olga", null);
        node.close();
        node = Node.start(home);
        Answer back = call("GET", "/api/v1/approvals/" + id, "otto", null);
        assertThat(back.body().path("state").asText()).isEqualTo("pending");
        assertThat(back.body().path("approvals")).hasSize(1);
        assertThat(call("GET", "/api/v1/approvals?state=pending", "olga", null).body().path("requests").findValuesAsText("id")).contains(id);
    }
}
