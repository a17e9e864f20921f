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

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests that are not what the API takes, sent as raw bytes over a socket (an HTTP client would
 * refuse to send most of them): each gets a 4xx {@code application/problem+json} that says what is
 * wrong — whether the API refuses it or Jetty does before the API sees it — and nothing is stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    NodeHome home;
    Node node;
    String token;
    String operatorToken;

    /** A response as read off the socket. */
    record Answer(int status, String contentType, JsonNode body) {}

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("otto", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OPERATOR)));
        node = Node.start(home);
        LocalTokens tokens = new LocalTokens("DEU", "deu-1", home.tokenSecret());
        token = tokens.issue(users.find("ana").orElseThrow().toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
        operatorToken = tokens.issue(users.find("otto").orElseThrow().toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
    }

    @AfterAll
    void stop() {
        node.close();
    }

    @Test
    void aQueryStringThatIsNotPercentEncodedUtf8Is400() throws Exception {
        for (String query : List.of("%zz=1", "limit=1%", "value=%C3%28")) {
            Answer a = get("/api/v1/records?" + query);
            assertThat(a.status()).as(query).isEqualTo(400);
            assertThat(a.body().path("detail").asText()).as(query).contains("query string");
        }
    }

    @Test
    void listParametersAreNamedAsTheCallerNamedThemAndGivenOnce() throws Exception {
        assertThat(get("/api/v1/records?limit=2&limit=abc").body().path("detail").asText())
                .isEqualTo("query parameter 'limit' is given 2 times; give it once");
        assertThat(get("/api/v1/records?limit=99999").body().path("detail").asText()).startsWith("limit '99999'").contains("1000");
        assertThat(get("/api/v1/records?limit=0").body().path("detail").asText()).startsWith("limit '0'");
        assertThat(get("/api/v1/records?origin=x1").body().path("detail").asText()).startsWith("origin 'x1'");
        assertThat(get("/api/v1/records?value=VALUE&value=x%20y").status()).isEqualTo(400);
        assertThat(get("/api/v1/records?value=DEU&value=FRA").status()).as("value may be repeated").isEqualTo(200);
    }

    @Test
    void errorsJettyAnswersItselfAreProblemJsonToo() throws Exception {
        Answer tooLarge = exchange("GET /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nX-Filler: "
                + "a".repeat(20_000) + "\r\n\r\n");
        assertThat(tooLarge.status()).isEqualTo(431);
        assertThat(tooLarge.contentType()).startsWith("application/problem+json");
        assertThat(tooLarge.body().path("detail").asText()).contains("header fields exceed");

        for (String path : List.of("/api/v1/records/%zz", "/api/v1/records/a%2fb")) {
            Answer bad = get(path);
            assertThat(bad.status()).as(path).isEqualTo(400);
            assertThat(bad.contentType()).as(path).startsWith("application/problem+json");
            assertThat(bad.body().path("status").asInt()).as(path).isEqualTo(400);
        }
    }

    @Test
    void aBodyEndingBeforeItsContentLengthIs400AndStoresNothing() throws Exception {
        long before = node.metadata().lastSeq();
        Answer a = exchange("POST /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nBulwark-Label: NATO SECRET//REL TO DEU\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello", true);
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.body().path("detail").asText()).contains("body ended");
        assertThat(node.metadata().lastSeq()).isEqualTo(before);
    }

    @Test
    void anExternalIdentityWithAClearanceThePoliciesDoNotKnowIs403NotAnError() {
        var eve = new io.bulwark.node.identity.Principal("eve", "DEU", List.of("BOGUS LEVEL"), Set.of(), Set.of(Role.ANALYST),
                "https://idp.example");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> node.records().list(eve, io.bulwark.store.RecordQuery.all(), 1000))
                .isInstanceOfSatisfying(Problem.class, p -> {
                    assertThat(p.status()).isEqualTo(403);
                    assertThat(p.detail()).contains("your identity's attributes are not valid here").contains("BOGUS LEVEL");
                });
    }

    @Test
    void aLabelInABodyThatIsNotUtf8IsRefusedWhereItBreaks() throws Exception {
        String id = node.records().publish(Federated.analyst("DEU"), "NATO SECRET//REL TO DEU", "", "text/plain",
                "payload".getBytes(StandardCharsets.UTF_8)).id();
        String label = "NATO SECRET//REL TO DEU\u00ff";
        Answer a = exchange("PUT /api/v1/records/" + id + "/label HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: text/plain\r\nContent-Length: " + label.length() + "\r\nConnection: close\r\n\r\n" + label);
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.body().path("detail").asText()).isEqualTo("the label in the body at byte 23: not UTF-8");
    }

    @Test
    void aJsonBodyWithAKeyTwiceIsRefused() throws Exception {
        String body = "{\"operation\":\"residency.default\",\"operation\":\"keys.rotate\"}";
        Answer a = exchange("POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + operatorToken
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.body().path("detail").asText()).startsWith("the body is not JSON at line 1").contains("operation");
    }

    /** What review found answered 500 (or read silently): each is a 400 that names the rule now. */
    @Test
    void bodiesAndParametersThatWereErrorsOrReadLooselyAre400() throws Exception {
        // Bytes Jackson would have taken for UTF-32 (it then failed outside its own errors: 500).
        Answer utf32 = exchange("POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + operatorToken
                + "\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\n\u0000{\u0000\u0000");
        assertThat(utf32.status()).isEqualTo(400);
        assertThat(utf32.body().path("detail").asText()).startsWith("the body is not JSON");
        // Two documents: the second was ignored, and the first filed.
        String two = "{\"operation\":\"residency.default\",\"parameters\":{\"residency\":\"in=DEU\"}}{\"operation\":\"keys.rotate\"}";
        Answer trailing = exchange("POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + operatorToken
                + "\r\nContent-Type: application/json\r\nContent-Length: " + two.length() + "\r\nConnection: close\r\n\r\n" + two);
        assertThat(trailing.status()).isEqualTo(400);
        assertThat(trailing.body().path("detail").asText()).startsWith("the body is not JSON").contains("Trailing token");
        // A JSON body cut short (500 before: Jetty's end-of-file was not caught here).
        Answer cut = exchange("POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + operatorToken
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"operation\"", true);
        assertThat(cut.status()).isEqualTo(400);
        assertThat(cut.body().path("detail").asText()).isEqualTo("the body ended or stalled before its end (100 bytes declared)");
        // An instant Instant.parse takes but milliseconds cannot hold (500 before).
        Answer far = exchangeAs(operatorToken, "GET /api/v1/audit/entries?since=%2B300000000-01-01T00:00:00Z");
        assertThat(far.status()).isEqualTo(400);
        assertThat(far.body().path("detail").asText()).startsWith("since: an instant in the years 0000 to 9999");
        // Parameters a resource does not take were ignored.
        Answer storage = exchangeAs(operatorToken, "GET /api/v1/storage?verbose=1");
        assertThat(storage.status()).isEqualTo(400);
        assertThat(storage.body().path("detail").asText()).isEqualTo("unknown query parameter 'verbose'; this resource takes none");
        // An index past the log: refused before a tree head is signed for it.
        Answer proof = exchangeAs(operatorToken, "GET /api/v1/audit/proof/inclusion?index=999999999");
        assertThat(proof.status()).isEqualTo(400);
        assertThat(proof.body().path("detail").asText()).startsWith("index: 999999999 is not below the log's size");
        // The label twice: two headers, or a header and a body.
        Answer twice = exchange("POST /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nBulwark-Label: NATO SECRET//REL TO DEU\r\nBulwark-Label: NATO UNCLASSIFIED\r\nContent-Type: text/plain"
                + "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.body().path("detail").asText()).isEqualTo("Bulwark-Label is given 2 times; give it once");
        String id = node.records().publish(Federated.analyst("DEU"), "NATO SECRET//REL TO DEU", "", "text/plain", new byte[] {1}).id();
        String label = "NATO SECRET//REL TO DEU";
        Answer both = exchange("PUT /api/v1/records/" + id + "/label HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nBulwark-Label: NATO UNCLASSIFIED\r\nContent-Type: text/plain\r\nContent-Length: " + label.length()
                + "\r\nConnection: close\r\n\r\n" + label);
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.body().path("detail").asText()).isEqualTo("the label is given twice: in Bulwark-Label and in the body; give it once");
    }

    private Answer exchangeAs(String bearer, String requestLine) throws Exception {
        return exchange(requestLine + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + bearer + "\r\nConnection: close\r\n\r\n");
    }

    @Test
    void aContentTypeThatIsNotAMediaTypeIsRefusedAndNothingStored() {
        long before = node.metadata().lastSeq();
        for (String type : List.of("bad type", ";;;;", "text/", "text/plain; charset")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> node.records().publish(Federated.analyst("DEU"), "NATO SECRET//REL TO DEU", "",
                    type, new byte[] {1})).as(type).isInstanceOfSatisfying(Problem.class, p -> {
                        assertThat(p.status()).isEqualTo(400);
                        assertThat(p.detail()).startsWith("Content-Type: a media type").endsWith("not '" + type + "'");
                    });
        }
        assertThat(node.metadata().lastSeq()).isEqualTo(before);
        for (String type : List.of("text/plain", "application/json; charset=utf-8", "text/plain;format=\"flowed\"", "application/vnd.a+json")) {
            assertThat(node.records().publish(Federated.analyst("DEU"), "NATO SECRET//REL TO DEU", "", type, new byte[] {1}).contentType())
                    .isEqualTo(type);
        }
    }

    @Test
    void aPublishWithoutTheAnalystRoleIsRefusedBeforeItsBodyIsRead() throws Exception {
        // Headers announce a megabyte that never comes: the answer must not wait for it.
        Answer a = exchange("POST /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + operatorToken
                + "\r\nBulwark-Label: NATO SECRET//REL TO DEU\r\nContent-Type: text/plain\r\nContent-Length: 1048576\r\n\r\n");
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.body().path("detail").asText()).contains("analyst");
    }

    private Answer get(String target) throws Exception {
        return exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n");
    }

    private Answer exchange(String request) throws Exception {
        return exchange(request, false);
    }

    /** Sends the bytes (then ends the sending side if {@code halfClose}) and reads one response. */
    private Answer exchange(String request, boolean halfClose) throws Exception {
        URI url = URI.create(node.url());
        try (Socket s = new Socket(url.getHost(), url.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (halfClose) s.shutdownOutput();
            InputStream in = s.getInputStream();
            String head = readHead(in);
            int status = Integer.parseInt(head.substring(9, 12));
            String contentType = "";
            int length = 0;
            for (String line : head.split("\r\n")) {
                String lower = line.toLowerCase();
                if (lower.startsWith("content-type:")) contentType = line.substring(13).strip();
                if (lower.startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
            }
            byte[] body = in.readNBytes(length);
            return new Answer(status, contentType, body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body));
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) break;
        }
        return b.toString();
    }
}
