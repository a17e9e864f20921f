package io.bulwark.store.blob;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobMismatchException;
import io.bulwark.store.BlobRef;
import io.bulwark.store.BlobStore;
import io.bulwark.store.InvalidBlobKeyException;
import io.bulwark.store.StoreException;
import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.Digests;
import io.bulwark.store.internal.GroupSync;
import io.bulwark.store.internal.KeyHash;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A {@link BlobStore} in a directory of the local filesystem. Specified in
 * {@code docs/formats/blob-pack.md}.
 *
 * <h2>Layout</h2>
 * A blob of at most 64 KiB (most records) is a record in a segment file under {@code <root>/pack/}
 * (see {@link BlobPack}): storing it costs an append to an open file and a share of one group
 * fsync, not a file of its own. A larger blob with key {@code k} is the file {@code <root>/<h0>/k},
 * where {@code h0} is the first byte, in lowercase hex, of SHA-256 over the key's UTF-8 bytes: 256
 * directories, all made (and made durable) when the store opens, so that a put never pays for a new
 * directory's fsyncs. The shard comes from a hash and not from the key's own prefix because record
 * ids are UUIDv7s, whose leading digits are a timestamp: a prefix shard would put each day's blobs
 * in one directory.
 *
 * <h2>Durability of a large blob</h2>
 * {@link #put} writes a temporary file (named {@code .tmp-<key>-<random>} in the blob's own
 * directory, so the final rename never crosses a filesystem), renames it onto the key atomically and
 * forces the file and the directory (for a key that held a blob: the file before the rename, so a
 * power cut leaves the old blob or the new one). A crash at any point leaves either the old state or
 * the new one, plus at most a temporary file, which is never listed and which
 * {@link #deleteIncomplete} removes. Temporary names start with a dot; keys never do, so the two
 * cannot collide.
 *
 * <p>One process at a time: the store takes an exclusive lock when it opens; {@link #storedKeys}
 * looks at a store another process holds.
 */
public final class FilesystemBlobStore implements BlobStore {

    private static final String TEMP_PREFIX = ".tmp-";
    /** The directory of the pack's segments; not a shard name (two hex digits). */
    private static final String PACK = "pack";
    private static final int BUFFER = 64 * 1024;
    private static final boolean WINDOWS = File.separatorChar == '\\';

    private final Path root;
    /** Shard directories known to exist durably, so each pays its directory fsync once per process. */
    private final Set<Path> durableDirs = ConcurrentHashMap.newKeySet();
    /** Concurrent puts share their fsyncs (see {@link GroupSync}). */
    private final GroupSync sync = new GroupSync("bulwark-blob-sync");
    private final BlobPack pack;

    /**
     * Opens (creating if need be) the blob store in {@code root}.
     *
     * @throws StoreException if the directory cannot be created or is not a directory
     */
    public FilesystemBlobStore(Path root) {
        this(root, BlobPack.SEGMENT_BYTES);
    }

    /** With segments of {@code segmentBytes}: small ones let tests see segments fill, roll and compact. */
    FilesystemBlobStore(Path root, long segmentBytes) {
        this(root, segmentBytes, KeyHash.seeded());
    }

    /** As above, with the pack index's key hash: a constant one makes every key collide. */
    FilesystemBlobStore(Path root, long segmentBytes, ToLongFunction<String> keyHash) {
        this.root = root.toAbsolutePath().normalize();
        try {
            if (!Files.isDirectory(this.root)) {
                Files.createDirectories(this.root);
                // A store created now must not vanish with the next power cut.
                if (this.root.getParent() != null) {
                    fsyncDirectory(this.root.getParent());
                }
            }
            boolean created = false;
            for (int i = 0; i < 256; i++) {
                Path shard = this.root.resolve(HexFormat.of().toHexDigits((byte) i));
                if (!Files.isDirectory(shard)) {
                    Files.createDirectories(shard);
                    created = true;
                }
                durableDirs.add(shard);
            }
            if (created) {
                fsyncDirectory(this.root);
            }
        } catch (IOException e) {
            throw new StoreException("could not open the blob store directory " + this.root, e);
        }
        pack = new BlobPack(this.root.resolve(PACK), segmentBytes, sync, keyHash);
    }

    /** The store's directory. */
    public Path root() {
        return root;
    }

    /**
     * The keys of the blobs stored in {@code root}, read without opening the store: for looking at a
     * store that a running node holds open (diagnostics, tests). A put or delete in progress may or
     * may not be seen.
     *
     * @throws StoreException if the directory cannot be read
     */
    public static Set<String> storedKeys(Path root) {
        Path dir = root.toAbsolutePath().normalize();
        try (Stream<Path> files = shardEntries(dir)) {
            Set<String> keys = BlobPack.liveKeys(dir.resolve(PACK));
            files.filter(p -> isBlobFile(dir, p)).forEach(p -> keys.add(p.getFileName().toString()));
            return keys;
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("could not list the blob store " + dir, e);
        }
    }

    /** The pack's segment files, oldest first. */
    List<Path> segmentFiles() {
        return pack.segmentFiles();
    }

    /** Whether the pack is compacting a segment (a listing meanwhile may list a moved blob twice). */
    boolean compacting() {
        return pack.compacting();
    }

    /** Run between a compaction's copies being forced and the index switching to them, and after (tests pause there). */
    void aroundCompactionSwitch(Runnable before, Runnable after) {
        pack.beforeSwitch = before;
        pack.afterSwitch = after;
    }

    @Override
    public BlobRef put(String key, InputStream content) {
        return store(key, content, null);
    }

    /** One pass over the bytes: the SHA-256 computed as they are written is checked before they become visible. */
    @Override
    public BlobRef putCopy(BlobRef expected, InputStream content) {
        return store(expected.key(), content, expected);
    }

    /** A small blob goes to the pack, a larger one to a file of its own. */
    private BlobRef store(String key, InputStream content, BlobRef expected) {
        pathOf(key); // the key rule, before any byte is read
        byte[] head;
        try {
            head = content.readNBytes(BlobPack.MAX_BLOB + 1);
        } catch (IOException e) {
            throw new StoreException("could not store blob " + Checks.quote(key) + " in " + root + ": reading its content failed", e);
        }
        if (!BlobPack.fits(head.length)) {
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(head), content);
            // A copy's key is already named by placements: it must never be visible part-written.
            return write(key, out -> copy(key, whole, out, expected), expected != null);
        }
        byte[] sha256 = Digests.sha256().digest(head);
        BlobRef ref = new BlobRef(key, head.length, HexFormat.of().formatHex(sha256));
        if (expected != null && !ref.equals(expected)) {
            throw new BlobMismatchException(expected, ref.size(), ref.sha256());
        }
        return pack(ref, head, sha256);
    }

    /** No pass over the bytes but the write: the digest is recorded as given (reads check it). */
    @Override
    public BlobRef putKnown(BlobRef ref, byte[] bytes) {
        Checks.knownSize(ref, bytes);
        if (BlobPack.fits(bytes.length)) {
            return pack(ref, bytes, HexFormat.of().parseHex(ref.sha256()));
        }
        return write(ref.key(), out -> {
            ByteBuffer all = ByteBuffer.wrap(bytes);
            while (all.hasRemaining()) {
                out.write(all);
            }
            return ref;
        }, false);
    }

    private BlobRef pack(BlobRef ref, byte[] bytes, byte[] sha256) {
        try {
            pack.put(ref.key(), bytes, sha256);
            return ref;
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("could not store blob " + Checks.quote(ref.key()) + " in " + root, e);
        }
    }

    /** What fills a new blob's file and says what it holds. */
    @FunctionalInterface
    private interface Fill {
        BlobRef into(FileChannel out) throws IOException;
    }

    /** Copies the stream, hashing it; if {@code expected} is not null, refuses bytes that are not exactly that blob. */
    private static BlobRef copy(String key, InputStream content, FileChannel out, BlobRef expected) throws IOException {
        MessageDigest sha256 = Digests.sha256();
        long size = 0;
        byte[] buffer = new byte[bufferFor(content)];
        for (int n; (n = content.read(buffer)) != -1; ) {
            sha256.update(buffer, 0, n);
            ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
            while (chunk.hasRemaining()) {
                out.write(chunk);
            }
            size += n;
        }
        BlobRef ref = new BlobRef(key, size, HexFormat.of().formatHex(sha256.digest()));
        if (expected != null && !ref.equals(expected)) {
            throw new BlobMismatchException(expected, ref.size(), ref.sha256()); // the temporary file is deleted by write
        }
        return ref;
    }

    /**
     * Stores what {@code fill} writes under the key, atomically and durably. {@code referenced}: the
     * key may already be named by metadata or placements (a repair's or an evacuation's copy), so the
     * bytes are flushed before the rename, as for a replaced blob.
     */
    private BlobRef write(String key, Fill fill, boolean referenced) {
        Path target = pathOf(key);
        Path dir = target.getParent();
        Path temp = null;
        try {
            ensureDurableDir(dir);
            Temp created = createTemp(dir, key);
            temp = created.path();
            try (FileChannel out = created.channel()) {
                BlobRef ref = fill.into(out);
                if (referenced || WINDOWS || Files.exists(target)) {
                    // Replacing a blob, or filling a key something names: the new data must be on disk
                    // before the rename makes it visible, so that a power cut leaves the old blob (or
                    // none) or the new one, never a part that a count of replicas would take as whole.
                    sync.force(out, temp);
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                    temp = null;
                    if (!WINDOWS) sync.force(dir); // the rename is durable once the directory entry is (NTFS: see fsyncDirectory)
                } else {
                    // A new key of a new record: rename first, then the data and the directory entry in
                    // one flush round. Until put returns nothing refers to the key, so a power cut in
                    // between leaves at worst an unreferenced partial blob, which the orphan sweep removes.
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                    temp = null;
                    sync.force(out, target, dir);
                }
                if (pack.contains(key)) pack.deleteDurably(key); // a packed blob would shadow the new file
                return ref;
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("could not store blob " + Checks.quote(key) + " in " + root, e);
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    /** Small contents (most records) need no 64 KiB buffer; a stream that knows its length says so. */
    private static int bufferFor(InputStream content) {
        try {
            return Math.clamp(content.available() + 1L, 8192, BUFFER);
        } catch (IOException e) {
            return BUFFER; // the first read reports the failure, as the content's own
        }
    }

    @Override
    public Optional<InputStream> open(String key) {
        Path path = pathOf(key);
        try {
            Optional<byte[]> packed = pack.read(key);
            if (packed.isPresent()) return Optional.of(new ByteArrayInputStream(packed.get()));
            return Optional.of(Files.newInputStream(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("could not open blob " + Checks.quote(key) + " in " + root, e);
        }
    }

    @Override
    public boolean delete(String key) {
        Path path = pathOf(key);
        try {
            // Not forced: if a power cut undoes the deletion, the blob is merely an orphan again.
            // Both places: a packed blob may shadow a file left from before the store packed small blobs.
            boolean packed = pack.delete(key);
            return Files.deleteIfExists(path) || packed;
        } catch (IOException e) {
            throw new StoreException("could not delete blob " + Checks.quote(key) + " in " + root, e);
        }
    }

    @Override
    public boolean exists(String key) {
        Path path = pathOf(key);
        try {
            return pack.contains(key) || Files.isRegularFile(path);
        } catch (IOException e) {
            throw new StoreException("could not look up blob " + Checks.quote(key) + " in " + root, e);
        }
    }

    @Override
    public java.util.OptionalLong size(String key) {
        Path path = pathOf(key);
        try {
            java.util.OptionalLong packed = pack.size(key);
            if (packed.isPresent()) return packed;
            var file = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
            return file.isRegularFile() ? java.util.OptionalLong.of(file.size()) : java.util.OptionalLong.empty(); // as exists() says
        } catch (java.nio.file.NoSuchFileException e) {
            return java.util.OptionalLong.empty();
        } catch (IOException e) {
            throw new StoreException("could not look up blob " + Checks.quote(key) + " in " + root, e);
        }
    }

    @Override
    public Stream<BlobEntry> list() {
        Stream<BlobEntry> entries;
        try {
            entries = shardEntries(root)
                    .filter(this::isBlobFile)
                    .map(FilesystemBlobStore::entryOf)
                    .flatMap(Optional::stream);
        } catch (IOException e) {
            throw new StoreException("could not list the blob store " + root, e);
        }
        // Directory streams report I/O errors met while iterating as UncheckedIOException; the contract says StoreException.
        Spliterator<BlobEntry> source = entries.spliterator();
        Spliterator<BlobEntry> guarded = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.NONNULL) {
            @Override
            public boolean tryAdvance(Consumer<? super BlobEntry> action) {
                try {
                    return source.tryAdvance(action);
                } catch (UncheckedIOException e) {
                    throw new StoreException("could not list the blob store " + root, e.getCause());
                }
            }
        };
        return Stream.concat(pack.list(), StreamSupport.stream(guarded, false).onClose(entries::close));
    }

    @Override
    public int deleteIncomplete(Instant startedBefore) {
        int deleted = 0;
        try (Stream<Path> files = shardEntries(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                boolean temporary = name.startsWith(TEMP_PREFIX);
                boolean shadowed = !temporary && pack.contains(name) && isBlobFile(root, p);
                if (temporary || shadowed) {
                    Optional<BasicFileAttributes> attrs = attributes(p);
                    if (attrs.isPresent() && attrs.get().lastModifiedTime().toInstant().isBefore(startedBefore)
                            && Files.deleteIfExists(p)) {
                        deleted++;
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("could not remove incomplete writes from the blob store " + root, e);
        }
        return deleted;
    }

    @Override
    public void close() {
        pack.close();
        sync.close();
    }

    /** Where the blob with this key lives if it is not packed. */
    Path pathOf(String key) {
        Checks.blobKey(key).ifPresent(v -> {
            throw new InvalidBlobKeyException("blob key " + Checks.quote(key), v.position(), v.rule());
        });
        return shardPath(root, key);
    }

    private static Path shardPath(Path root, String key) {
        byte[] h = Digests.sha256().digest(key.getBytes(StandardCharsets.US_ASCII));
        return root.resolve(HexFormat.of().toHexDigits(h[0])).resolve(key);
    }

    /**
     * The entries of the 256 shard directories, read with no per-entry system call (so an entry
     * deleted meanwhile is no error). Close the stream.
     */
    private static Stream<Path> shardEntries(Path root) throws IOException {
        if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString());
        return java.util.stream.IntStream.range(0, 256)
                .mapToObj(i -> root.resolve(HexFormat.of().toHexDigits((byte) i)))
                .flatMap(shard -> {
                    try {
                        return Files.list(shard);
                    } catch (NoSuchFileException e) {
                        return Stream.empty(); // a store another process has open makes them all when it opens
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** Anything else in the tree (temporary files, strays, segments) is not a blob file. */
    private static boolean isBlobFile(Path root, Path p) {
        String name = p.getFileName().toString();
        return Checks.blobKey(name).isEmpty() && shardPath(root, name).equals(p);
    }

    /** List only what open() finds: a blob file shadowed by a packed blob is a leftover. */
    private boolean isBlobFile(Path p) {
        try {
            return isBlobFile(root, p) && !pack.contains(p.getFileName().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<BlobEntry> entryOf(Path p) {
        return attributes(p).filter(BasicFileAttributes::isRegularFile)
                .map(a -> new BlobEntry(p.getFileName().toString(), a.size(), a.lastModifiedTime().toInstant()));
    }

    private static Optional<BasicFileAttributes> attributes(Path p) {
        try {
            return Optional.of(Files.readAttributes(p, BasicFileAttributes.class));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted since the directory was read
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void ensureDurableDir(Path dir) throws IOException {
        if (durableDirs.contains(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (!parent.equals(root)) {
            ensureDurableDir(parent);
        }
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            // created earlier or by a concurrent put; its entry may not be durable yet, so sync anyway
        }
        fsyncDirectory(parent);
        durableDirs.add(dir);
    }

    private record Temp(Path path, FileChannel channel) {}

    /** Creates and opens a temporary file: one open serves the write and the fsync. */
    private static Temp createTemp(Path dir, String key) throws IOException {
        while (true) {
            Path temp = dir.resolve(TEMP_PREFIX + key + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                return new Temp(temp, FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            } catch (FileAlreadyExistsException e) {
                // another writer drew the same suffix; draw again
            }
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return; // NTFS cannot open a directory as a channel; its metadata journal covers renames
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // left for deleteIncomplete: a temporary file is never visible as a blob
        }
    }
}
