package io.bulwark.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stored label this node's policies no longer read (the policy files changed under it) permits
 * nobody: a read answers the 404 of a missing record — never a 500 that would tell the caller the
 * id exists — and a listing passes over the record instead of failing for every caller.
 */
class UnreadableLabelTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aRecordWhoseLabelNoLongerReadsIsMissingToEveryoneAndListingsGoOn(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        LocalUsers.open(home.dir(), PolicySet.defaults()).add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        String lost;
        String kept;
        try (Node node = Node.start(home)) {
            lost = publish(node, home, "NATO SECRET//REL TO DEU, FRA");
            kept = publish(node, home, "NATO RESTRICTED");
        }
        // As if the policy that defined the classification had gone: the stored label names one it lacks.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.database());
             PreparedStatement s = c.prepareStatement("UPDATE records SET label_json = replace(label_json, 'SECRET', 'ULTRA') WHERE id = ?")) {
            s.setString(1, lost);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        try (Node node = Node.start(home)) {
            String token = token(home);
            HttpResponse<String> read = get(node, token, "/api/v1/records/" + lost);
            HttpResponse<String> missing = get(node, token, "/api/v1/records/" + "01a21a8a-ff2a-7064-a045-6cc2b46f97da");
            assertThat(read.statusCode()).isEqualTo(404);
            assertThat(read.body()).isEqualTo(missing.body());
            HttpResponse<String> list = get(node, token, "/api/v1/records");
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(list.body()).path("items").findValuesAsText("id")).containsExactly(kept);
        }
    }

    private String token(NodeHome home) throws Exception {
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find("ana").orElseThrow();
        return new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(5));
    }

    private String publish(Node node, NodeHome home, String label) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records"))
                .header("Authorization", "Bearer " + token(home)).header("Content-Type", "text/plain").header("Bulwark-Label", label)
                .POST(HttpRequest.BodyPublishers.ofString("payload")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("id").asText();
    }

    private HttpResponse<String> get(Node node, String token, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
