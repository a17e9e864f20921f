package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A publish reads its body into memory; the bodies held at once are bounded across requests
 * ({@code limits.maxBufferedBytes}), so requests that declare large bodies and send nothing cannot
 * exhaust the heap: beyond the budget a publish gets 503, and the budget is given back when they end.
 */
class BodyBudgetTest {

    @Test
    void bodiesDeclaredButNotSentHoldTheBudgetAndNoMore(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        NodeConfig c = NodeConfig.read(home.config());
        // One publish of the largest payload (1 MiB) takes the whole budget: its body and its sealed record.
        new NodeConfig(c.nation(), c.node(), c.listen(), c.tls(), c.policies(), new NodeConfig.Limits(1 << 20, 256, 30, 16 * 1024,
                c.limits().listingWindow(), 2L << 20), c.oidc(), c.residency(), c.federation(), c.mode(), c.approvals()).save(home.config());
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        String token = new LocalTokens("DEU", "deu-1", home.tokenSecret())
                .issue(users.find("ana").orElseThrow().toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
        try (Node node = Node.start(home); HttpClient http = HttpClient.newHttpClient()) {
            URI url = URI.create(node.url());
            HttpRequest small = HttpRequest.newBuilder(url.resolve("/api/v1/records"))
                    .header("Authorization", "Bearer " + token).header("Bulwark-Label", "NATO SECRET//REL TO DEU")
                    .POST(HttpRequest.BodyPublishers.ofString("one kibibyte or so")).build();
            assertThat(http.send(small, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);

            try (Socket holder = new Socket(url.getHost(), url.getPort())) {
                OutputStream out = holder.getOutputStream();
                out.write(("POST /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\nBulwark-Label: NATO SECRET//REL TO DEU\r\nContent-Length: " + (1 << 20) + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush(); // and not one byte of the body
                HttpResponse<String> refused = null;
                for (int attempt = 0; attempt < 50 && refused == null; attempt++) { // until the holder's request has reserved
                    HttpResponse<String> r = http.send(small, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 503) refused = r;
                    else Thread.sleep(100);
                }
                assertThat(refused).as("a publish while the budget is held").isNotNull();
                assertThat(refused.body()).contains("limits.maxBufferedBytes").contains("2097152 bytes").contains("retry");
            }
            // The holder's connection ended: its request failed and gave the budget back.
            HttpResponse<String> after = null;
            for (int attempt = 0; attempt < 50 && (after == null || after.statusCode() != 201); attempt++) {
                if (after != null) Thread.sleep(100);
                after = http.send(small, HttpResponse.BodyHandlers.ofString());
            }
            assertThat(after.statusCode()).isEqualTo(201);
        }
    }
}
