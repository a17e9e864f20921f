package io.bulwark.node;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.site.InMemoryPlacementIndex;
import io.bulwark.store.site.PlacementIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a removed site's leftovers are: blobs no placement names, written before the removal paused
 * the node's writes. A blob a placement names stays (another site may share the place), and so does
 * one written since (another site sharing the place may be writing it now).
 */
class SiteLeftoversTest {

    @TempDir Path dir;

    @Test
    void onlyUnnamedBlobsOlderThanTheRemovalGo() {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("site"));
        try {
            BlobRef placed = store.put("0199aaaa-0000-7000-8000-000000000001", new ByteArrayInputStream(new byte[] {1}));
            store.put("0199aaaa-0000-7000-8000-000000000002", new ByteArrayInputStream(new byte[] {2}));
            InMemoryPlacementIndex placements = new InMemoryPlacementIndex();
            placements.put(new PlacementIndex.Entry(placed.key(), ResidencyPolicy.ANY, new TreeMap<>(java.util.Map.of("other-1", placed))));

            NodeStorage.deleteLeftovers("site-1", store, placements, Instant.now().minusSeconds(3600));
            assertThat(keys(store)).as("written after the pause: left alone").hasSize(2);

            NodeStorage.deleteLeftovers("site-1", store, placements, Instant.now().plusSeconds(10));
            assertThat(keys(store)).containsExactly(placed.key());
        } finally {
            store.close();
        }
    }

    private static java.util.List<String> keys(FilesystemBlobStore store) {
        try (Stream<BlobEntry> listed = store.list()) {
            return listed.map(BlobEntry::key).sorted().toList();
        }
    }
}
