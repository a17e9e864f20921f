package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The placements say where a record's bytes lie. A replica on a site they do not name — left by an
 * evacuation or a site change whose delete could not reach the site — is deleted at the next start,
 * while the record and its placed replica stay. Two sites that share a place keep everything.
 */
class MisplacedReplicaSweepTest {

    private static final String LABEL = "NATO SECRET//REL TO DEU";

    /** A node with the default site and a second filesystem site at {@code path} (relative to the home). */
    private static NodeHome twoSites(Path dir, String path) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        StorageAdmin.add(home, new NodeConfig.SiteConfig("east-1", "east", "DEU", "DEU", "filesystem", path, null, null, null, null, null));
        return home;
    }

    private record Placed(String id, String key, String site, Path elsewhere) {}

    /** Publishes a record, then copies its blob to the site its placements do not name, as a failed delete leaves it. */
    private static Placed publishAndLeaveACopyElsewhere(NodeHome home, Path east) throws Exception {
        String id;
        try (Node node = Node.start(home)) {
            id = node.records().publish(Federated.analyst("DEU"), LABEL, "", "text/plain", "where am I".getBytes(StandardCharsets.UTF_8)).id();
        }
        try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database())) {
            String key = metadata.find(id).orElseThrow().blob().key();
            Map<String, BlobRef> sites = metadata.placements(PolicySet.defaults()).get(key).orElseThrow().placements();
            assertThat(sites).hasSize(1);
            String site = sites.keySet().iterator().next();
            Path placedAt = site.equals("east-1") ? east : home.defaultSite();
            Path elsewhere = site.equals("east-1") ? home.defaultSite() : east;
            byte[] bytes;
            try (FilesystemBlobStore from = new FilesystemBlobStore(placedAt)) {
                bytes = from.open(key).orElseThrow().readAllBytes();
            }
            try (FilesystemBlobStore to = new FilesystemBlobStore(elsewhere)) {
                to.put(key, new java.io.ByteArrayInputStream(bytes));
            }
            return new Placed(id, key, site, elsewhere);
        }
    }

    private static boolean holds(Path site, String key) {
        try (FilesystemBlobStore store = new FilesystemBlobStore(site)) {
            return store.exists(key);
        }
    }

    @Test
    void aReplicaOnASiteItsPlacementsDoNotNameIsDeletedAtTheNextStart(@TempDir Path dir) throws Exception {
        NodeHome home = twoSites(dir, "east");
        Path east = home.dir().resolve("east");
        Placed p = publishAndLeaveACopyElsewhere(home, east);
        assertThat(holds(p.elsewhere(), p.key())).isTrue();

        try (Node node = Node.start(home)) { // the start-up sweep
            assertThat(node.records().read(Federated.analyst("DEU"), p.id()).orElseThrow().payload()).asString().isEqualTo("where am I");
        }

        assertThat(holds(p.elsewhere(), p.key())).as("the copy the placements do not name").isFalse();
        assertThat(holds(p.site().equals("east-1") ? east : home.defaultSite(), p.key())).as("the placed replica").isTrue();
    }

    @Test
    void aCopyWhosePlacementsNameOnlySitesNoLongerConfiguredIsKept(@TempDir Path dir) throws Exception {
        NodeHome home = twoSites(dir, "east");
        Placed p = publishAndLeaveACopyElsewhere(home, home.dir().resolve("east"));
        // The placed site taken out of bulwark.yaml by hand (site.remove refuses a site that holds replicas).
        NodeConfig config = NodeConfig.read(home.config());
        config.withStorage(new NodeConfig.Storage(config.storage().sites().stream().filter(s -> !s.id().equals(p.site())).toList(),
                config.storage().closedProviders())).save(home.config());

        Node.start(home).close();

        assertThat(holds(p.elsewhere(), p.key())).as("perhaps the one copy left").isTrue();
    }

    @Test
    void aCopyWhosePlacedReplicaIsGoneIsKept(@TempDir Path dir) throws Exception {
        NodeHome home = twoSites(dir, "east");
        Path east = home.dir().resolve("east");
        Placed p = publishAndLeaveACopyElsewhere(home, east);
        try (FilesystemBlobStore placed = new FilesystemBlobStore(p.site().equals("east-1") ? east : home.defaultSite())) {
            placed.delete(p.key()); // its disk wiped, say
        }

        Node.start(home).close();

        assertThat(holds(p.elsewhere(), p.key())).as("the one copy left").isTrue();
    }

    @Test
    void sitesThatShareAPlaceKeepWhatTheyList(@TempDir Path dir) throws Exception {
        // east lies inside the default site's directory: what the default site lists may be east's.
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        Path east = home.defaultSite().resolve("east");
        var inside = new NodeConfig.SiteConfig("east-1", "east", "DEU", "DEU", "filesystem", home.dir().relativize(east).toString(),
                null, null, null, null, null);
        assertThatThrownBy(() -> StorageAdmin.add(home, inside)).hasMessage("site east-1: \"" + east
                + "\" overlaps the directory of site default (" + home.defaultSite() + "); nothing was changed");
        // So only a hand-edited bulwark.yaml gets there.
        StorageAdmin.add(home, new NodeConfig.SiteConfig("east-1", "east", "DEU", "DEU", "filesystem", "east", null, null, null, null, null));
        NodeConfig config = NodeConfig.read(home.config());
        config.withStorage(new NodeConfig.Storage(config.storage().sites().stream().map(s -> s.id().equals("east-1") ? inside : s).toList(),
                config.storage().closedProviders())).save(home.config());
        Placed p = publishAndLeaveACopyElsewhere(home, east);

        Node.start(home).close();

        assertThat(holds(p.elsewhere(), p.key())).isTrue();
    }
}
