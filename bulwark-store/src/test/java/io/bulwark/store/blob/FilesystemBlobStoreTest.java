package io.bulwark.store.blob;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobStore;
import io.bulwark.store.BlobStoreContractTest;
import io.bulwark.store.TestRecords;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The blob store contract on a real directory, plus the filesystem layout. */
class FilesystemBlobStoreTest extends BlobStoreContractTest {

    @Override
    protected BlobStore open(Path dir) {
        return new FilesystemBlobStore(dir.resolve("blobs"));
    }

    private FilesystemBlobStore fs() {
        return (FilesystemBlobStore) blobs;
    }

    @Test
    void putKnownRecordsTheGivenDigestWithoutHashingTheBytes() throws IOException {
        // What a caller vouches for is kept as given: a wrong digest is found by the reads that check
        // it (ReplicatedBlobStoreTest.aCorruptReplicaFailsTheReadAtTheEnd), not here.
        byte[] content = "sealed bytes".getBytes(StandardCharsets.US_ASCII);
        io.bulwark.store.BlobRef vouched = new io.bulwark.store.BlobRef("k", content.length, TestRecords.sha256(new byte[] {1}));
        assertThat(blobs.putKnown(vouched, content)).isEqualTo(vouched);
        assertThat(Files.readAllBytes(fs().pathOf("k"))).isEqualTo(content);
    }

    @Nested
    class Layout {

        @Test
        void aBlobLivesInTheShardNamedByTheHashOfItsKey() {
            String key = "0192f3a4-5b6c-7d8e-9f01-23456789abcd";
            blobs.put(key, new ByteArrayInputStream(new byte[] {1}));
            String h = TestRecords.sha256(key.getBytes(StandardCharsets.US_ASCII));
            assertThat(fs().root().resolve(h.substring(0, 2)).resolve(key)).isRegularFile();
        }

        @Test
        void aFailedPutLeavesNoTemporaryFile() throws IOException {
            assertThatThrownBy(() -> blobs.put("k", failingAfter(new byte[100_000]))).isInstanceOf(io.bulwark.store.StoreException.class);
            try (Stream<Path> files = Files.walk(fs().root())) {
                assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
            }
        }

        @Test
        void temporaryAndStrayFilesAreNeverListed() throws IOException {
            blobs.put("real", new ByteArrayInputStream(new byte[] {1}));
            Path shard = fs().pathOf("real").getParent();
            Files.writeString(shard.resolve(".tmp-real-0123"), "half a blob");
            Files.writeString(shard.resolve("misplaced"), "not in its shard");
            Files.writeString(fs().root().resolve("README"), "stray at the top");

            assertThat(listed(blobs)).extracting(BlobEntry::key).containsExactly("real");
        }

        @Test
        void deleteIncompleteRemovesOnlyTemporaryFilesStartedBeforeTheCutoff() throws IOException {
            blobs.put("real", new ByteArrayInputStream(new byte[] {1}));
            Path shard = fs().pathOf("real").getParent();
            Path old = Files.writeString(shard.resolve(".tmp-real-old"), "crashed long ago");
            Path recent = Files.writeString(shard.resolve(".tmp-real-new"), "in progress");
            Instant cutoff = Instant.parse("2026-11-26T00:00:00Z");
            Files.setLastModifiedTime(old, FileTime.from(cutoff.minusSeconds(1)));
            Files.setLastModifiedTime(recent, FileTime.from(cutoff.plusSeconds(1)));

            assertThat(blobs.deleteIncomplete(cutoff)).isEqualTo(1);

            assertThat(old).doesNotExist();
            assertThat(recent).exists();
            assertThat(blobs.exists("real")).isTrue();
        }

        @Test
        void listReportsTheModificationTime() throws IOException {
            blobs.put("k", new ByteArrayInputStream(new byte[] {1}));
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            Files.setLastModifiedTime(fs().pathOf("k"), FileTime.from(t));
            assertThat(listed(blobs)).containsExactly(new BlobEntry("k", 1, t));
        }

        @Test
        void aRootThatIsAFileIsAStoreException() throws IOException {
            Path file = Files.writeString(dir.resolve("a-file"), "x");
            assertThatThrownBy(() -> new FilesystemBlobStore(file))
                    .isInstanceOf(io.bulwark.store.StoreException.class).hasMessageContaining("a-file");
        }

        @Test
        void reopeningFindsEveryBlob() {
            for (String k : List.of("a", "b", "c")) {
                blobs.put(k, new ByteArrayInputStream(k.getBytes(StandardCharsets.US_ASCII)));
            }
            BlobStore again = new FilesystemBlobStore(fs().root());
            assertThat(read(again, "b")).containsExactly('b');
            assertThat(listed(again)).hasSize(3);
        }
    }
}
