package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.site.PlacementIndex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node (DEU) with three sites on three providers — {@code alpha-1} (S3 server, FRA),
 * {@code beta-1} (another S3 server, DEU) and {@code default} (its home directory, DEU) — serving
 * through its API: placement, refusal, failover, repair and evacuation while it serves.
 */
class StorageSitesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    @TempDir Path dir;
    S3Server alpha;
    S3Server beta;
    NodeHome home;
    Node node;

    @BeforeEach
    void start() throws Exception {
        alpha = S3Server.start(dir.resolve("alpha-data"), 0);
        beta = S3Server.start(dir.resolve("beta-data"), 0);
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0");
        Path secret = home.dir().resolve("secrets/s3.secret");
        Files.writeString(secret, "aws_access_key_id=" + S3Server.ACCESS + "\naws_secret_access_key=" + S3Server.SECRET + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        alpha.bucket("alpha");
        beta.bucket("beta");
        StorageAdmin.add(home, s3("alpha-1", "alpha", "FRA", alpha, "alpha"));
        StorageAdmin.add(home, s3("beta-1", "beta", "DEU", beta, "beta"));
        LocalUsers users = LocalUsers.open(home.dir(), PolicySet.defaults());
        users.add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        users.add(new User("otto", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OPERATOR)));
        users.add(new User("olga", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
        node = Node.start(home);
    }

    @AfterEach
    void stop() {
        node.close();
        alpha.close();
        beta.close();
    }

    static NodeConfig.SiteConfig s3(String id, String provider, String nation, S3Server server, String bucket) {
        return new NodeConfig.SiteConfig(id, provider, nation, nation, "s3", null, server.endpoint().toString(), bucket, null, null,
                "secrets/s3.secret");
    }

    @Test
    void theDefaultSiteIsKeptAndSitesAreDeclaredAsConfigured() {
        assertThat(StorageAdmin.list(home)).extracting(StorageAdmin.SiteView::id).containsExactly("default", "alpha-1", "beta-1");
        assertThat(node.storage().replicas().sites()).extracting(s -> s.provider()).containsExactlyInAnyOrder("local", "alpha", "beta");
    }

    @Test
    void providersTwoLandsOnTwoProvidersAndAnUnmeetableResidencyWritesNothing() throws Exception {
        String id = publish("providers>=2", "two");
        assertThat(placements(id)).containsExactly("alpha-1", "beta-1"); // providers in name order
        assertThat(read(id).statusCode()).isEqualTo(200);

        Map<String, Long> before = blobsBySite();
        HttpResponse<String> refused = post("in=GBR", "nowhere");
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).isEqualTo("application/problem+json");
        assertThat(JSON.readTree(refused.body()).path("detail").asText()).isEqualTo("residency in=GBR: in=GBR: no site in GBR");
        HttpResponse<String> tooFew = post("in=FRA;providers>=2", "too few");
        assertThat(tooFew.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(tooFew.body()).path("detail").asText()).contains("providers>=2: only 1 compliant provider is available (alpha)");
        assertThat(blobsBySite()).as("nothing written on refusal").isEqualTo(before);
        assertThat(keys(alpha.endpoint(), "alpha")).hasSize(1);
    }

    @Test
    void aLostProviderIsFailedOverAndRepairRestoresTheMinimum() throws Exception {
        String id = publish("providers>=2", "survives");
        int port = alpha.port();
        alpha.close(); // provider alpha is gone

        assertThat(read(id).statusCode()).as("read from beta").isEqualTo(200);
        String during = publish("providers>=2", "written during the outage");
        assertThat(placements(during)).containsExactly("beta-1", "default");
        assertThat(post("in=FRA", "only alpha is in FRA").statusCode()).as("capacity exists but is down").isEqualTo(503);

        node.storage().repair();
        assertThat(placements(id)).as("a replica added on a provider that answers").contains("beta-1", "default");
        assertThat(node.storage().status().underReplicated()).isZero();

        alpha = S3Server.start(dir.resolve("alpha-data"), port); // it comes back
        String fra = publishEventually("in=FRA");
        assertThat(placements(fra)).containsExactly("alpha-1");
        JsonNode status = JSON.readTree(call("GET", "/api/v1/storage", "otto").body());
        assertThat(status.path("sites")).hasSize(3);
        assertThat(status.path("underReplicated")).isEmpty();
        assertThat(status.path("underReplicatedCount").asLong(-1)).isZero();
    }

    @Test
    void evacuationMovesEveryReplicaOffAProviderWhileTheNodeServes() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) ids.add(publish("providers>=2", "record " + i));
        List<String> during = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        List<Integer> failures = Collections.synchronizedList(new ArrayList<>());
        Thread traffic = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    during.add(publish("providers>=2", "during " + i));
                    int status = read(ids.get(i % ids.size())).statusCode();
                    if (status != 200) failures.add(status);
                }
            } catch (Exception e) {
                failures.add(-1);
            }
        });
        HttpResponse<String> requested = call("POST", "/api/v1/approvals", "otto",
                Map.of("operation", "provider.evacuate", "parameters", Map.of("provider", "alpha")));
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(202);
        String request = JSON.readTree(requested.body()).path("id").asText();
        assertThat(JSON.readTree(call("POST", "/api/v1/approvals/" + request + "/approve", "olga").body()).path("state").asText())
                .isEqualTo("executed");
        JsonNode evacuation = null;
        for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); System.nanoTime() < deadline; Thread.sleep(100)) {
            evacuation = JSON.readTree(call("GET", "/api/v1/storage", "otto").body()).path("evacuation");
            if (evacuation.has("moved")) break;
        }
        stop.set(true);
        traffic.join();
        assertThat(failures).isEmpty();
        assertThat(evacuation.path("moved").asLong() + evacuation.path("alreadyElsewhere").asLong()).isGreaterThanOrEqualTo(20);
        assertThat(evacuation.path("impossible")).isEmpty();
        assertThat(node.storage().index().page(Set.of("alpha-1"), "", 10)).as("nothing left on alpha").isEmpty();
        assertThat(keys(alpha.endpoint(), "alpha")).isEmpty();
        for (String id : ids) {
            assertThat(read(id).statusCode()).isEqualTo(200);
            assertThat(placements(id)).doesNotContain("alpha-1").hasSize(2);
        }
        assertThat(placements(publish("providers>=2", "after"))).containsExactly("beta-1", "default");
        assertThat(NodeConfig.read(home.config()).storage().closedProviders()).containsExactly("alpha");
    }

    // ---- helpers -------------------------------------------------------------------------------

    String publishEventually(String residency) throws Exception {
        for (int i = 0; ; i++) {
            HttpResponse<String> r = post(residency, "again");
            if (r.statusCode() == 201 || i == 100) {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                return JSON.readTree(r.body()).path("id").asText();
            }
            Thread.sleep(100); // the site's backoff passes, then the next call is its probe
        }
    }

    List<String> placements(String id) {
        return node.storage().index().get(id).map(PlacementIndex.Entry::placements).map(p -> List.copyOf(p.keySet())).orElse(List.of());
    }

    Map<String, Long> blobsBySite() {
        return node.storage().status().sites().stream().collect(Collectors.toMap(StorageAdmin.SiteStatus::id, StorageAdmin.SiteStatus::blobs));
    }

    static List<String> keys(URI endpoint, String bucket) {
        try (var store = new io.bulwark.store.blob.s3.S3BlobStore(io.bulwark.store.blob.s3.S3Location.of(endpoint, bucket), S3Server.credentials());
             var entries = store.list()) {
            return entries.map(io.bulwark.store.BlobEntry::key).toList();
        }
    }

    String publish(String residency, String payload) throws Exception {
        HttpResponse<String> r = post(residency, payload);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("id").asText();
    }

    HttpResponse<String> post(String residency, String payload) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records")).header("Authorization", "Bearer " + token("ana"))
                .header("Bulwark-Label", "NATO SECRET").header("Bulwark-Residency", residency).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> read(String id) throws Exception {
        return call("GET", "/api/v1/records/" + id, "ana");
    }

    HttpResponse<String> call(String method, String path, String user) throws Exception {
        return call(method, path, user, null);
    }

    HttpResponse<String> call(String method, String path, String user, Object body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("Authorization", "Bearer " + token(user))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    String token(String user) throws Exception {
        User u = LocalUsers.open(home.dir(), PolicySet.defaults()).find(user).orElseThrow();
        return new LocalTokens("DEU", "deu-1", home.tokenSecret()).issue(u.toPrincipal("bulwark:DEU:deu-1"), Duration.ofMinutes(10));
    }
}
