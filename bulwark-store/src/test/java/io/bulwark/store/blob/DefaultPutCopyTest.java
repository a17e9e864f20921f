package io.bulwark.store.blob;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.BlobMismatchException;
import io.bulwark.store.BlobStoreContractTest;
import io.bulwark.store.TestRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract kept by {@link BlobStore#putCopy}'s and {@link BlobStore#putKnown}'s defaults, for
 * stores that do not override them: a directory store seen only through the other methods.
 */
class DefaultPutCopyTest extends BlobStoreContractTest {

    @Test
    void theDefaultPutKnownChecksTheDigestAndStoresNothingThatDiffers(@TempDir Path dir) {
        try (BlobStore store = open(dir)) {
            byte[] content = "sealed".getBytes(StandardCharsets.US_ASCII);
            BlobRef other = new BlobRef("k", content.length, TestRecords.sha256("SEALED".getBytes(StandardCharsets.US_ASCII)));
            assertThatThrownBy(() -> store.putKnown(other, content)).isInstanceOf(BlobMismatchException.class);
            assertThat(store.exists("k")).isFalse();
        }
    }

    @Override
    protected BlobStore open(Path dir) {
        BlobStore real = new FilesystemBlobStore(dir.resolve("blobs"));
        return new BlobStore() {
            @Override
            public BlobRef put(String key, InputStream content) {
                return real.put(key, content);
            }

            @Override
            public Optional<InputStream> open(String key) {
                return real.open(key);
            }

            @Override
            public boolean delete(String key) {
                return real.delete(key);
            }

            @Override
            public java.util.OptionalLong size(String key) {
                return real.size(key);
            }

            @Override
            public Stream<BlobEntry> list() {
                return real.list();
            }

            @Override
            public int deleteIncomplete(Instant startedBefore) {
                return real.deleteIncomplete(startedBefore);
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }
}
