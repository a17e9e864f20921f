package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.federation.NodeIdentity;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.site.PlacementIndex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code site.add} and {@code site.remove} on a running node, through its HTTP API: requested by an
 * operator, approved by an officer, applied at once and kept in {@code bulwark.yaml}; refused with
 * the field and the rule, and with nothing changed, when they could not run or would lose data.
 * The node (DEU, dev mode: one approval) starts with its directory {@code default} and
 * {@code alpha-1}, an S3 server in FRA. How peers learn a new site: {@link SiteOperationsFederationTest}.
 */
class SiteOperationsTest {

    @TempDir Path dir;
    S3Server alpha;
    S3Server gamma;
    NodeHome home;
    Node node;
    NodeClient api;

    @BeforeEach
    void start() throws Exception {
        alpha = S3Server.start(dir.resolve("alpha-data"), 0);
        gamma = S3Server.start(dir.resolve("gamma-data"), 0);
        alpha.bucket("alpha");
        gamma.bucket("gamma");
        home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0");
        NodeClient.writeS3Secret(home, S3Server.ACCESS, S3Server.SECRET);
        StorageAdmin.add(home, StorageSitesTest.s3("alpha-1", "alpha", "FRA", alpha, "alpha"));
        NodeClient.addUsers(home);
        node = Node.start(home);
        api = new NodeClient(home, () -> node);
    }

    @AfterEach
    void stop() {
        node.close();
        alpha.close();
        gamma.close();
    }

    Map<String, String> gammaSite() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("id", "gamma-1");
        p.put("provider", "gamma");
        p.put("jurisdiction", "GBR");
        p.put("operator", "GBR");
        p.put("kind", "s3");
        p.put("endpoint", gamma.endpoint().toString());
        p.put("bucket", "gamma");
        p.put("credentialsFile", "secrets/s3.secret");
        return p;
    }

    List<String> siteIds() {
        return node.storage().replicas().sites().stream().map(io.bulwark.store.site.Site::id).toList();
    }

    List<String> placements(String id) {
        return node.storage().index().get(id).map(PlacementIndex.Entry::placements).map(p -> List.copyOf(p.keySet())).orElse(List.of());
    }

    @Test
    void anApprovedSiteIsUsedForNewWritesAtOnceAndKeptAcrossARestart() throws Exception {
        assertThat(api.post("in=GBR", "nowhere yet").status()).isEqualTo(422);
        NodeClient.Answer requested = api.request("site.add", gammaSite());
        assertThat(requested.status()).as(requested.text()).isEqualTo(202);
        JsonNode parameters = requested.json().path("parameters");
        assertThat(parameters.path("region").asText()).as("defaults are explicit in what officers approve").isEqualTo("us-east-1");
        assertThat(parameters.path("pathStyle").asText()).isEqualTo("true");
        assertThat(siteIds()).as("nothing before the approval").containsExactly("alpha-1", "default");
        assertThat(NodeConfig.read(home.config()).storage().sites()).extracting(NodeConfig.SiteConfig::id).containsExactly("default", "alpha-1");

        JsonNode done = api.approve(requested.json().path("id").asText());
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("executed");
        assertThat(done.path("result").asText()).isEqualTo("site gamma-1 added (s3, provider gamma, GBR, operator GBR); new writes may use it");

        String id = api.publish("in=GBR", "in Britain");
        assertThat(placements(id)).containsExactly("gamma-1");
        assertThat(StorageSitesTest.keys(gamma.endpoint(), "gamma")).containsExactly(id);
        assertThat(api.storage().path("sites").findValuesAsText("id")).containsExactly("alpha-1", "default", "gamma-1");
        assertThat(node.declaredStorage()).extracting(NodeIdentity.StorageSite::id).contains("gamma-1");
        NodeConfig.SiteConfig written = NodeConfig.read(home.config()).storage().sites().getLast();
        assertThat(written).isEqualTo(new NodeConfig.SiteConfig("gamma-1", "gamma", "GBR", "GBR", "s3", null, gamma.endpoint().toString(),
                "gamma", "us-east-1", true, "secrets/s3.secret"));
        assertThat(Files.readString(home.config())).doesNotContain(S3Server.SECRET);

        node.close();
        node = Node.start(home);
        assertThat(siteIds()).containsExactly("alpha-1", "default", "gamma-1");
        assertThat(api.read(id).text()).isEqualTo("in Britain");
    }

    @Test
    void aSiteHoldingReplicasIsNotRemovedUntilItsProviderIsEvacuated() throws Exception {
        String id = api.publish("providers>=1", "on alpha");
        assertThat(placements(id)).containsExactly("alpha-1"); // providers in name order: alpha before local
        String before = Files.readString(home.config());

        NodeClient.Answer refused = api.request("site.remove", Map.of("id", "alpha-1"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.detail()).isEqualTo("parameters.id: site alpha-1 still holds 1 replica(s); evacuate its provider first "
                + "(bulwark request provider-evacuate alpha), then request its removal again");
        assertThat(Files.readString(home.config())).isEqualTo(before);
        assertThat(siteIds()).contains("alpha-1");

        JsonNode evacuation = api.requestAndApprove("provider.evacuate", Map.of("provider", "alpha"));
        assertThat(evacuation.path("state").asText()).as(evacuation.toString()).isEqualTo("executed");
        awaitEvacuation();
        assertThat(placements(id)).containsExactly("default");

        // A replica whose deletion could not reach alpha (it was down when its record went): named nowhere,
        // and no start's sweep will come for a removed site, so the removal deletes it.
        var alphaSite = NodeStorage.sites(home, NodeConfig.read(home.config())).stream().filter(s -> s.id().equals("alpha-1")).findFirst().orElseThrow();
        node.storage().replicas().store("alpha-1").put("0199aaaa-0000-7000-8000-000000000000", new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        Thread.sleep(3000); // older than the removal by more than S3's second-granular times: not a write in progress

        JsonNode removed = api.requestAndApprove("site.remove", Map.of("id", "alpha-1"));
        assertThat(removed.path("state").asText()).as(removed.toString()).isEqualTo("executed");
        try (var store = alphaSite.open(); var left = store.list()) {
            assertThat(left.map(io.bulwark.store.BlobEntry::key).toList()).as("alpha holds nothing once removed").isEmpty();
        }
        assertThat(siteIds()).containsExactly("default");
        assertThat(NodeConfig.read(home.config()).storage().sites()).extracting(NodeConfig.SiteConfig::id).containsExactly("default");
        assertThat(api.read(id).text()).isEqualTo("on alpha");
        assertThat(api.post("in=FRA", "no site in FRA any more").status()).isEqualTo(422);

        NodeClient.Answer last = api.request("site.remove", Map.of("id", "default"));
        assertThat(last.status()).isEqualTo(409);
        assertThat(last.detail()).isEqualTo("parameters.id: site default is the node's only site; add another first");
        String config = Files.readString(home.config());
        NodeClient.Answer nowhere = api.request("provider.evacuate", Map.of("provider", "local"));
        assertThat(nowhere.status()).isEqualTo(409);
        assertThat(nowhere.detail()).isEqualTo("parameters.provider: no site of another provider is open to writes, so provider local's "
                + "replicas would have nowhere to go and, once it is closed, the node could store nothing; add a site of another provider "
                + "first (bulwark request site-add)");
        assertThat(Files.readString(home.config())).as("nothing closed").isEqualTo(config);
    }

    @Test
    void aReplicaThatArrivesBetweenRequestAndApprovalStopsTheRemoval() throws Exception {
        JsonNode added = api.requestAndApprove("site.add", gammaSite());
        assertThat(added.path("state").asText()).as(added.toString()).isEqualTo("executed");
        NodeClient.Answer requested = api.request("site.remove", Map.of("id", "gamma-1")); // empty now: accepted
        assertThat(requested.status()).as(requested.text()).isEqualTo(202);
        String id = api.publish("in=GBR", "lands on gamma");
        String before = Files.readString(home.config());

        JsonNode failed = api.approve(requested.json().path("id").asText());
        assertThat(failed.path("state").asText()).isEqualTo("failed");
        assertThat(failed.path("result").asText()).startsWith("parameters.id: site gamma-1 still holds 1 replica(s)");
        assertThat(siteIds()).contains("gamma-1");
        assertThat(Files.readString(home.config())).isEqualTo(before);
        assertThat(api.read(id).text()).isEqualTo("lands on gamma");
    }

    @Test
    void badParametersAreRefusedNamingTheFieldAndNothingChanges() throws Exception {
        String before = Files.readString(home.config());
        Path readable = home.dir().resolve("secrets/readable.secret");
        Files.writeString(readable, "aws_access_key_id=a\naws_secret_access_key=b\n");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, Map<String, String>> cases = new LinkedHashMap<>();
        cases.put("400 parameters.kind: filesystem or s3, not 'tape'", with("kind", "tape"));
        cases.put("400 parameters.jurisdiction: \"France\" must be an ISO 3166-1 alpha-3 code (three letters A-Z); length is 6",
                with("jurisdiction", "France"));
        cases.put("400 parameters.id: \"Gamma_1\" must be 1 to 63 characters from a-z, 0-9 and '-', starting with a letter or digit",
                with("id", "Gamma_1"));
        cases.put("409 parameters.id: the node has a site \"alpha-1\" already", with("id", "alpha-1"));
        cases.put("409 parameters.bucket: \"alpha\" at this endpoint is the bucket of site alpha-1",
                with("endpoint", alpha.endpoint().toString(), "bucket", "alpha"));
        cases.put("400 parameters.bucket: required for an s3 site", without("bucket"));
        cases.put("400 parameters.bucket: \"Not_A_Bucket\" must be 3 to 63 characters from a-z, 0-9, '.' and '-', starting and ending "
                + "with a letter or digit", with("bucket", "Not_A_Bucket"));
        cases.put("400 parameters.endpoint: must not carry credentials; put them in a credentials file or the environment",
                with("endpoint", "http://AKIAEXAMPLE:very-secret@127.0.0.1:9"));
        cases.put("400 parameters.pathStyle: true or false, not 'yes'", with("pathStyle", "yes"));
        cases.put("400 parameters.credentialsFile: \"secrets/readable.secret\" must be readable by its owner only (chmod 600)",
                with("credentialsFile", "secrets/readable.secret"));
        for (String outside : new String[] {"/etc/passwd", "../../etc/passwd"}) {
            cases.put("400 parameters.credentialsFile: \"" + outside + "\" is outside the node's home; name a file inside it, e.g. secrets/s3.secret",
                    with("credentialsFile", outside));
        }
        cases.put("400 parameters.secretAccessKey: not a parameter of site.add; its parameters: id, provider, jurisdiction, operator, kind, "
                + "path, endpoint, bucket, region, pathStyle, credentialsFile", with("secretAccessKey", "very-secret"));
        Map<String, String> filesystem = new LinkedHashMap<>(Map.of("id", "fs-2", "provider", "other", "jurisdiction", "DEU",
                "operator", "DEU", "kind", "filesystem", "path", "sites/default/inner"));
        cases.put("409 parameters.path: \"" + home.defaultSite().resolve("inner") + "\" overlaps the directory of site default ("
                + home.defaultSite() + ")", filesystem);
        cases.put("400 parameters.path: \".\" is the node's home or contains it", with(filesystem, "path", "."));
        cases.put("400 parameters.bucket: not a parameter of a filesystem site (it takes path)", with(filesystem, "bucket", "b"));
        cases.put("400 parameters.path: \"a\\u0000b\" is not a path: Nul character not allowed", with(filesystem, "path", "a\u0000b"));
        cases.put("400 parameters.credentialsFile: \"secrets/\\u0000\" is not a path: Nul character not allowed",
                with("credentialsFile", "secrets/\u0000"));

        List<String> answers = new java.util.ArrayList<>();
        for (var c : cases.entrySet()) {
            NodeClient.Answer a = api.request("site.add", c.getValue());
            answers.add(a.status() + " " + a.detail());
            assertThat(a.text()).as("a secret is never echoed").doesNotContain("very-secret");
        }
        assertThat(answers).containsExactlyElementsOf(cases.keySet());
        NodeClient.Answer s3Scheme = api.request("site.add", with("endpoint", "s3://AKIAEXAMPLE:very-secret@bucket-host"));
        assertThat(s3Scheme.status() + " " + s3Scheme.detail())
                .isEqualTo("400 parameters.endpoint: must not carry credentials; put them in a credentials file or the environment");
        assertThat(s3Scheme.text()).doesNotContain("very-secret");

        NodeClient.Answer unknown = api.request("site.remove", Map.of("id", "nowhere"));
        assertThat(unknown.status() + " " + unknown.detail()).isEqualTo("400 parameters.id: the node has no site \"nowhere\"; its sites: alpha-1, default");
        assertThat(api.call("GET", "/api/v1/approvals", "otto", null).json().path("requests")).as("no request was filed").isEmpty();
        assertThat(Files.readString(home.config())).isEqualTo(before);
        assertThat(siteIds()).containsExactly("alpha-1", "default");
    }

    @Test
    void aSiteThatDoesNotAnswerOrIsNotEmptyFailsWhenApprovedAndNothingChanges() throws Exception {
        String before = Files.readString(home.config());
        int closed = LoopbackPorts.free(); // nothing listens there
        JsonNode unreachable = api.requestAndApprove("site.add", with("endpoint", "http://127.0.0.1:" + closed));
        assertThat(unreachable.path("state").asText()).isEqualTo("failed");
        assertThat(unreachable.path("result").asText()).startsWith("site gamma-1 did not answer: ")
                .endsWith("; nothing was changed (request it again once it answers)");

        try (var store = new io.bulwark.store.blob.s3.S3BlobStore(gamma.bucket("other"), S3Server.credentials())) {
            store.put("somebody-elses", new ByteArrayInputStream("keep me".getBytes(StandardCharsets.UTF_8)));
        }
        JsonNode full = api.requestAndApprove("site.add", with("bucket", "other"));
        assertThat(full.path("state").asText()).isEqualTo("failed");
        assertThat(full.path("result").asText()).isEqualTo("site gamma-1 already holds blobs (somebody-elses, ...); a new site must start "
                + "empty, because the node's orphan sweep deletes every blob no record names; nothing was changed");

        assertThat(Files.readString(home.config())).isEqualTo(before);
        assertThat(siteIds()).containsExactly("alpha-1", "default");
        assertThat(StorageSitesTest.keys(gamma.endpoint(), "other")).containsExactly("somebody-elses");
    }

    // ---- helpers -------------------------------------------------------------------------------

    Map<String, String> with(String... pairs) {
        return with(gammaSite(), pairs);
    }

    static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> p = new LinkedHashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) p.put(pairs[i], pairs[i + 1]);
        return p;
    }

    Map<String, String> without(String name) {
        Map<String, String> p = gammaSite();
        p.remove(name);
        return p;
    }

    void awaitEvacuation() throws Exception {
        for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); ; Thread.sleep(50)) {
            if (api.storage().path("evacuation").has("moved")) return;
            assertThat(System.nanoTime()).as("the evacuation finishes").isLessThan(deadline);
        }
    }
}
