package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A flood of refused tokens fills the audit log with a few events and one summary, not one event each. */
class AuthFailureFloodTest {

    @Test
    void refusedTokensBeyondTheBudgetAreAuditedAsOneSummary(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        int refused = 300;
        try (Node node = Node.start(home); HttpClient http = HttpClient.newHttpClient()) {
            for (int i = 0; i < refused; i++) {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records"))
                        .header("Authorization", "Bearer not-a-token-" + i).GET().build(), HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).isEqualTo(401);
            }
        } // stopping audits what was held back
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AuditLog.export(home.auditLog(), out, Optional.empty());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> failed = out.toString(StandardCharsets.UTF_8).lines().map(l -> {
            try {
                return json.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).filter(e -> e.at("/entry/type").asText().equals("auth.failed")).toList();
        List<JsonNode> summaries = failed.stream().filter(e -> e.at("/entry/details").has("suppressed")).toList();
        assertThat(failed.size() - summaries.size()).as("audited one by one").isEqualTo(AuthFailures.BURST);
        assertThat(summaries).singleElement().satisfies(s -> {
            assertThat(s.at("/entry/details/suppressed").asLong()).isEqualTo(refused - AuthFailures.BURST);
            assertThat(s.at("/entry/details/remote").asText()).isEqualTo("127.0.0.1");
        });
    }
}
