package io.bulwark.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.LabelFormat;
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
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's caches of verified tokens, labels read and subjects change no answer: the same token and
 * label texts are sent again and again, and every answer is the one an uncached node gives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CachesNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    NodeHome home;
    Node node;
    LocalUsers users;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.of("127.0.0.1:" + Federated.freePort()));
        users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("bea", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("cem", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        node = Node.start(home);
    }

    @AfterAll
    void stop() {
        node.close();
    }

    String token(String user) throws Exception {
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
        return new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(5));
    }

    HttpResponse<String> publish(String token, String label) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("payload"));
        if (label != null) b.header("Bulwark-Label", label);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** users.json changed: its time must differ even when two writes fall in one clock tick. */
    void touch() throws Exception {
        Files.setLastModifiedTime(home.dir().resolve(LocalUsers.FILE_NAME), FileTime.from(Instant.now().plusSeconds(5)));
    }

    @Test
    void distinctLabelsGiveDistinctLabelsAndRepeatsTheSame() throws Exception {
        String token = token("ana");
        List<String> texts = List.of("NATO SECRET//REL TO DEU, FRA, USA", "NATO SECRET//REL TO USA, DEU", "NATO RESTRICTED");
        PolicySet uncached = PolicySet.defaults();
        List<String> expected = texts.stream().map(t -> uncached.canonicalMarking(uncached.decode(LabelFormat.MARKING, t))).toList();
        assertThat(expected).doesNotHaveDuplicates();
        for (int i = 0; i < 3; i++) {
            for (int t = 0; t < texts.size(); t++) {
                HttpResponse<String> published = publish(token, texts.get(t));
                assertThat(published.statusCode()).isEqualTo(201);
                assertThat(JSON.readTree(published.body()).path("label").asText()).isEqualTo(expected.get(t));
            }
        }
    }

    @Test
    void aBadLabelGetsTheSamePreciseErrorEveryTime() throws Exception {
        String token = token("ana");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> bad = publish(token, "NATO SECRET//REL TO DEU, XYZ");
            assertThat(bad.statusCode()).isEqualTo(422);
            assertThat(JSON.readTree(bad.body()).path("detail").asText()).isEqualTo(
                    "label (marking) at offset 25: 'XYZ' is not a value of 'Releasable To' in policy NATO");
            HttpResponse<String> missing = publish(token, "  ");
            assertThat(missing.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(missing.body()).path("detail").asText()).startsWith("the label is missing");
        }
    }

    @Test
    void aRemovedUsersCachedTokenIsRefusedAtTheNextRequest() throws Exception {
        String token = token("bea");
        assertThat(publish(token, "NATO SECRET").statusCode()).isEqualTo(201);
        assertThat(publish(token, "NATO SECRET").statusCode()).isEqualTo(201);
        users.remove("bea");
        touch();
        HttpResponse<String> refused = publish(token, "NATO SECRET");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).path("detail").asText())
                .isEqualTo("the bearer token was refused: local user 'bea' no longer exists on this node");
    }

    @Test
    void aLoweredClearanceAppliesAtTheNextRequestThoughTheTokenIsCached() throws Exception {
        String token = token("cem");
        assertThat(publish(token, "NATO SECRET").statusCode()).isEqualTo(201);
        // Edited in place, as an operator lowers a clearance: the same user, added when it was. (Removed
        // and added again, it would be a new user, and a token issued in an earlier second speaks for nobody.)
        Path file = home.dir().resolve(LocalUsers.FILE_NAME);
        var doc = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(Files.readString(file));
        for (var u : doc.get("users")) {
            if (u.path("name").asText().equals("cem")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) u).putArray("clearances").add("NATO RESTRICTED");
            }
        }
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        touch();
        HttpResponse<String> denied = publish(token, "NATO SECRET");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(denied.body()).path("detail").asText()).startsWith("you may not publish a record you could not read yourself");
        assertThat(publish(token, "NATO RESTRICTED").statusCode()).isEqualTo(201);
    }

    @Test
    void aTamperedTokenIsRefusedRightAfterTheGenuineOne() throws Exception {
        String token = token("ana");
        assertThat(publish(token, "NATO SECRET").statusCode()).isEqualTo(201);
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + (parts[2].charAt(0) == 'A' ? 'B' : 'A') + parts[2].substring(1);
        HttpResponse<String> refused = publish(forged, "NATO SECRET");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).path("detail").asText()).isEqualTo("the bearer token was refused: bad signature");
    }
}
