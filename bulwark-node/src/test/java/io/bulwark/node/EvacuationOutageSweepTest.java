package io.bulwark.node;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.blob.s3.S3ServerProcess;
import io.bulwark.store.site.EvacuationProgress;
import io.bulwark.store.site.PlacementIndex;
import io.bulwark.store.site.Site;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Provider alpha (a real S3 server in a child process) is evacuated while it is down: each record is
 * copied from beta to the node's directory and its placements switched, but alpha's replicas cannot
 * be deleted. Alpha comes back with its disks; the node's next start deletes them there, and every
 * record reads from where its placements say.
 */
class EvacuationOutageSweepTest {

    @Test
    void replicasAnEvacuationCouldNotDeleteGoAtTheNextStartOnceTheProviderAnswers(@TempDir Path dir) throws Exception {
        S3ServerProcess alpha = S3ServerProcess.start(dir.resolve("alpha"));
        S3ServerProcess beta = S3ServerProcess.start(dir.resolve("beta"));
        try {
            S3Server.bucket(alpha.endpoint(), "alpha");
            S3Server.bucket(beta.endpoint(), "beta");
            NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0");
            NodeClient.writeS3Secret(home, S3Server.ACCESS, S3Server.SECRET);
            for (var s : List.of(new String[] {"alpha-1", "alpha", alpha.endpoint().toString()}, new String[] {"beta-1", "beta", beta.endpoint().toString()})) {
                StorageAdmin.add(home, new NodeConfig.SiteConfig(s[0], s[1], "FRA", "FRA", "s3", null, s[2], s[1], null, null, "secrets/s3.secret"));
            }
            NodeClient.addUsers(home);

            Map<String, String> stored = new java.util.HashMap<>();
            Set<String> keys = new TreeSet<>();
            try (Node node = Node.start(home)) {
                NodeClient api = new NodeClient(home, () -> node);
                for (int i = 0; i < 6; i++) {
                    NodeClient.Answer a = api.post("providers>=2", "record " + i);
                    assertThat(a.status()).isEqualTo(201);
                    stored.put(a.json().path("id").asText(), "record " + i);
                }
                for (String id : stored.keySet()) {
                    PlacementIndex.Entry e = node.storage().index().get(id).orElseThrow();
                    assertThat(e.placements().keySet()).containsExactly("alpha-1", "beta-1");
                    keys.add(e.ref().key());
                }

                alpha.kill(); // the provider is down while it is evacuated
                node.storage().replicas().closeToWrites("alpha");
                try (EvacuationProgress progress = new EvacuationProgress(home.evacuations())) {
                    var report = node.storage().evacuate("alpha", progress, p -> { });
                    // Copied and switched, but not done: the sources could not be deleted.
                    assertThat(report.complete()).isFalse();
                    assertThat(report.failed()).hasSize(stored.size())
                            .allSatisfy(f -> assertThat(f).contains("replica on alpha-1 could not be deleted (site unreachable)"));
                }
                for (String id : stored.keySet()) {
                    assertThat(node.storage().index().get(id).orElseThrow().placements().keySet()).containsExactly("beta-1", "default");
                }
                // No placement names alpha-1 now, but removing it would leave the six replicas there for good.
                var removal = api.requestAndApprove("site.remove", Map.of("id", "alpha-1"));
                assertThat(removal.path("state").asText()).as(removal.toString()).isEqualTo("failed");
                assertThat(removal.path("result").asText()).contains("could not delete 6 replica(s) there yet");
            }

            // Nor from the command line, with the node stopped.
            assertThatThrownBy(() -> StorageAdmin.remove(home, "alpha-1")).hasMessageContaining("could not delete 6 replica(s) there yet");

            alpha.restart(); // back, with its disks
            assertThat(alphaKeys(home)).as("the evacuation could not delete them").containsAll(keys);

            try (Node node = Node.start(home)) { // the start-up sweep
                NodeClient api = new NodeClient(home, () -> node);
                for (var e : stored.entrySet()) {
                    NodeClient.Answer a = api.read(e.getKey());
                    assertThat(a.status()).isEqualTo(200);
                    assertThat(a.text()).isEqualTo(e.getValue());
                }
            }
            assertThat(alphaKeys(home)).as("alpha holds none of the evacuated records").doesNotContainAnyElementsOf(keys);
        } finally {
            alpha.close();
            beta.close();
        }
    }

    /** What alpha's bucket holds, read as the node reads it. */
    private static Set<String> alphaKeys(NodeHome home) {
        Site site = NodeStorage.sites(home, NodeConfig.read(home.config())).stream().filter(s -> s.id().equals("alpha-1")).findFirst().orElseThrow();
        try (var store = site.open(); Stream<BlobEntry> listed = store.list()) {
            return listed.map(BlobEntry::key).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
