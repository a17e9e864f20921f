package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import io.bulwark.store.Page;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listing page reads a bounded window of records, so a caller who may see little of a node gets
 * short or empty pages with a cursor rather than one request that reads the whole node; its cursors
 * leave the node sealed, since one may name a record the caller may not see.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListingWindowTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    Node node;
    Principal ana;
    Principal rita;
    String ritaToken;
    String anaToken;
    final List<String> restricted = new ArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("rita", "DEU", List.of("NATO RESTRICTED"), Set.of(), Set.of(Role.ANALYST)));
        node = Node.start(home);
        ana = users.find("ana").orElseThrow().toPrincipal("bulwark:DEU:deu-1");
        rita = users.find("rita").orElseThrow().toPrincipal("bulwark:DEU:deu-1");
        ritaToken = new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(rita, Duration.ofMinutes(10));
        anaToken = new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(ana, Duration.ofMinutes(10));
        for (int i = 0; i < 40; i++) {
            boolean low = i % 13 == 5; // three records rita may read, among 37 she may not
            String id = node.records().publish(ana, low ? "NATO RESTRICTED" : "NATO SECRET//REL TO DEU", "", "text/plain",
                    ("record " + i).getBytes(StandardCharsets.UTF_8)).id();
            if (low) restricted.addFirst(id); // newest first
        }
    }

    @AfterAll
    void stop() {
        node.close();
    }

    @Test
    void aCallerWhoMaySeeLittleGetsShortPagesThatTogetherHoldEverythingOnce() {
        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        RecordQuery query = RecordQuery.all().withPageSize(10);
        while (true) {
            Page<RecordMetadata> page = node.records().list(rita, query, 10);
            page.items().forEach(m -> seen.add(m.id()));
            sizes.add(page.items().size());
            if (page.nextCursor().isEmpty()) break;
            query = query.withCursor(page.nextCursor().get());
        }
        assertThat(seen).containsExactlyElementsOf(restricted);
        assertThat(sizes).as("40 records in windows of 10").hasSize(4);
    }

    @Test
    void theHttpListingSealsItsCursorsAndFollowsThem() throws Exception {
        List<String> seen = new ArrayList<>();
        List<String> cursors = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get("/api/v1/records?limit=1" + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            page.path("items").forEach(item -> seen.add(item.path("id").asText()));
            cursor = page.has("next") ? page.path("next").asText() : null;
            if (cursor != null) cursors.add(cursor);
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(restricted);
        assertThat(cursors).isNotEmpty().allSatisfy(c -> {
            assertThat(c).as("sealed: longer than a store position, and no store position decodes from it").hasSizeGreaterThan(60);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.bulwark.store.internal.Cursors.decode(c))
                    .isInstanceOf(io.bulwark.store.InvalidQueryException.class);
        });
    }

    @Test
    void aCursorThisNodeDidNotIssueForTheListingIs400() throws Exception {
        String changesCursor = get("/api/v1/changes?limit=1").path("cursor").asText();
        String storePosition = node.metadata().list(RecordQuery.all().withPageSize(1)).nextCursor().orElseThrow();
        for (String cursor : List.of(changesCursor, storePosition, "x")) {
            assertRefused("/api/v1/records?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8), ritaToken, cursor);
        }
    }

    /** A cursor may name a record its holder may not see: it anchors nobody else's listing, and no other query's. */
    @Test
    void aCursorHoldsForItsCallerAndItsFiltersOnly() throws Exception {
        String cursor = get("/api/v1/records?limit=1&origin=DEU").path("next").asText();
        String encoded = URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        assertThat(send("/api/v1/records?limit=5&origin=DEU&cursor=" + encoded, ritaToken).statusCode()).as("another page size").isEqualTo(200);
        assertRefused("/api/v1/records?cursor=" + encoded, ritaToken, cursor);
        assertRefused("/api/v1/records?origin=DEU&before=2099-01-01T00:00:00Z&cursor=" + encoded, ritaToken, cursor);
        assertRefused("/api/v1/records?origin=DEU&cursor=" + encoded, anaToken, cursor);
    }

    private void assertRefused(String target, String token, String cursor) throws Exception {
        HttpResponse<byte[]> r = send(target, token);
        assertThat(r.statusCode()).as(target).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("detail").asText()).as(target)
                .startsWith("cursor '" + cursor + "': not a cursor this node issued to you for this listing");
    }

    private JsonNode get(String target) throws Exception {
        HttpResponse<byte[]> r = send(target);
        assertThat(r.statusCode()).as(target).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private HttpResponse<byte[]> send(String target) throws Exception {
        return send(target, ritaToken);
    }

    private HttpResponse<byte[]> send(String target, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + target)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
