package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.label.PolicySet;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line against a real node process: {@code bulwark start} runs as a child JVM; client
 * commands run in-process through {@link Bulwark#run} (they only speak HTTP) and, to prove the real
 * entry point and its exit status, a few as child JVMs. One node serves the whole class: DEU/deu-1
 * with local users of several clearances, nationalities and communities, a payload limit of
 * {@value #MAX_PAYLOAD} bytes, and an OIDC issuer whose JWK set a test server serves on loopback.
 */
class NodeEndToEndTest {

    static final int MAX_PAYLOAD = 64 * 1024;
    static final String ISSUER = "https://idp.example/realms/bulwark";
    /** An issuer whose JWK set cannot be fetched: nothing listens on its port. */
    static final String DOWN_ISSUER = "https://idp.down.example/realms/bulwark";
    static final String DEU_FRA_ISR = "NATO SECRET//REL TO DEU, FRA//COI ISR";
    static final String DEU_FRA_ISR_CANONICAL = "NATO SECRET//REL TO FRA, DEU//COI ISR";
    static final String DEU_ISR = "NATO SECRET//REL TO DEU//COI ISR";
    static final String DEU_ONLY = "NATO SECRET//REL TO DEU";
    static final String CONFIDENTIAL_DEU_FRA = "NATO CONFIDENTIAL//REL TO DEU, FRA";
    /** A well-formed record id that no record has. */
    static final String MISSING = "01a21a52-15ad-705b-a9f3-000000000000";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path home;
    static Path otherHome;
    static NodeProcess node;
    static HttpServer jwks;
    static RSAKey idpKey;
    /** Local users' tokens, by user name. */
    static final Map<String, String> tokens = new LinkedHashMap<>();
    static String otherNodeToken;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final Random random = new Random();

    @BeforeAll
    static void startNode() throws Exception {
        home = dir.resolve("deu-1");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1").succeeds();
        addUser("anna", "DEU", List.of("NATO SECRET", "GEHEIM"), "ISR");       // reads everything published here
        addUser("bert", "DEU", List.of("NATO CONFIDENTIAL"), "ISR");          // lacks the clearance
        addUser("carl", "DEU", List.of("NATO SECRET"), null);                 // lacks the community
        addUser("fred", "FRA", List.of("NATO SECRET"), "ISR");                // another nation
        Cli.run("user", "add", "--home", home.toString(), "olga", "--nationality", "DEU", "--role", "operator").succeeds();
        for (String user : List.of("anna", "bert", "carl", "fred", "olga")) {
            tokens.put(user, Cli.run("token", "--home", home.toString(), user).succeeds().line());
        }

        // Another node of the same nation: its tokens are not this node's.
        otherHome = dir.resolve("deu-2");
        Cli.run("init", "--home", otherHome.toString(), "--nation", "DEU", "--node", "deu-2").succeeds();
        Cli.run("user", "add", "--home", otherHome.toString(), "anna", "--nationality", "DEU", "--clearance", "NATO SECRET",
                "--coi", "ISR").succeeds();
        otherNodeToken = Cli.run("token", "--home", otherHome.toString(), "anna").succeeds().line();

        idpKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] keys = new JWKSet(idpKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/certs", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, keys.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(keys);
            }
        });
        jwks.start();
        Files.writeString(home.resolve("bulwark.yaml"), """
                nation: DEU
                node: deu-1
                listen: 127.0.0.1:0
                limits:
                  maxPayloadBytes: %d
                oidc:
                  - issuer: %s
                    jwksUri: http://127.0.0.1:%d/certs
                    audience: bulwark
                    nationalityClaim: nationality
                    clearanceClaim: clearances
                    coiClaim: cois
                    rolesClaim: realm_access.roles
                  - issuer: %s
                    jwksUri: http://127.0.0.1:%d/certs
                    nationalityClaim: nationality
                    clearanceClaim: clearances
                    coiClaim: cois
                    rolesClaim: roles
                """.formatted(MAX_PAYLOAD, ISSUER, jwks.getAddress().getPort(), DOWN_ISSUER, closedPort()));
        node = NodeProcess.start(home);
    }

    @AfterAll
    static void stopNode() {
        if (node != null) node.close();
        if (jwks != null) jwks.stop(0);
        http.close();
    }

    static void addUser(String name, String nationality, List<String> clearances, String coi) {
        List<String> args = new ArrayList<>(List.of("user", "add", "--home", home.toString(), name, "--nationality", nationality));
        clearances.forEach(c -> args.addAll(List.of("--clearance", c)));
        if (coi != null) args.addAll(List.of("--coi", coi));
        Cli.run(args.toArray(String[]::new)).succeeds();
    }

    // === helpers ==================================================================================

    static Cli client(String command, String token, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--url", node.url(), "--token", token));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Path file(byte[] content) throws IOException {
        return Files.write(Files.createTempFile(dir, "payload-", ".bin"), content);
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Publishes as a user through the CLI; returns the new id. */
    static String publish(String token, String label, byte[] payload, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("--label", label));
        args.addAll(List.of(options));
        args.add(file(payload).toString());
        String id = client("publish", token, args.toArray(String[]::new)).succeeds().line();
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        return id;
    }

    /** Reads through the CLI into a file. */
    static Cli get(String token, String id, Path out) {
        return client("get", token, id, "-o", out.toString());
    }

    static HttpResponse<byte[]> send(String method, String path, String token, HttpRequest.BodyPublisher body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).method(method, body);
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> read(String token, String id) throws IOException, InterruptedException {
        return send("GET", "/api/v1/records/" + id, token, HttpRequest.BodyPublishers.noBody());
    }

    static JsonNode problem(HttpResponse<byte[]> r) throws IOException {
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        return JSON.readTree(r.body());
    }

    /** The ids a user sees, through every page of {@code bulwark list --json}. */
    static List<String> listed(String token, int pageSize) throws IOException {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            List<String> args = new ArrayList<>(List.of("--json", "--limit", String.valueOf(pageSize)));
            if (cursor != null) args.addAll(List.of("--cursor", cursor));
            JsonNode page = JSON.readTree(client("list", token, args.toArray(String[]::new)).succeeds().out());
            if (pageSize == 1 && page.has("next")) {
                assertThat(page.path("items")).as("a page of one that has a next page").hasSize(1);
            }
            page.path("items").forEach(item -> ids.add(item.path("id").asText()));
            cursor = page.has("next") ? page.path("next").asText() : null;
        } while (cursor != null);
        return ids;
    }

    static List<String> listed(String user) throws IOException {
        return listed(tokens.get(user), 1000);
    }

    /** Sealed records in the default site: one per record stored. */
    static long blobs() {
        return io.bulwark.store.blob.FilesystemBlobStore.storedKeys(home.resolve("sites/default")).size();
    }

    /** What a failing command printed, after checking that it is one line with this exit code. */
    static String fails(Cli r, int exit) {
        return r.failsWith(exit).err().strip();
    }

    // === publish and read =========================================================================

    @Test
    void aPermittedUserReadsThePayloadExactlyWithItsLabel() throws Exception {
        byte[] payload = randomBytes(10_000);
        String id = publish(tokens.get("anna"), DEU_FRA_ISR, payload, "--type", "image/png");
        for (String user : List.of("anna", "fred")) {
            Path out = dir.resolve("read-" + user + "-" + id);
            Cli r = get(tokens.get(user), id, out);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).isEqualTo("label: " + DEU_FRA_ISR_CANONICAL + System.lineSeparator());
            assertThat(Files.readAllBytes(out)).isEqualTo(payload);
        }
        HttpResponse<byte[]> r = read(tokens.get("fred"), id);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(payload);
        assertThat(r.headers().firstValue("Bulwark-Label")).hasValue(DEU_FRA_ISR_CANONICAL);
        assertThat(r.headers().firstValue("Bulwark-Origin")).hasValue("DEU/deu-1");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
    }

    @Test
    void aMarkingThatIsNotAsciiTravelsIntact() throws Exception {
        byte[] payload = "Lagebild Nord".getBytes(StandardCharsets.UTF_8);
        String label = "VS-NUR FÜR DEN DIENSTGEBRAUCH";
        String id = publish(tokens.get("anna"), label, payload);
        Path out = dir.resolve("vsnfd");
        assertThat(get(tokens.get("anna"), id, out).err()).isEqualTo("label: " + label + System.lineSeparator());
        assertThat(Files.readAllBytes(out)).isEqualTo(payload);
        assertThat(client("list", tokens.get("anna")).succeeds().out()).contains(id + "  ").contains(label);
        assertThat(fails(client("publish", tokens.get("anna"), "--label", "NATO SECRET//REL TO DEU, FRÄ", file(payload).toString()), 2))
                .startsWith("bulwark: Invalid label: label (marking) at offset 25:").contains("FRÄ").endsWith("(HTTP 422)");
    }

    // === invariant 7: a denied read is a missing record ===========================================

    @Test
    void aDeniedReadIsIndistinguishableFromAMissingRecord() throws Exception {
        String id = publish(tokens.get("anna"), DEU_ISR, randomBytes(100));
        HttpResponse<byte[]> missing = read(tokens.get("anna"), MISSING);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(problem(missing).path("detail").asText()).isEqualTo("no record with this id is visible to you");
        String missingLine = fails(get(tokens.get("anna"), MISSING, dir.resolve("missing")), 3);
        assertThat(missingLine).isEqualTo("bulwark: Not found: no record with this id is visible to you (HTTP 404)");

        // bert lacks the clearance, carl the community, fred the nationality
        for (String user : List.of("bert", "carl", "fred")) {
            HttpResponse<byte[]> denied = read(tokens.get(user), id);
            assertThat(denied.statusCode()).as(user).isEqualTo(404);
            assertThat(denied.body()).as(user).isEqualTo(missing.body());
            assertThat(denied.headers().map()).as(user).isEqualTo(read(tokens.get(user), MISSING).headers().map());
            assertThat(read(tokens.get(user), "not-a-record-id").body()).as(user).isEqualTo(missing.body());
            assertThat(fails(get(tokens.get(user), id, dir.resolve("denied-" + user)), 3)).as(user).isEqualTo(missingLine);
            assertThat(Files.exists(dir.resolve("denied-" + user))).isFalse();
        }
        assertThat(read(tokens.get("anna"), id).statusCode()).isEqualTo(200);
    }

    @Test
    void listShowsEachUserOnlyWhatItMayReadAndPagesCountOnlyThat() throws Exception {
        String anna = tokens.get("anna");
        Map<String, String> published = new LinkedHashMap<>();
        published.put(publish(anna, DEU_FRA_ISR, randomBytes(10)), "anna fred");
        published.put(publish(anna, DEU_ISR, randomBytes(10)), "anna");
        published.put(publish(anna, CONFIDENTIAL_DEU_FRA, randomBytes(10)), "anna bert carl fred");
        published.put(publish(anna, DEU_ONLY, randomBytes(10)), "anna carl");
        for (String user : List.of("anna", "bert", "carl", "fred")) {
            List<String> seen = listed(user);
            published.forEach((id, readers) -> {
                if (readers.contains(user)) assertThat(seen).as(user).contains(id);
                else assertThat(seen).as(user).doesNotContain(id);
            });
            for (String id : seen) {
                assertThat(read(tokens.get(user), id).statusCode()).as("%s lists %s, so may read it", user, id).isEqualTo(200);
            }
            // pages of one: each holds one record the user may see; hidden records never fill or extend a page
            assertThat(listed(tokens.get(user), 1)).as(user).isEqualTo(seen);
        }
        assertThat(client("list", tokens.get("fred")).succeeds().out()).doesNotContain(DEU_ISR).doesNotContain("NATO SECRET//REL TO DEU ");
    }

    // === watch ====================================================================================

    /** {@code watch --once}: the changes after the cursor and the next cursor. */
    static List<String> watchOnce(String user, String cursor, List<String> lines) {
        Cli r = client("watch", tokens.get(user), "--once", "--cursor", cursor).succeeds();
        List<String> out = r.out().lines().toList();
        assertThat(out.getLast()).startsWith("more: --cursor ");
        lines.addAll(out.subList(0, out.size() - 1));
        return List.of(out.getLast().substring("more: --cursor ".length()));
    }

    @Test
    void watchShowsEachUserTheChangesItMaySeeAsTheyCommit() throws Exception {
        String annaStart = client("watch", tokens.get("anna"), "--once").succeeds().line().substring("more: --cursor ".length());
        String carlStart = client("watch", tokens.get("carl"), "--once").succeeds().line().substring("more: --cursor ".length());

        // A standing watch, as a user runs it: each change is printed as it commits.
        java.io.StringWriter live = new java.io.StringWriter();
        Thread watching = Thread.ofVirtual().start(() -> Bulwark.run(new String[] {"watch", "--url", node.url(), "--token",
                tokens.get("anna"), "--cursor", annaStart, "--wait", "2"}, new java.io.PrintWriter(live, true), new java.io.PrintWriter(new java.io.StringWriter())));
        String isr = publish(tokens.get("anna"), DEU_ISR, randomBytes(10));
        String all = publish(tokens.get("anna"), DEU_ONLY, randomBytes(20));
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (!live.toString().contains(all) && System.nanoTime() < deadline) Thread.sleep(20);
        watching.interrupt();
        watching.join(10_000);
        assertThat(live.toString().lines().toList()).as(live.toString()).hasSize(2)
                .first().asString().startsWith("published  " + isr + "  ").endsWith("  DEU/deu-1  10 B  " + DEU_ISR);

        List<String> annas = new ArrayList<>();
        watchOnce("anna", annaStart, annas);
        assertThat(annas).hasSize(2);
        List<String> carls = new ArrayList<>();
        String carlNext = watchOnce("carl", carlStart, carls).getFirst();
        assertThat(carls).as("carl lacks COI ISR").singleElement().asString().startsWith("published  " + all + "  ");

        client("retract", tokens.get("anna"), all).succeeds();
        List<String> after = new ArrayList<>();
        watchOnce("carl", carlNext, after);
        assertThat(after).singleElement().asString().startsWith("removed  " + all + "  ");

        String json = client("watch", tokens.get("carl"), "--once", "--json", "--cursor", carlStart).succeeds().out().lines().findFirst().orElseThrow();
        assertThat(JSON.readTree(json).path("id").asText()).isEqualTo(all);
        assertThat(fails(client("watch", tokens.get("carl"), "--once", "--cursor", "nonsense"), 2))
                .contains("cursor 'nonsense': not a cursor this node issued for changes");
        assertThat(fails(client("watch", tokens.get("carl"), "--cursor", carlStart, "--from", "latest"), 2))
                .contains("--cursor and --from");
        assertThat(fails(client("watch", tokens.get("carl"), "--wait", "0"), 2)).contains("--wait 0: 1 second or more (or --once)");
    }

    @Test
    void watchGoesOnWhereItStoppedWithACursorFile() throws Exception {
        Path kept = dir.resolve("watch-" + System.nanoTime() + ".cursor");
        assertThat(client("watch", tokens.get("carl"), "--once", "--cursor-file", kept.toString()).succeeds().out()).startsWith("more: --cursor ");
        assertThat(kept).exists();
        String first = publish(tokens.get("anna"), DEU_ONLY, randomBytes(5));
        String second = publish(tokens.get("anna"), DEU_ONLY, randomBytes(6));

        List<String> lines = client("watch", tokens.get("carl"), "--once", "--cursor-file", kept.toString()).succeeds().out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("published  " + first + "  ");
        assertThat(lines.get(1)).startsWith("published  " + second + "  ");
        assertThat(client("watch", tokens.get("carl"), "--once", "--cursor-file", kept.toString()).succeeds().out().lines().count())
                .as("nothing shown twice").isEqualTo(1);
        assertThat(fails(client("watch", tokens.get("carl"), "--once", "--cursor-file", kept.toString(), "--from", "beginning"), 2))
                .contains("holds a cursor already");
        assertThat(fails(client("watch", tokens.get("carl"), "--once", "--cursor-file", dir.toString()), 2))
                .contains("--cursor-file: " + dir.toAbsolutePath().normalize() + ": is a directory");
        Path garbled = Files.write(dir.resolve("garbled.cursor"), new byte[] {(byte) 0xff, (byte) 0xfe});
        assertThat(fails(client("watch", tokens.get("carl"), "--once", "--cursor-file", garbled.toString()), 2))
                .contains("--cursor-file " + garbled + ": not a cursor (not UTF-8); delete it to start anew");
    }

    // === retract ==================================================================================

    @Test
    void retractIsForTheOriginNationAndThenTheRecordIsGoneForEveryone() throws Exception {
        String id = publish(tokens.get("anna"), DEU_FRA_ISR, randomBytes(64));
        long stored = blobs();
        assertThat(fails(client("retract", tokens.get("fred"), id), 3))
                .isEqualTo("bulwark: Forbidden: only users of the origin nation DEU may retract this record (HTTP 403)");
        String missingLine = fails(client("retract", tokens.get("carl"), MISSING), 3);
        assertThat(fails(client("retract", tokens.get("carl"), id), 3)).isEqualTo(missingLine);
        assertThat(read(tokens.get("fred"), id).statusCode()).isEqualTo(200);

        assertThat(client("retract", tokens.get("anna"), id).succeeds().line()).isEqualTo("retracted " + id);
        HttpResponse<byte[]> missing = read(tokens.get("anna"), MISSING);
        for (String user : List.of("anna", "fred")) {
            assertThat(read(tokens.get(user), id).body()).as(user).isEqualTo(missing.body());
            assertThat(fails(get(tokens.get(user), id, dir.resolve("retracted")), 3)).contains("(HTTP 404)");
            assertThat(listed(user)).as(user).doesNotContain(id);
        }
        assertThat(fails(client("retract", tokens.get("anna"), id), 3)).isEqualTo(missingLine);
        assertThat(blobs()).as("the sealed record is deleted").isEqualTo(stored - 1);
    }

    // === invariant 8: bad input gets a precise error and stores nothing ===========================

    @Test
    void badLabelsAreBadInputWithThePositionAndTheRuleAndStoreNothing() throws Exception {
        List<String> before = listed("anna");
        long stored = blobs();
        String payload = file(randomBytes(32)).toString();
        String anna = tokens.get("anna");
        assertThat(fails(client("publish", anna, "--label", "NATO SEKRET//REL TO DEU", payload), 2)).isEqualTo(
                "bulwark: Invalid label: label (marking) at offset 0: 'NATO SEKRET' is not a classification of any loaded "
                        + "policy (NATO, DEU, FRA, GBR, USA); write it as its marking phrase (NATO SECRET) or as policy and "
                        + "level (DEU GEHEIM) (HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", "NATO SECRET//REL TO DEU, XYZ", payload), 2)).isEqualTo(
                "bulwark: Invalid label: label (marking) at offset 25: 'XYZ' is not a value of 'Releasable To' in policy NATO (HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", "{\"policy\":\"NATO\",}", payload), 2))
                .contains("label (json) at offset 17: expected a member name in double quotes").endsWith("(HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", " ", payload), 2)).isEqualTo("bulwark: Bad request: the label is "
                + "missing: send it in the Bulwark-Label header, e.g. NATO SECRET//REL TO DEU, FRA (HTTP 400)");
        assertThat(fails(client("publish", anna, "--label", "NATO SECRET\u0007//REL TO DEU", payload), 2))
                .contains("at offset 11: control characters are not allowed").endsWith("(HTTP 422)");
        assertThat(fails(client("publish", tokens.get("fred"), "--label", "NATO SECRET//REL TO FRA", payload), 2))
                .isEqualTo("bulwark: Label not releasable here: the label does not release the record to this node's nation DEU; "
                        + "a node holds only what its nation may hold (HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", "NATO SECRET//REL TO FRA", payload), 3))
                .startsWith("bulwark: Forbidden: you may not publish a record you could not read yourself: ").endsWith("(HTTP 403)");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, dir.resolve("no-such-file").toString()), 2))
                .isEqualTo("bulwark: " + dir.resolve("no-such-file") + ": no such file (FILE is a readable regular file, or - for standard input)");
        HttpResponse<byte[]> badEscape = send("POST", "/api/v1/records", anna, HttpRequest.BodyPublishers.ofString("x"),
                "Bulwark-Label", "UTF-8''NATO%2");
        assertThat(badEscape.statusCode()).isEqualTo(400);
        assertThat(problem(badEscape).path("detail").asText()).isEqualTo("Bulwark-Label at offset 11: in an RFC 8187 ext-value "
                + "(UTF-8''...), '%' is followed by two hexadecimal digits");
        assertThat(listed("anna")).isEqualTo(before);
        assertThat(blobs()).isEqualTo(stored);
    }

    @Test
    void aPayloadOverTheLimitIs413AndStoresNothing() throws Exception {
        String anna = tokens.get("anna");
        String id = publish(anna, DEU_ONLY, randomBytes(MAX_PAYLOAD));
        assertThat(read(anna, id).body()).hasSize(MAX_PAYLOAD);
        List<String> before = listed("anna");
        long stored = blobs();
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, file(randomBytes(MAX_PAYLOAD + 1)).toString()), 2))
                .isEqualTo("bulwark: Payload too large: the payload is " + (MAX_PAYLOAD + 1) + " bytes; the limit is "
                        + MAX_PAYLOAD + " (HTTP 413)");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, file(randomBytes(10 * MAX_PAYLOAD)).toString()), 2))
                .contains("Payload too large").endsWith("(HTTP 413)");
        // Without a declared length (chunked), the node stops reading at the limit.
        HttpResponse<byte[]> chunked = send("POST", "/api/v1/records", anna,
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(randomBytes(MAX_PAYLOAD + 1))),
                "Bulwark-Label", DEU_ONLY);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(problem(chunked).path("detail").asText()).isEqualTo("the payload exceeds the limit of " + MAX_PAYLOAD + " bytes");
        assertThat(listed("anna")).isEqualTo(before);
        assertThat(blobs()).isEqualTo(stored);
    }

    @Test
    void residencyThatNoSiteMeetsIs422AndStoresNothing() throws Exception {
        String anna = tokens.get("anna");
        String payload = file(randomBytes(32)).toString();
        List<String> before = listed("anna");
        long stored = blobs();
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, "--residency", "in=FRA", payload), 2)).isEqualTo(
                "bulwark: Residency cannot be met: residency in=FRA: in=FRA: no site in FRA (HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, "--residency", "in=EU;providers>=2", payload), 2))
                .contains("Residency cannot be met").contains("providers>=2: only 1 compliant provider is available (local)")
                .endsWith("(HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, "--residency", "operator=FRA,GBR", payload), 2))
                .contains("operator=FRA,GBR: no site in an allowed jurisdiction has an operator from FRA,GBR (HTTP 422)");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, "--residency", "in=Germany", payload), 2))
                .startsWith("bulwark: Bad request: residency 'in=Germany': in= takes nations (ISO 3166-1 alpha-3) and groups (")
                .contains("'Germany' is neither");
        assertThat(fails(client("publish", anna, "--label", DEU_ONLY, "--residency", "in=DEU\n", payload), 2))
                .isEqualTo("bulwark: --residency: 'in=DEU?' cannot be sent in an HTTP header (printable ASCII only)");
        assertThat(listed("anna")).isEqualTo(before);
        assertThat(blobs()).isEqualTo(stored);
        publish(anna, DEU_ONLY, randomBytes(32), "--residency", "in=EU;operator=DEU");
    }

    // === tokens ===================================================================================

    /** The problem detail of a 401, after checking the CLI reports the same as exit 3. */
    static String refused(String token) throws Exception {
        HttpResponse<byte[]> r = send("GET", "/api/v1/records", token, HttpRequest.BodyPublishers.noBody());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        String detail = problem(r).path("detail").asText();
        assertThat(fails(client("list", token), 3)).isEqualTo("bulwark: Unauthorized: " + detail + " (HTTP 401)");
        return detail;
    }

    @Test
    void aBadLocalTokenIsRefusedSayingWhichCheckFailed() throws Exception {
        assertThat(refused("not-a-token")).isEqualTo("the bearer token was refused: malformed token");

        byte[] secret = Files.readAllBytes(home.resolve("secrets/token.key"));
        var anna = LocalUsers.open(home, PolicySet.defaults()).find("anna").orElseThrow();
        Instant issued = Instant.now().minus(Duration.ofHours(3)).truncatedTo(ChronoUnit.SECONDS);
        LocalTokens past = new LocalTokens("DEU", "deu-1", secret, Clock.fixed(issued, ZoneOffset.UTC));
        String expired = past.issue(anna.toPrincipal(past.issuer()), Duration.ofHours(1));
        assertThat(refused(expired)).isEqualTo("the bearer token was refused: token expired at " + issued.plus(Duration.ofHours(1)));

        LocalTokens forger = new LocalTokens("DEU", "deu-1", LocalTokens.generateSecret());
        assertThat(refused(forger.issue(anna.toPrincipal(forger.issuer()), Duration.ofHours(1))))
                .isEqualTo("the bearer token was refused: bad signature");
        assertThat(refused(otherNodeToken)).isEqualTo("the bearer token was refused: unknown issuer 'bulwark:DEU:deu-2'");

        HttpResponse<byte[]> none = send("GET", "/api/v1/records", null, HttpRequest.BodyPublishers.noBody());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(problem(none).path("detail").asText()).startsWith("a bearer token is required");
        assertThat(fails(client("publish", tokens.get("olga"), "--label", DEU_ONLY, file(randomBytes(8)).toString()), 3))
                .isEqualTo("bulwark: Forbidden: the role analyst is needed to publish; you have [OPERATOR] (HTTP 403)");
    }

    static String oidcToken(RSAKey key, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT)
                .build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static JWTClaimsSet.Builder oidcClaims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(ISSUER).subject("5f0c2b9e-0d7a-4a43-9a38-1f1c1e7f2c11").audience("bulwark")
                .issueTime(Date.from(now.minusSeconds(10))).expirationTime(Date.from(now.plusSeconds(600)))
                .claim("realm_access", Map.of("roles", List.of("default-roles-bulwark", "analyst")))
                .claim("nationality", "DEU").claim("clearances", List.of("NATO SECRET")).claim("cois", List.of("ISR"));
    }

    @Test
    void anOidcTokenPublishesAndReadsAndABadOneIsRefusedSayingWhy() throws Exception {
        String token = oidcToken(idpKey, oidcClaims().build());
        byte[] payload = randomBytes(500);
        String id = publish(token, DEU_FRA_ISR, payload);
        Path out = dir.resolve("oidc-read");
        assertThat(get(token, id, out).exit()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(payload);
        assertThat(read(tokens.get("fred"), id).body()).isEqualTo(payload);
        assertThat(listed(token, 1000)).contains(id);

        Instant expiredAt = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        assertThat(refused(oidcToken(idpKey, oidcClaims().expirationTime(Date.from(expiredAt))
                .issueTime(Date.from(expiredAt.minusSeconds(300))).build())))
                .isEqualTo("the bearer token was refused: token expired at " + expiredAt);
        assertThat(refused(oidcToken(idpKey, oidcClaims().issuer("https://idp.other.example/realms/bulwark").build())))
                .isEqualTo("the bearer token was refused: unknown issuer 'https://idp.other.example/realms/bulwark'");
        RSAKey impostor = new RSAKeyGenerator(2048).keyID(idpKey.getKeyID()).generate();
        assertThat(refused(oidcToken(impostor, oidcClaims().build()))).isEqualTo("the bearer token was refused: bad signature");
        assertThat(refused(oidcToken(idpKey, oidcClaims().claim("nationality", null).build())))
                .isEqualTo("the bearer token was refused: missing claim 'nationality'");
        assertThat(refused(oidcToken(idpKey, oidcClaims().audience("account").build())))
                .isEqualTo("the bearer token was refused: wrong audience");

        // A provider whose keys cannot be fetched is a fault of the provider, not of the token.
        String stranded = oidcToken(idpKey, oidcClaims().issuer(DOWN_ISSUER).claim("roles", List.of("analyst")).build());
        HttpResponse<byte[]> down = send("GET", "/api/v1/records", stranded, HttpRequest.BodyPublishers.noBody());
        assertThat(down.statusCode()).isEqualTo(503);
        // Where the keys come from and why that failed stay in the node's log: not for an unauthenticated caller.
        assertThat(problem(down).path("detail").asText()).isEqualTo("the keys of identity provider " + DOWN_ISSUER
                + " cannot be fetched now; try again later");
        assertThat(fails(client("list", stranded), 4)).startsWith("bulwark: Identity provider unavailable: ").endsWith("(HTTP 503)");
    }

    // === node commands ============================================================================

    @Test
    void initRefusesAnExistingHomeAndAnAddressItCannotServe() throws Exception {
        byte[] keystore = Files.readAllBytes(home.resolve("keystore.bwks"));
        String config = Files.readString(home.resolve("bulwark.yaml"));
        assertThat(fails(Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1"), 2))
                .isEqualTo("bulwark: " + home + " already holds a node (bulwark.yaml exists); it is never overwritten");
        assertThat(Files.readAllBytes(home.resolve("keystore.bwks"))).isEqualTo(keystore);
        assertThat(Files.readString(home.resolve("bulwark.yaml"))).isEqualTo(config);

        Path open = dir.resolve("open");
        assertThat(fails(Cli.run("init", "--home", open.toString(), "--nation", "DEU", "--node", "deu-3", "--listen", "0.0.0.0:8443"), 2))
                .isEqualTo("bulwark: --listen 0.0.0.0:8443: not a loopback address; a node init makes serves its client API without TLS, "
                        + "which only loopback may: init with a loopback --listen, then set listen and tls: true in its bulwark.yaml "
                        + "(its certificate is tls/node.p12)");
        assertThat(fails(Cli.run("init", "--home", open.toString(), "--nation", "de", "--node", "deu-3"), 2))
                .isEqualTo("bulwark: init: nation: an ISO 3166-1 alpha-3 code such as DEU, not 'de'");
        assertThat(open).doesNotExist();
    }

    @Test
    void nodeInfoJsonNamesTheNodeAndItsCertificateFingerprint() throws Exception {
        JsonNode info = JSON.readTree(Cli.run("node", "info", "--home", home.toString(), "--json").succeeds().out());
        assertThat(info.path("nation").asText()).isEqualTo("DEU");
        assertThat(info.path("node").asText()).isEqualTo("deu-1");
        KeyStore tls = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(home.resolve("tls/node.p12"))) {
            tls.load(in, Files.readString(home.resolve("secrets/keystore.pass")).strip().toCharArray());
        }
        String fingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tls.getCertificate("node").getEncoded()));
        assertThat(info.path("fingerprint").asText()).isEqualTo(fingerprint);
        // init generated the passphrase (192 random bits): the keystore's header records one PBKDF2
        // iteration (docs/formats/crypto.md: a 4-byte count at offset 12), not 600,000.
        assertThat(Files.readString(home.resolve("secrets/keystore.pass")).strip()).hasSize(32);
        assertThat(java.nio.ByteBuffer.wrap(Files.readAllBytes(home.resolve("keystore.bwks"))).getInt(12)).isEqualTo(1);
    }

    @Test
    void startRefusesANonLoopbackAddressWithoutTlsAndABadOidcSetting() throws Exception {
        Path copy = dir.resolve("deu-2-open");
        try (Stream<Path> files = Files.walk(otherHome)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(otherHome.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        Path config = copy.resolve("bulwark.yaml");
        Files.writeString(config, Files.readString(config).replace("listen: 127.0.0.1:0", "listen: 0.0.0.0:0"));
        NodeProcess.ChildCli start = NodeProcess.cli("start", "--home", copy.toString());
        assertThat(start.exit()).as(start.err()).isEqualTo(2);
        assertThat(start.out()).isEmpty();
        assertThat(start.err()).isEqualTo("bulwark: " + config + ": listen 0.0.0.0:0 is not a loopback address; serving it "
                + "without TLS is refused (set tls: true)" + System.lineSeparator());

        Files.writeString(config, """
                nation: DEU
                node: deu-2
                listen: 127.0.0.1:0
                oidc:
                  - issuer: https://idp.example/realms/bulwark
                    jwksUri: http://idp.example/certs
                    nationalityClaim: nationality
                    clearanceClaim: clearances
                    coiClaim: cois
                    rolesClaim: roles
                """);
        start = NodeProcess.cli("start", "--home", copy.toString());
        assertThat(start.exit()).as(start.err()).isEqualTo(2);
        assertThat(start.err()).isEqualTo("bulwark: " + config + ": oidc[0]: OIDC settings at jwksUri: 'http://idp.example/certs' "
                + "is plain http to another machine: anyone on the way could swap the keys; use https (plain http is for "
                + "loopback addresses only)" + System.lineSeparator());
    }

    @Test
    void sigtermStopsTheNodeCleanlyAndARestartServesTheSameRecords() throws Exception {
        byte[] payload = randomBytes(3000);
        String id = publish(tokens.get("anna"), DEU_FRA_ISR, payload);
        List<String> before = listed("fred");
        NodeProcess stopped = node;
        int status = stopped.stop();
        node = NodeProcess.start(home);
        assertThat(status).as("exit status after SIGTERM; log:%n%s", stopped.stderr()).isIn(0, 143);
        assertThat(stopped.stderr()).as("no request failed inside the node, and it stopped")
                .contains("Stopped oejs.Server").doesNotContain("ERROR").doesNotContain("\tat ");
        assertThat(read(tokens.get("fred"), id).body()).isEqualTo(payload);
        assertThat(listed("fred")).isEqualTo(before);
    }

    @Test
    void anUnreachableNodeIsExit4() throws Exception {
        String url = "http://127.0.0.1:" + closedPort();
        String anna = tokens.get("anna");
        assertThat(fails(Cli.run("list", "--url", url, "--token", anna), 4))
                .isEqualTo("bulwark: cannot reach " + url + ": the connection was refused");
        assertThat(fails(Cli.run("get", "--url", url, "--token", anna, MISSING), 4)).startsWith("bulwark: cannot reach " + url);
        assertThat(fails(Cli.run("publish", "--url", url, "--token", anna, "--label", DEU_ONLY, file(new byte[1]).toString()), 4))
                .startsWith("bulwark: cannot reach " + url);
        assertThat(fails(Cli.run("retract", "--url", url, "--token", anna, MISSING), 4)).startsWith("bulwark: cannot reach " + url);
    }

    @Test
    void helpWorksForEveryCommand() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new Bulwark()), List.of(), commands);
        assertThat(commands).extracting(c -> String.join(" ", c)).contains("", "init", "node info", "start", "user add",
                "token", "publish", "get", "list", "retract");
        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            Cli r = Cli.run(args.toArray(String[]::new));
            assertThat(r.exit()).as("%s --help: %s", command, r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).as("%s --help", command).contains("Usage: " + String.join(" ", Stream.concat(Stream.of("bulwark"),
                    command.stream()).toList()));
        }
    }

    private static void collect(CommandLine cli, List<String> path, List<List<String>> out) {
        out.add(path);
        cli.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandSpec().aliases().length > 0 && !sub.getCommandName().equals(name)) return;
            List<String> next = new ArrayList<>(path);
            next.add(name);
            collect(sub, next, out);
        });
    }

    // === the real entry point, in child JVMs ======================================================

    @Test
    void theRealEntryPointExitsWithTheDocumentedStatus() throws Exception {
        String anna = tokens.get("anna");
        byte[] payload = randomBytes(4096); // binary: standard output must carry it unchanged
        NodeProcess.ChildCli published = NodeProcess.cli(payload, "publish", "--url", node.url(), "--token", anna,
                "--label", DEU_FRA_ISR, "-");
        assertThat(published.exit()).as(published.err()).isZero();
        String id = published.out().strip();
        assertThat(read(anna, id).body()).isEqualTo(payload);

        NodeProcess.ChildCli got = NodeProcess.cli("get", "--url", node.url(), "--token", tokens.get("fred"), id);
        assertThat(got.exit()).as(got.err()).isZero();
        assertThat(got.stdout()).isEqualTo(payload);
        assertThat(got.err()).isEqualTo("label: " + DEU_FRA_ISR_CANONICAL + System.lineSeparator());

        String carl = tokens.get("carl");
        assertThat(NodeProcess.cli("get", "--url", node.url(), "--token", carl, id).asCli().failsWith(3).err())
                .isEqualTo("bulwark: Not found: no record with this id is visible to you (HTTP 404)" + System.lineSeparator());
        assertThat(NodeProcess.cli(payload, "publish", "--url", node.url(), "--token", anna, "--label", "NATO SEKRET", "-")
                .asCli().failsWith(2).err()).startsWith("bulwark: Invalid label:");
        assertThat(NodeProcess.cli("list", "--url", "http://127.0.0.1:1", "--token", anna).asCli().failsWith(4).err())
                .startsWith("bulwark: cannot reach http://127.0.0.1:1");
    }

    // === docs/node.md =============================================================================

    @Test
    void theExampleConfigurationInTheNodeGuideLoads() throws Exception {
        String guide = Files.readString(Path.of("..", "docs", "node.md"));
        Matcher m = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(guide);
        assertThat(m.find()).as("a yaml example in docs/node.md").isTrue();
        Path file = Files.writeString(dir.resolve("guide-bulwark.yaml"), m.group(1));
        NodeConfig config = NodeConfig.load(file);
        assertThat(config.oidc()).isNotEmpty();
        assertThat(config.limits()).isNotEqualTo(NodeConfig.Limits.DEFAULTS);
    }
}
