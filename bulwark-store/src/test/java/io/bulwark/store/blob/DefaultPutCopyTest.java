package io.bulwark.store.blob;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.BlobStoreContractTest;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

/** The contract kept by {@link BlobStore#putCopy}'s default, for stores that do not override it: a directory store seen only through the other methods. */
class DefaultPutCopyTest extends BlobStoreContractTest {

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
            public boolean exists(String key) {
                return real.exists(key);
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
