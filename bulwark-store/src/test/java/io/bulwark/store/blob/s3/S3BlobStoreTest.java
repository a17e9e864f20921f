package io.bulwark.store.blob.s3;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobStore;
import io.bulwark.store.BlobStoreContractTest;
import io.bulwark.store.StoreException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The blob store contract against a real S3-compatible server (S3Proxy on loopback), plus what is S3's own. */
class S3BlobStoreTest extends BlobStoreContractTest {

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    @TempDir
    static Path serverDir;
    private static S3Server server;
    private S3Location location;

    @BeforeAll
    static void startServer() {
        server = S3Server.start(serverDir, 0);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** A fresh bucket per test; the smallest part size, so the contract's 6 MiB blob is a multipart upload. */
    @Override
    protected BlobStore open(Path dir) {
        location = server.bucket("contract-" + BUCKETS.incrementAndGet());
        return new S3BlobStore(location, S3Server.credentials(), S3BlobStore.MIN_PART_SIZE);
    }

    private S3Client raw() {
        return S3Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(S3Server.credentials()).build();
    }

    @Nested
    class S3Specifics {

        @Test
        void aFailingMultipartUploadIsAbortedAndLeavesNothing() {
            assertThatThrownBy(() -> blobs.put("big", failingAfter(bytes(S3BlobStore.MIN_PART_SIZE + 1000))))
                    .isInstanceOf(StoreException.class).hasMessageContaining("\"big\"").hasMessageContaining(location.bucket());
            try (S3Client s3 = raw()) {
                assertThat(s3.listMultipartUploads(b -> b.bucket(location.bucket())).uploads()).isEmpty();
            }
            assertThat(blobs.exists("big")).isFalse();
        }

        @Test
        void deleteIncompleteAbortsOnlyUploadsStartedBeforeTheCutoff() {
            try (S3Client s3 = raw()) {
                s3.createMultipartUpload(b -> b.bucket(location.bucket()).key("crashed"));
                assertThat(blobs.deleteIncomplete(Instant.now().minusSeconds(3600))).isZero();
                assertThat(blobs.deleteIncomplete(Instant.now().plusSeconds(60))).isEqualTo(1);
                assertThat(s3.listMultipartUploads(b -> b.bucket(location.bucket())).uploads()).isEmpty();
            }
        }

        @Test
        void deleteIncompleteLeavesOtherApplicationsUploadsInTheBucketAlone() {
            try (S3Client s3 = raw()) {
                s3.createMultipartUpload(b -> b.bucket(location.bucket()).key("crashed"));
                s3.createMultipartUpload(b -> b.bucket(location.bucket()).key("backups/nightly.tar"));
                assertThat(blobs.deleteIncomplete(Instant.now().plusSeconds(60))).isEqualTo(1);
                assertThat(s3.listMultipartUploads(b -> b.bucket(location.bucket())).uploads())
                        .extracting(software.amazon.awssdk.services.s3.model.MultipartUpload::key).containsExactly("backups/nightly.tar");
            }
        }

        @Test
        void aListingThatFailsBetweenPagesIsAStoreException() {
            ((S3BlobStore) blobs).listPageSize = 2;
            for (int i = 0; i < 5; i++) blobs.put("p" + i, new ByteArrayInputStream(new byte[] {1}));
            try (var listed = blobs.list(); S3Client s3 = raw()) {
                var it = listed.iterator();
                it.next(); // the first page is read
                for (int i = 0; i < 5; i++) {
                    int n = i;
                    s3.deleteObject(b -> b.bucket(location.bucket()).key("p" + n));
                }
                s3.deleteBucket(b -> b.bucket(location.bucket())); // the next page's request fails
                assertThatThrownBy(() -> {
                    while (it.hasNext()) it.next();
                }).isInstanceOf(StoreException.class).hasMessageContaining("could not list");
            }
        }

        @Test
        void aPrefixKeepsBlobsApartAndListsOnlyItsOwn() {
            blobs.put("outside", new ByteArrayInputStream(bytes(3)));
            S3Location prefixed = new S3Location(location.endpoint(), location.bucket(), "us-east-1", true, "node-a/");
            try (BlobStore inPrefix = new S3BlobStore(prefixed, S3Server.credentials()); S3Client s3 = raw()) {
                inPrefix.put("inside", new ByteArrayInputStream(bytes(4)));
                s3.putObject(b -> b.bucket(location.bucket()).key("node-a/not a blob"), RequestBody.fromString("x"));
                assertThat(listed(inPrefix)).extracting(BlobEntry::key).containsExactly("inside");
                assertThat(s3.headObject(b -> b.bucket(location.bucket()).key("node-a/inside")).contentLength()).isEqualTo(4);
            }
        }

        @Test
        void listingPagesThroughManyPages() throws Exception {
            ((S3BlobStore) blobs).listPageSize = 7;
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    threads.submit(() -> blobs.put("p" + n, new ByteArrayInputStream(new byte[] {1})));
                }
            }
            assertThat(listed(blobs)).hasSize(50).extracting(BlobEntry::key).doesNotHaveDuplicates();
        }

        @Test
        void anUnreachableServerIsAStoreExceptionNamingTheKeyAndNoSecret() {
            S3Location nowhere = S3Location.of(URI.create("http://127.0.0.1:9"), "b-1");
            try (BlobStore down = new S3BlobStore(nowhere, S3Server.credentials())) {
                assertThatThrownBy(() -> down.exists("k")).isInstanceOf(StoreException.class)
                        .hasMessageContaining("\"k\"").hasMessageContaining("127.0.0.1:9")
                        .hasMessageNotContaining(S3Server.SECRET);
            }
        }
    }
}
