package io.bulwark.node;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@code limits.maxConcurrentRequests} bounds what the node holds for its responses: a request keeps
 * its slot until its response is written (or fails), not only while the handler runs — a client that
 * reads a large payload slowly holds the payload's bytes, and so holds a slot.
 */
class RequestSlotsTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aResponseStillBeingWrittenHoldsItsSlot(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        NodeConfig c = NodeConfig.read(home.config());
        new NodeConfig(c.nation(), c.node(), c.listen(), c.tls(), c.policies(), new NodeConfig.Limits(64L << 20, 1, 30, 16 * 1024, io.bulwark.store.MetadataStore.SCAN_WINDOW, null),
                c.oidc(), c.residency(), c.federation(), c.mode(), c.approvals()).save(home.config());
        LocalUsers.open(home.dir(), PolicySet.defaults()).add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        User ana = LocalUsers.open(home.dir(), PolicySet.defaults()).find("ana").orElseThrow();
        String token = new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(ana.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(5));
        try (Node node = Node.start(home)) {
            byte[] payload = new byte[48 << 20]; // far more than the sockets between client and node buffer
            HttpResponse<String> published = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records"))
                    .header("Authorization", "Bearer " + token).header("Bulwark-Label", "NATO SECRET")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
            String id = new ObjectMapper().readTree(published.body()).path("id").asText();

            try (Socket stalled = stalledRead(URI.create(node.url()), id, token)) {
                Thread.sleep(500);
                for (int i = 0; i < 5; i++) {
                    assertThat(status(node, token)).as("a request while the payload is still being written").isEqualTo(503);
                    Thread.sleep(100);
                }
            }
            // Gone: its response fails, the slot is free again.
            awaitStatus(node, token, 200);
        }
    }

    /**
     * A connection that asks for the record, reads the status line and headers — so the handler is
     * done and the response is being written — and then nothing, so it cannot be written whole.
     */
    private static Socket stalledRead(URI url, String id, String token) throws Exception {
        for (int attempt = 0; ; attempt++) {
            Socket stalled = new Socket(url.getHost(), url.getPort());
            OutputStream out = stalled.getOutputStream();
            out.write(("GET /api/v1/records/" + id + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            java.io.InputStream in = stalled.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
            // The request before gives its slot back as its response completes, a moment after its
            // client has read it: a 503 then is the limit at work, and the read is asked again.
            if (head.toString().startsWith("HTTP/1.1 503") && attempt < 100) {
                stalled.close();
                Thread.sleep(50);
                continue;
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 200");
            return stalled;
        }
    }

    private int status(Node node, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records")).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private void awaitStatus(Node node, String token, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last;
        do {
            last = status(node, token);
            if (last == status) return;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertThat(last).as("the node's answer while waiting for " + status).isEqualTo(status);
    }
}
