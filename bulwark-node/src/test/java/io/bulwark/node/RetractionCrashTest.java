package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A retraction commits its tombstone first and deletes the ciphertext second. A crash between the
 * two must not leave the ciphertext behind for good: the next start deletes it, with its placement.
 */
class RetractionCrashTest {

    @Test
    void aRetractedRecordsCiphertextLeftByACrashIsDeletedAtTheNextStart(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        String retracted;
        String kept;
        try (Node node = Node.start(home)) {
            var analyst = Federated.analyst("DEU");
            retracted = node.records().publish(analyst, "NATO SECRET//REL TO DEU", "", "text/plain", "retract me".getBytes(StandardCharsets.UTF_8)).id();
            kept = node.records().publish(analyst, "NATO SECRET//REL TO DEU", "", "text/plain", "keep me".getBytes(StandardCharsets.UTF_8)).id();
        }
        String blobKey;
        try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database())) {
            blobKey = metadata.find(retracted).orElseThrow().blob().key();
            metadata.retract(retracted, new byte[] {1}, java.time.Instant.now()).orElseThrow(); // ... and the node dies here
            assertThat(metadata.placements(PolicySet.defaults()).get(blobKey)).as("the crash left the placement").isPresent();
        }
        try (FilesystemBlobStore site = new FilesystemBlobStore(home.defaultSite())) {
            assertThat(site.exists(blobKey)).as("the crash left the ciphertext").isTrue();
        }

        Node.start(home).close(); // the start-up sweep

        try (SqliteMetadataStore metadata = new SqliteMetadataStore(home.database())) {
            assertThat(metadata.placements(PolicySet.defaults()).get(blobKey)).isEmpty();
            assertThat(metadata.find(retracted).orElseThrow().retraction()).as("the row and its tombstone stay").isPresent();
            String keptKey = metadata.find(kept).orElseThrow().blob().key();
            try (FilesystemBlobStore site = new FilesystemBlobStore(home.defaultSite())) {
                assertThat(site.exists(blobKey)).isFalse();
                assertThat(site.exists(keptKey)).isTrue();
            }
        }
    }
}
