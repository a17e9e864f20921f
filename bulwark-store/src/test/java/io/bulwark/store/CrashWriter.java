package io.bulwark.store;

import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The child process of {@link CrashSafetyTest}: stores records as a node does — blob first, then
 * metadata — from several virtual threads at once, and prints each record's id on its own line once
 * both steps have returned (the acknowledgement). Runs until it is killed.
 *
 * <p>Arguments: the store directory, a random seed.
 */
final class CrashWriter {

    static final int WRITERS = 8;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        MetadataStore metadata = new SqliteMetadataStore(dir.resolve("metadata.db"));
        BlobStore blobs = new FilesystemBlobStore(dir.resolve("blobs"));
        PrintStream out = System.out;
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            Random random = new Random(seed * 31 + w);
            writers.add(Thread.ofVirtual().start(() -> {
                while (true) {
                    Instant now = Instant.now();
                    String id = TestRecords.uuid7(now.toEpochMilli(), random);
                    byte[] sealed = new byte[1 + random.nextInt(96 * 1024)]; // both sides of the packing threshold (64 KiB)
                    random.nextBytes(sealed);
                    BlobRef blob = blobs.put(id, new ByteArrayInputStream(sealed));
                    RecordMetadata r = new RecordMetadata(id, "DEU", "crash-writer", now, "application/octet-stream",
                            sealed.length, TestRecords.sha256("payload " + id), TestRecords.label("SECRET", "DEU"),
                            "{}", blob, Optional.empty());
                    metadata.insert(r).orElseThrow();
                    synchronized (out) {
                        out.print(id + "\n");
                        out.flush();
                    }
                }
            }));
        }
        for (Thread t : writers) {
            t.join();
        }
    }
}
