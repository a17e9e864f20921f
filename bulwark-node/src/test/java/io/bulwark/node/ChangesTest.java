package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.crypto.CursorSeal;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/changes}: what a client that must act on new data at once reads instead of
 * polling — at the origin and at a peer that receives the records, over real HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChangesTest {

    Federated nations;
    NodeClient deu;
    NodeClient fra;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA"));
        for (String nation : List.of("DEU", "FRA")) {
            NodeHome home = nations.homes.get(nation);
            NodeClient.addUsers(home);
            LocalUsers.open(home.dir(), PolicySet.defaults())
                    .add(new User("ivan", nation, List.of("NATO SECRET"), Set.of("ISR"), Set.of(Role.ANALYST)));
        }
        deu = new NodeClient(nations.homes.get("DEU"), () -> nations.node("DEU"));
        fra = new NodeClient(nations.homes.get("FRA"), () -> nations.node("FRA"));
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    private static String q(String cursor) {
        return URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    }

    /** A 200 answer to {@code GET /api/v1/changes?query} as {@code user}. */
    private static JsonNode changes(NodeClient node, String user, String query) throws Exception {
        NodeClient.Answer a = node.call("GET", "/api/v1/changes?" + query, user, null);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        return a.json();
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("items").forEach(i -> ids.add(i.path("id").asText()));
        return ids;
    }

    private String publish(String label, String text, String... cois) {
        return nations.node("DEU").records().publish(analyst("DEU", cois), label, "", "text/plain",
                text.getBytes(StandardCharsets.UTF_8)).id();
    }

    @Test
    void aStandingRequestAtAPeerAnswersWithTheRecordAsItArrives() throws Exception {
        String cursor = changes(fra, "ana", "from=latest").path("cursor").asText();
        CompletableFuture<NodeClient.Answer> waiting = standing(fra, "ana", "cursor=" + q(cursor) + "&wait=10");
        String id = publish("NATO SECRET//REL TO DEU, FRA", "for FRA");

        NodeClient.Answer answer = waiting.get(30, TimeUnit.SECONDS);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonNode page = answer.json();
        assertThat(ids(page)).containsExactly(id);
        JsonNode item = page.path("items").get(0);
        assertThat(item.path("change").asText()).isEqualTo("published");
        assertThat(item.path("origin").asText()).isEqualTo("DEU/deu-1");
        assertThat(item.path("label").asText()).isEqualTo("NATO SECRET//REL TO FRA, DEU");
        assertThat(item.path("size").asLong()).isEqualTo(7);
        assertThat(fra.read(id).status()).as("the change is shown once the record is readable").isEqualTo(200);
    }

    @Test
    void changesTheCallerMayNotSeeAreSkippedWithoutAnsweringEarly() throws Exception {
        String start = changes(deu, "ana", "from=latest").path("cursor").asText();
        String hidden = publish("NATO SECRET//REL TO DEU//COI ISR", "isr only", "ISR");

        long before = System.nanoTime();
        JsonNode waited = changes(deu, "ana", "cursor=" + q(start) + "&wait=1");
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("a change ana may not see does not end her wait")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(ids(waited)).isEmpty();
        assertThat(ids(changes(deu, "ivan", "cursor=" + q(start)))).as("ivan holds COI ISR").containsExactly(hidden);

        String visible = publish("NATO SECRET//REL TO DEU", "for all");
        assertThat(ids(changes(deu, "ana", "cursor=" + q(waited.path("cursor").asText()))))
                .as("the cursor moved past the hidden change").containsExactly(visible);
    }

    @Test
    void moreHiddenChangesThanOneRequestReadsDoNotEndAWaitEarly() throws Exception {
        RecordService records = nations.node("DEU").records();
        long start = nations.node("DEU").metadata().lastSeq();
        for (int i = 0; i < 5; i++) publish("NATO SECRET//REL TO DEU//COI ISR", "hidden " + i, "ISR");

        RecordService.SeenChanges at = records.changesAfter(analyst("DEU"), start, 100, Duration.ZERO, 3);
        assertThat(at.changes()).isEmpty();
        assertThat(at.after()).as("three entries read, then the request answers").isEqualTo(start + 3);

        long before = System.nanoTime();
        RecordService.SeenChanges waited = records.changesAfter(analyst("DEU"), start, 100, Duration.ofSeconds(1), 3);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("the cap reached, the request still waits out its time")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(waited.changes()).isEmpty();
        assertThat(records.changesAfter(analyst("DEU", "ISR"), start, 100, Duration.ZERO, 3).changes()).as("one who may see them").hasSize(3);
    }

    @Test
    void aCursorRevealsNothing() throws Exception {
        String start = changes(deu, "ana", "from=latest").path("cursor").asText();
        String again = changes(deu, "ana", "from=latest").path("cursor").asText();
        assertThat(again).as("the same position, sealed afresh").isNotEqualTo(start);
        JsonNode page = changes(deu, "ana", "cursor=" + q(start));
        assertThat(ids(page)).isEmpty();
        assertThat(page.path("cursor").asText()).isNotEqualTo(start);
    }

    @Test
    void relabelsAndRetractionsAreChangesToo() throws Exception {
        String atDeu = changes(deu, "ana", "from=latest").path("cursor").asText();
        String atFra = changes(fra, "ana", "from=latest").path("cursor").asText();
        String id = publish("NATO SECRET//REL TO DEU, FRA", "to be withdrawn from FRA");
        nations.await("FRA holds it", Duration.ofSeconds(30), () -> nations.node("FRA").metadata().find(id).isPresent());
        nations.node("DEU").records().relabel(analyst("DEU"), id, "NATO SECRET//REL TO DEU");
        nations.node("DEU").records().retract(analyst("DEU"), id);

        // The record is gone: a client reading now learns only that (not its label, size or history).
        JsonNode origin = changes(deu, "ana", "cursor=" + q(atDeu));
        assertThat(origin.path("items")).hasSize(1);
        JsonNode retraction = origin.path("items").get(0);
        assertThat(retraction.path("change").asText()).isEqualTo("removed");
        assertThat(retraction.path("id").asText()).isEqualTo(id);
        assertThat(retraction.has("label") || retraction.has("size")).isFalse();

        // At FRA the relabel withdraws the record: a client there learns it is gone.
        List<String> seen = new ArrayList<>();
        String cursor = atFra;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!seen.contains("removed") && System.nanoTime() < deadline) {
            JsonNode page = changes(fra, "ana", "cursor=" + q(cursor) + "&wait=5");
            seen.addAll(page.path("items").findValuesAsText("change"));
            cursor = page.path("cursor").asText();
        }
        assertThat(seen).endsWith("removed").isSubsetOf("published", "removed"); // published too, if read before the withdrawal
        assertThat(fra.read(id).status()).isEqualTo(404);
    }

    @Test
    void aRelabelBeyondTheCallersAccessShowsTheRecordAsRemovedAndNothingMore() throws Exception {
        String ana = changes(deu, "ana", "from=latest").path("cursor").asText();
        String ivan = changes(deu, "ivan", "from=latest").path("cursor").asText();
        String id = publish("NATO SECRET//REL TO DEU", "narrowed later");
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), id, "NATO SECRET//REL TO DEU//COI ISR");
        String never = publish("NATO SECRET//REL TO DEU//COI ISR", "never ana's", "ISR");
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), never, "NATO SECRET//REL TO DEU, FRA//COI ISR");

        // Read after the relabel, the publication is no longer ana's to see either: only that the record went.
        JsonNode anas = changes(deu, "ana", "cursor=" + q(ana));
        assertThat(anas.path("items").findValuesAsText("change")).containsExactly("removed");
        JsonNode removed = anas.path("items").get(0);
        assertThat(removed.path("id").asText()).isEqualTo(id);
        assertThat(removed.has("label")).as("the new label is not ana's to read").isFalse();
        assertThat(ids(anas)).as("a relabel between two labels ana may not read shows her nothing").doesNotContain(never);

        JsonNode ivans = changes(deu, "ivan", "cursor=" + q(ivan));
        assertThat(ivans.path("items").findValuesAsText("change")).containsExactly("published", "relabeled", "published", "relabeled");
        assertThat(ivans.path("items").get(1).path("label").asText()).isEqualTo("NATO SECRET//REL TO DEU//COI ISR");

        // Released to her again: the relabel shows in full.
        String next = anas.path("cursor").asText();
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), id, "NATO SECRET//REL TO DEU");
        JsonNode back = changes(deu, "ana", "cursor=" + q(next));
        assertThat(back.path("items").findValuesAsText("change")).containsExactly("relabeled");
        assertThat(back.path("items").get(0).path("label").asText()).isEqualTo("NATO SECRET//REL TO DEU");
    }

    /** The changes ana reads from {@code cursor}, as "change id" strings. */
    private List<String> anasChanges(String cursor) throws Exception {
        List<String> out = new ArrayList<>();
        changes(deu, "ana", "cursor=" + q(cursor)).path("items").forEach(i -> out.add(i.path("change").asText() + " " + i.path("id").asText()));
        return out;
    }

    @Test
    void aRecordTakenFromTheCallerShowsOneRemovalHoweverItWent() throws Exception {
        String start = changes(deu, "ana", "from=latest").path("cursor").asText();
        // Relabelled away, then retracted: one removal, at the relabel.
        String away = publish("NATO SECRET//REL TO DEU", "away then retracted");
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), away, "NATO SECRET//REL TO DEU//COI ISR");
        nations.node("DEU").records().retract(analyst("DEU", "ISR"), away);
        // Relabelled twice, still hers after the first: one removal, at the second.
        String twice = publish("NATO SECRET//REL TO DEU", "relabelled twice");
        nations.node("DEU").records().relabel(analyst("DEU"), twice, "NATO SECRET//REL TO DEU, FRA");
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), twice, "NATO SECRET//REL TO DEU, FRA//COI ISR");
        // Retracted while hers: one removal, at the retraction.
        String retracted = publish("NATO SECRET//REL TO DEU", "retracted");
        nations.node("DEU").records().retract(analyst("DEU"), retracted);

        assertThat(anasChanges(start)).containsExactly("removed " + away, "removed " + twice, "removed " + retracted);
    }

    @Test
    void aPeersRecordWithdrawnAndReinstatedBeyondAUsersAccessShowsHerOneRemoval() throws Exception {
        String ana = changes(fra, "ana", "from=latest").path("cursor").asText();
        String ivan = changes(fra, "ivan", "from=latest").path("cursor").asText();
        String id = publish("NATO SECRET//REL TO DEU, FRA", "withdrawn, then back for ISR only");
        nations.await("FRA holds it", Duration.ofSeconds(30), () -> nations.node("FRA").metadata().find(id).isPresent());
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), id, "NATO SECRET//REL TO DEU");
        nations.await("FRA withdrew it", Duration.ofSeconds(30), () -> nations.node("FRA").metadata().find(id)
                .filter(m -> m.state() == io.bulwark.store.RecordState.RETRACTED).isPresent());
        nations.node("DEU").records().relabel(analyst("DEU", "ISR"), id, "NATO SECRET//REL TO DEU, FRA//COI ISR");
        nations.await("FRA holds it again", Duration.ofSeconds(30), () -> nations.node("FRA").metadata().find(id)
                .filter(m -> m.state() == io.bulwark.store.RecordState.ACTIVE).isPresent());

        List<String> anas = new ArrayList<>();
        changes(fra, "ana", "cursor=" + q(ana)).path("items").forEach(i -> anas.add(i.path("change").asText()));
        assertThat(anas).as("ana (no COI ISR): the withdrawal took it; the reinstatement is not hers").containsExactly("removed");
        List<String> ivans = new ArrayList<>();
        changes(fra, "ivan", "cursor=" + q(ivan)).path("items").forEach(i -> ivans.add(i.path("change").asText()));
        assertThat(ivans).as("ivan (COI ISR) lost it with the withdrawal and holds it again").containsExactly("published", "removed", "relabeled");
    }

    @Test
    void aLimitEndsThePageAndTheCursorContinuesFromThere() throws Exception {
        String start = changes(deu, "ana", "from=latest").path("cursor").asText();
        List<String> published = List.of(publish("NATO SECRET//REL TO DEU", "1"), publish("NATO SECRET//REL TO DEU", "2"),
                publish("NATO SECRET//REL TO DEU", "3"));
        JsonNode first = changes(deu, "ana", "cursor=" + q(start) + "&limit=2");
        JsonNode rest = changes(deu, "ana", "cursor=" + q(first.path("cursor").asText()) + "&limit=2");
        assertThat(ids(first)).containsExactlyElementsOf(published.subList(0, 2));
        assertThat(ids(rest)).containsExactly(published.get(2));
        assertThat(ids(changes(deu, "ana", "from=beginning&limit=1000"))).containsSubsequence(published);
    }

    @Test
    void badRequestsAreRefusedByName() throws Exception {
        String cursor = changes(deu, "ana", "from=latest").path("cursor").asText();
        String feedCursor = CursorSeal.open(nations.homes.get("DEU").cursorKey()).seal(1, "bulwark-feed-cursor-v1\0someone");
        record Case(String query, String detail) {}
        for (Case c : List.of(
                new Case("cursor=abc", "cursor 'abc': not a cursor this node issued for changes"),
                new Case("cursor=" + q(feedCursor), "not a cursor this node issued for changes"),
                new Case("cursor=" + q(cursor) + "&from=latest", "give either cursor or from, not both"),
                new Case("from=tomorrow", "from 'tomorrow': must be beginning or latest"),
                new Case("wait=-1", "wait: a whole number, not '-1'"),
                new Case("limit=0", "limit '0': must be between 1 and 1000"),
                new Case("since=5", "unknown query parameter 'since'"),
                new Case("wait=1&wait=2", "query parameter 'wait' is given 2 times"))) {
            NodeClient.Answer a = deu.call("GET", "/api/v1/changes?" + c.query(), "ana", null);
            assertThat(a.status()).as(c.query() + ": " + a.text()).isEqualTo(400);
            assertThat(a.detail()).as(c.query()).contains(c.detail());
        }
        NodeClient.Answer operator = deu.call("GET", "/api/v1/changes", "otto", null);
        assertThat(operator.status()).as(operator.text()).isEqualTo(403);
        assertThat(deu.call("POST", "/api/v1/changes", "ana", null).status()).isEqualTo(405);
    }

    /** A standing request as {@code user}, answered on another thread. */
    private static CompletableFuture<NodeClient.Answer> standing(NodeClient node, String user, String query) {
        CompletableFuture<NodeClient.Answer> answer = new CompletableFuture<>();
        Thread.startVirtualThread(() -> {
            try {
                answer.complete(node.call("GET", "/api/v1/changes?" + query, user, null));
            } catch (Exception e) {
                answer.completeExceptionally(e);
            }
        });
        return answer;
    }

    @Test
    void aWaitLongerThanTheNodeAllowsIsCutNotRefused() throws Exception {
        String cursor = changes(deu, "ana", "from=latest").path("cursor").asText();
        CompletableFuture<NodeClient.Answer> waiting = standing(deu, "ana", "wait=999&cursor=" + q(cursor));
        String id = publish("NATO SECRET//REL TO DEU", "soon");
        NodeClient.Answer a = waiting.get(30, TimeUnit.SECONDS);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        assertThat(ids(a.json())).containsExactly(id);
    }

    @Test
    void oneIdentityHoldsAtMostEightStandingRequests() throws Exception {
        List<CompletableFuture<NodeClient.Answer>> held = new ArrayList<>();
        for (int i = 0; i < HttpApi.MAX_STANDING_PER_IDENTITY; i++) held.add(standing(deu, "ivan", "from=latest&wait=6"));
        Thread.sleep(1_500); // all eight are waiting by then (each takes its place within milliseconds)
        NodeClient.Answer ninth = deu.call("GET", "/api/v1/changes?from=latest&wait=1", "ivan", null);
        assertThat(ninth.status()).as(ninth.text()).isEqualTo(429);
        assertThat(ninth.detail()).contains("you hold 8 standing requests for changes at this node already");
        assertThat(deu.call("GET", "/api/v1/changes?from=latest", "ivan", null).status()).as("one that does not wait").isEqualTo(200);
        assertThat(deu.call("GET", "/api/v1/changes?from=latest&wait=1", "ana", null).status()).as("another identity").isEqualTo(200);
        for (CompletableFuture<NodeClient.Answer> h : held) assertThat(h.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(deu.call("GET", "/api/v1/changes?from=latest&wait=1", "ivan", null).status()).as("once they are answered").isEqualTo(200);
    }

    @Test
    void aStoppingNodeAnswersItsStandingRequests(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("solo"), "DEU", "deu-9", "127.0.0.1:0", Optional.empty());
        NodeClient.addUsers(home);
        Node[] node = {Node.start(home)};
        NodeClient client = new NodeClient(home, () -> node[0]);
        String cursor = changes(client, "ana", "from=latest").path("cursor").asText();
        CompletableFuture<NodeClient.Answer> standing = standing(client, "ana", "wait=15&cursor=" + q(cursor));
        Thread.sleep(500); // the request is waiting by now (if not, it answers at once: the test still holds)
        long before = System.nanoTime();
        node[0].close();
        NodeClient.Answer a = standing.get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("answered before its 15 s wait ran out")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        assertThat(a.json().path("items")).isEmpty();
    }
}
