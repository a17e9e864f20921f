package io.bulwark.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.federation.NodeIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A site added to a running node reaches its peers as a restart would: the node serves a new signed
 * identity declaring it, each peer re-pins it at its next feed response and routes records by it.
 */
class SiteOperationsFederationTest {

    @Test
    void aPeerLearnsTheNewSiteFromTheNodesIdentityAndRoutesRecordsByIt(@TempDir Path fed) throws Exception {
        try (Federated nations = new Federated(fed, List.of("DEU", "FRA"))) {
            NodeHome fra = nations.homes.get("FRA");
            NodeClient.addUsers(fra);
            NodeClient fraApi = new NodeClient(fra, () -> nations.node("FRA"));
            nations.await("DEU has pinned FRA", Duration.ofSeconds(30), () -> nations.node("DEU").peerIdentity("FRA").isPresent());
            assertThat(nations.node("DEU").peerIdentity("FRA").orElseThrow().storage()).extracting(NodeIdentity.StorageSite::jurisdiction)
                    .containsExactly("FRA");

            // FRA adds a site in Germany; DEU's records that must stay in Germany may go to FRA from now on.
            JsonNode added = fraApi.requestAndApprove("site.add", Map.of("id", "deu-1", "provider", "bund", "jurisdiction", "DEU",
                    "operator", "DEU", "kind", "filesystem", "path", "sites/deu-1"));
            assertThat(added.path("state").asText()).as(added.toString()).isEqualTo("executed");
            nations.await("DEU sees FRA's new site", Duration.ofSeconds(30), () -> nations.node("DEU").peerIdentity("FRA").orElseThrow()
                    .storage().stream().anyMatch(s -> s.id().equals("deu-1") && s.jurisdiction().equals("DEU")));

            var published = nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "in=DEU", "text/plain",
                    "stays in Germany".getBytes(StandardCharsets.UTF_8));
            nations.await("FRA holds it", Duration.ofSeconds(30), () -> nations.node("FRA").records().read(analyst("FRA"), published.id()).isPresent());
            assertThat(nations.node("FRA").storage().index().get(published.id()).orElseThrow().placements()).containsOnlyKeys("deu-1");
        }
    }
}
