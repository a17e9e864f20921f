package io.bulwark.store;

import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static io.bulwark.store.TestRecords.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sweeper on the real stores: orphans and partial writes go once the grace period has passed. */
class OrphanSweeperTest {

    @TempDir
    Path dir;
    MetadataStore metadata;
    FilesystemBlobStore blobs;
    final Random random = new Random(7);

    @BeforeEach
    void open() {
        metadata = new SqliteMetadataStore(dir.resolve("metadata.db"));
        blobs = new FilesystemBlobStore(dir.resolve("blobs"));
    }

    @AfterEach
    void close() {
        metadata.close();
        blobs.close();
    }

    /** Blob first, then metadata: the write protocol. */
    private RecordMetadata store() {
        RecordMetadata r = TestRecords.record(T0, random);
        BlobRef blob = blobs.put(r.blob().key(), new ByteArrayInputStream(new byte[] {1, 2, 3}));
        RecordMetadata stored = new RecordMetadata(r.id(), r.originNation(), r.originNode(), r.createdAt(), r.contentType(),
                r.payloadSize(), r.contentDigest(), r.label(), r.residency(), blob, Optional.empty());
        metadata.insert(stored).orElseThrow();
        return stored;
    }

    private OrphanSweeper sweeperAt(Instant now) {
        return new OrphanSweeper(metadata, blobs, Duration.ofHours(1), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void deletesUnreferencedBlobsOnlyOnceTheGracePeriodHasPassed() {
        RecordMetadata kept = store();
        RecordMetadata retracted = store();
        // A crash after the retraction committed, before its blob was deleted (the blob goes second).
        metadata.retract(retracted.id(), new byte[] {1}, T0).orElseThrow();
        blobs.put("orphan-a", new ByteArrayInputStream(new byte[] {1})); // a crash between blob and metadata
        blobs.put("orphan-b", new ByteArrayInputStream(new byte[] {2}));

        OrphanSweeper.Report early = sweeperAt(Instant.now().plus(Duration.ofMinutes(30))).sweep();
        assertThat(early).isEqualTo(new OrphanSweeper.Report(4, 0, 0, 0));
        assertThat(blobs.exists("orphan-a")).as("a write may still be between its two steps").isTrue();

        OrphanSweeper.Report late = sweeperAt(Instant.now().plus(Duration.ofHours(2))).sweep();
        assertThat(late).isEqualTo(new OrphanSweeper.Report(4, 3, 0, 0));
        assertThat(blobs.exists("orphan-a")).isFalse();
        assertThat(blobs.exists("orphan-b")).isFalse();
        assertThat(blobs.exists(kept.blob().key())).isTrue();
        assertThat(blobs.exists(retracted.blob().key())).as("a retracted record's ciphertext must go, though its row stays").isFalse();
    }

    @Test
    void deletesPartialWritesLeftByACrash() throws IOException {
        RecordMetadata kept = store();
        Path shard = Files.createDirectories(blobs.root().resolve("00"));
        Files.writeString(shard.resolve(".tmp-0123-1a2b"), "half a blob");

        OrphanSweeper.Report report = sweeperAt(Instant.now().plus(Duration.ofHours(2))).sweep();

        assertThat(report.incompleteDeleted()).isEqualTo(1);
        assertThat(report.orphansDeleted()).isZero();
        try (Stream<Path> files = Files.walk(blobs.root())) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).toList()).isEmpty();
        }
        assertThat(blobs.exists(kept.blob().key())).isTrue();
    }

    @Test
    void sweepsMoreBlobsThanOneLookupTakes() throws IOException {
        for (int i = 0; i < 520; i++) {
            // Planted directly in the layout (no fsync per blob): what a crash leaves, only faster.
            String key = "orphan-" + i;
            String h = TestRecords.sha256(key.getBytes(StandardCharsets.US_ASCII));
            Path shard = Files.createDirectories(blobs.root().resolve(h.substring(0, 2)));
            Files.write(shard.resolve(key), new byte[] {1});
        }
        RecordMetadata kept = store();

        OrphanSweeper.Report report = sweeperAt(Instant.now().plus(Duration.ofHours(2))).sweep();

        assertThat(report).isEqualTo(new OrphanSweeper.Report(521, 520, 0, 0));
        assertThat(blobs.exists(kept.blob().key())).isTrue();
    }

    @Test
    void aRecordStoredSinceTheSnapshotOfReferencedKeysKeepsItsBlob() {
        RecordMetadata before = store();
        ReferencedBlobKeys snapshot = ReferencedBlobKeys.snapshot(metadata);
        RecordMetadata since = store();
        blobs.put("orphan", new ByteArrayInputStream(new byte[] {1}));
        assertThat(snapshot.mayBeReferenced(before.blob().key())).isTrue();
        assertThat(snapshot.mayBeReferenced(since.blob().key())).isFalse();

        OrphanSweeper.Report report = sweeperAt(Instant.now().plus(Duration.ofHours(2))).sweep(snapshot);

        assertThat(report).isEqualTo(new OrphanSweeper.Report(3, 1, 0, 0));
        assertThat(blobs.exists(since.blob().key())).as("looked up again before deleting").isTrue();
        assertThat(blobs.exists(before.blob().key())).isTrue();
        assertThat(blobs.exists("orphan")).isFalse();
    }

    @Test
    void aReferencedBlobThatBelongsElsewhereIsDeletedHereOnceTheGracePeriodHasPassed() {
        RecordMetadata here = store();
        RecordMetadata elsewhere = store();
        ReferencedBlobKeys snapshot = ReferencedBlobKeys.snapshot(metadata);

        OrphanSweeper.Report early = sweeperAt(Instant.now().plus(Duration.ofMinutes(30))).sweep(snapshot, elsewhere.blob().key()::equals);
        assertThat(early).isEqualTo(new OrphanSweeper.Report(2, 0, 0, 0));
        OrphanSweeper.Report late = sweeperAt(Instant.now().plus(Duration.ofHours(2))).sweep(snapshot, elsewhere.blob().key()::equals);

        assertThat(late).isEqualTo(new OrphanSweeper.Report(2, 0, 1, 0));
        assertThat(blobs.exists(elsewhere.blob().key())).isFalse();
        assertThat(blobs.exists(here.blob().key())).isTrue();
        assertThat(metadata.find(elsewhere.id())).as("only this store's replica goes, not the record").isPresent();
    }

    @Test
    void aNegativeGracePeriodIsRefused() {
        assertThatThrownBy(() -> new OrphanSweeper(metadata, blobs, Duration.ofSeconds(-1), Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grace");
    }
}
