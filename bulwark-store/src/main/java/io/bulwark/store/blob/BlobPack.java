package io.bulwark.store.blob;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.StoreException;
import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.GroupSync;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Small blobs appended to segment files, so that storing one costs a write into an open file and a
 * share of one group fsync, not a file of its own (create, rename, fsync of the file and of its
 * directory). The format is specified in {@code docs/formats/blob-pack.md}; the decision in
 * {@code docs/decisions/2026-11-27-small-blobs-in-segment-files.md}.
 *
 * <p>Writes are appended under one lock, in order, so a segment's records are on disk in the order
 * they were written: a put returns after a group fsync of its segment that began after its write, so
 * every record before it in the segment is durable too, and after a crash the first record that
 * does not parse marks the torn tail. Opening the pack never appends to an old segment, so nothing
 * durable ever follows a torn tail; the tail stays as dead space until compaction. Among
 * several records for one key the highest version wins; a delete overwrites the record's state byte
 * and its data with zeros in place, so a deleted blob's ciphertext is gone from the file at once,
 * not at the next compaction. A segment whose records are at least half deleted is compacted: its
 * live records are copied, with their versions, to the active segment, forced, and the segment
 * removed. An in-memory index ({@link PackIndex}: a hash of the key → segment and offset, 16 bytes
 * a blob) finds a record; the record's own key, read with it, confirms it. The index is rebuilt
 * from the segments when the pack opens.
 *
 * <p>One process at a time: the pack takes an exclusive lock on {@code pack/lock} when it opens.
 */
final class BlobPack implements AutoCloseable {

    /** The largest blob packed; larger ones get a file of their own. */
    static final int MAX_BLOB = 64 * 1024;
    /** A segment takes no new record that would make it longer than this (unless it is empty). */
    static final long SEGMENT_BYTES = 64L * 1024 * 1024;

    static final int MAGIC = 0x42575031; // "BWP1"
    static final int HEADER = 64;
    private static final int STATE_AT = 4;
    private static final int CRC_AT = 60;
    static final byte LIVE = 1;
    static final byte DELETED = 0;
    private static final String SUFFIX = ".seg";

    /** A record's place and header fields. */
    private record Packed(Segment segment, long offset, int keyLength, int size, long version, long writtenAt) {
        long length() {
            return HEADER + keyLength + (long) size;
        }

        long location() {
            return PackIndex.location(segment.number, offset);
        }

        boolean newerThan(Packed other) {
            return version > other.version || (version == other.version && segment.number >= other.segment.number);
        }
    }

    /** A record read with its key; {@code live} is its state byte. */
    private record Keyed(Packed record, String key, boolean live) {}

    /**
     * A segment file. Writes go through a {@link RandomAccessFile}, whose stream I/O an interrupt does
     * not abort; reads through a {@link FileChannel} with positional reads, which many threads share —
     * and which an interrupt of any one reader closes for all, so a closed reader is reopened.
     */
    private static final class Segment {
        final long number;
        final Path path;
        /** Null for a segment opened only to be read. */
        private final RandomAccessFile file;
        private volatile FileChannel reader;
        /** Set once compaction has removed the segment: a closed reader then means the record moved. */
        volatile boolean removed;
        /** Where the next record goes; written under the pack's lock. */
        volatile long end;
        final AtomicLong deadBytes = new AtomicLong();
        final AtomicBoolean compacting = new AtomicBoolean();
        /** Records appended whose index entry is not settled yet: compaction waits for them, or it would miss them. */
        final AtomicInteger unsettled = new AtomicInteger();

        Segment(long number, Path path, boolean writable) throws IOException {
            this.number = number;
            this.path = path;
            this.file = writable ? new RandomAccessFile(path.toFile(), "rw") : null;
            this.reader = FileChannel.open(path, StandardOpenOption.READ);
            this.end = reader.size();
        }

        void read(ByteBuffer into, long at) throws IOException {
            for (int attempt = 0; ; attempt++) {
                FileChannel channel = reader;
                try {
                    long position = at + into.position();
                    while (into.hasRemaining()) {
                        int n = channel.read(into, position);
                        if (n < 0) throw new IOException("unexpected end of segment " + path + " at byte " + position);
                        position += n;
                    }
                    return;
                } catch (ClosedChannelException e) {
                    if (removed || attempt >= 2 || Thread.currentThread().isInterrupted()) throw e;
                    reopen(channel);
                }
            }
        }

        private synchronized void reopen(FileChannel closed) throws IOException {
            if (reader == closed && !removed) reader = FileChannel.open(path, StandardOpenOption.READ);
        }

        /** Under the pack's lock. */
        void write(byte[] bytes, long at) throws IOException {
            file.seek(at);
            file.write(bytes);
        }

        FileDescriptor descriptor() throws IOException {
            return file.getFD();
        }

        synchronized void close() {
            try {
                reader.close();
                if (file != null) file.close();
            } catch (IOException ignored) {
                // nothing is pending: every put forced its record before returning
            }
        }
    }

    private final Path dir;
    private final long segmentBytes;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final GroupSync sync;
    private final ToLongFunction<String> keyHash;
    private final PackIndex index = new PackIndex();
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    /** Finding a key's entry (which reads records) and changing it is one step under this lock. */
    private final ReentrantLock keyLock = new ReentrantLock();
    private final ReentrantLock appendLock = new ReentrantLock();
    private final ReentrantLock compactLock = new ReentrantLock();
    private final AtomicLong nextVersion = new AtomicLong(1);
    /**
     * While a compaction moves a record, its other live copy, by the location the index holds (under
     * {@link #keyLock}): the copy until the index switches to it, then the original until its segment
     * file is gone. A delete erases both, so no crash can leave one live to revive the blob.
     */
    private final Map<Long, Packed> twins = new HashMap<>();
    /** Run between a compaction's copies being forced and the index switching to them, and after the switch: tests pause there. */
    volatile Runnable beforeSwitch = () -> {};
    volatile Runnable afterSwitch = () -> {};
    private Segment active; // under appendLock; null until the first put
    private volatile boolean closed;

    /**
     * Opens the pack in {@code dir}, creating it if need be, and rebuilds the index from its segments.
     *
     * @throws StoreException if another process has the pack open, or it cannot be read
     */
    BlobPack(Path dir, long segmentBytes, GroupSync sync, ToLongFunction<String> keyHash) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.sync = sync;
        this.keyHash = keyHash;
        try {
            boolean created = !Files.isDirectory(dir);
            Files.createDirectories(dir);
            if (created) FilesystemBlobStore.fsyncDirectory(dir.getParent());
            lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock taken;
            try {
                taken = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                taken = null;
            }
            if (taken == null) {
                lockFile.close();
                throw new StoreException("the blob store " + dir.getParent() + " is open in another process (or twice in this one)");
            }
            lock = taken;
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
                    Optional<Long> number = segmentNumber(p);
                    if (number.isPresent()) load(number.get(), p);
                }
            }
        } catch (IOException e) {
            throw new StoreException("could not open the blob pack " + dir, e);
        }
        for (Segment s : segments.values()) maybeCompact(s);
    }

    private static Optional<Long> segmentNumber(Path p) {
        String name = p.getFileName().toString();
        String digits = name.substring(0, name.length() - SUFFIX.length());
        if (digits.length() != 16 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return Optional.empty();
        return Optional.of(Long.parseLong(digits));
    }

    /**
     * Reads a segment's records into the index. A live record whose CRC fails is skipped as dead
     * (a delete whose zeroed data reached the disk but whose state byte did not); the first record
     * that cannot be parsed ends the segment: what follows is a torn tail of puts that never
     * returned. Nothing is cut off or rewritten — the tail is dead space until compaction.
     */
    private void load(long number, Path path) throws IOException {
        if (number < 1 || number > Integer.MAX_VALUE) throw new IOException("segment number out of range: " + path);
        Segment segment = new Segment(number, path, true);
        segments.put(number, segment); // before its records: finding an earlier copy of a key may read this segment
        long[] live = {0};
        scan(segment, (p, key) -> {
            if (key.isEmpty()) return;
            nextVersion.accumulateAndGet(p.version + 1, Math::max);
            live[0] += p.length();
            for (Packed loser : keepNewer(key.get(), keyHash.applyAsLong(key.get()), p)) {
                // Two live copies of a key: a crash during a compaction's copy. The older is erased now, or a
                // later delete would erase only the indexed copy and the next open revive this one.
                loser.segment.write(new byte[loser.keyLength + loser.size], loser.offset + HEADER);
                loser.segment.write(new byte[] {DELETED}, loser.offset + STATE_AT);
                loser.segment.deadBytes.addAndGet(loser.length());
                if (loser.segment == segment) live[0] -= loser.length();
            }
        });
        segment.deadBytes.addAndGet(segment.end - live[0]);
    }

    /**
     * The keys of the live packed blobs in {@code dir}, read without taking the lock: for looking at
     * a pack another process has open. A put or delete in progress may or may not be seen.
     */
    static Set<String> liveKeys(Path dir) throws IOException {
        Set<String> keys = new HashSet<>();
        if (!Files.isDirectory(dir)) return keys;
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
        for (Path path : files) {
            Segment segment;
            try {
                segment = new Segment(0, path, false);
            } catch (NoSuchFileException e) {
                continue; // compacted away since the listing
            }
            try {
                scan(segment, (p, key) -> key.ifPresent(keys::add));
            } finally {
                segment.close();
            }
        }
        return keys;
    }

    /** What a scan meets: each record, with its key if it is live and matches its CRC32C. */
    @FunctionalInterface
    private interface Visitor {
        void visit(Packed record, Optional<String> liveKey) throws IOException;
    }

    /**
     * Reads a segment from byte 0 in 1 MiB chunks (not two reads a record: opening a pack of a
     * million blobs reads gigabytes), up to the first record that does not parse.
     */
    private static void scan(Segment segment, Visitor visitor) throws IOException {
        int longest = HEADER + Checks.MAX_BLOB_KEY_LENGTH + MAX_BLOB;
        ByteBuffer chunk = ByteBuffer.allocate(1024 * 1024).limit(0);
        long base = 0; // where in the file the chunk's byte 0 is
        for (long at = 0; ; ) {
            int from = (int) (at - base);
            if (chunk.limit() - from < longest && base + chunk.limit() < segment.end) {
                chunk.position(from).compact(); // keeps the unread bytes, reads more after them
                base = at;
                chunk.limit(chunk.position() + (int) Math.min(chunk.remaining(), segment.end - base - chunk.position()));
                segment.read(chunk, base);
                chunk.flip();
                from = 0;
            }
            Optional<Packed> p = parseHeader(segment, at, chunk.slice(from, Math.min(HEADER, chunk.limit() - from)));
            if (p.isEmpty()) return;
            ByteBuffer record = chunk.slice(from, Math.toIntExact(p.get().length()));
            visitor.visit(p.get(), liveAndIntact(record) ? Optional.of(keyOf(record, p.get().keyLength)) : Optional.empty());
            at += p.get().length();
        }
    }

    /** The record whose header is at {@code at}, if the header parses and the record lies within the segment. */
    private static Optional<Packed> readHeader(Segment segment, long at, ByteBuffer header) throws IOException {
        if (segment.end - at < HEADER) return Optional.empty();
        header.clear();
        segment.read(header, at);
        return parseHeader(segment, at, header.flip());
    }

    /** The record whose header {@code header} begins with, if it parses and the record lies within the segment. */
    private static Optional<Packed> parseHeader(Segment segment, long at, ByteBuffer header) {
        if (header.limit() < HEADER) return Optional.empty();
        byte state = header.get(STATE_AT);
        int keyLength = header.get(5) & 0xff;
        int blobSize = header.getInt(8);
        if (header.getInt(0) != MAGIC || (state != LIVE && state != DELETED) || keyLength == 0 || keyLength > Checks.MAX_BLOB_KEY_LENGTH
                || blobSize < 0 || blobSize > MAX_BLOB) {
            return Optional.empty();
        }
        Packed p = new Packed(segment, at, keyLength, blobSize, header.getLong(12), header.getLong(20));
        return segment.end - at < p.length() ? Optional.empty() : Optional.of(p);
    }

    /** The whole record, header to data, in one read. */
    private static ByteBuffer whole(Packed p) throws IOException {
        ByteBuffer record = ByteBuffer.allocate(Math.toIntExact(p.length()));
        p.segment.read(record, p.offset);
        return record.flip();
    }

    /** Whether a whole record is live and matches the CRC32C in its header. */
    private static boolean liveAndIntact(ByteBuffer record) {
        ByteBuffer header = record.slice(0, HEADER);
        return header.get(STATE_AT) == LIVE && crc(header, record.slice(HEADER, record.limit() - HEADER)) == header.getInt(CRC_AT);
    }

    private static String keyOf(ByteBuffer record, int keyLength) {
        byte[] key = new byte[keyLength];
        record.get(HEADER, key);
        return new String(key, StandardCharsets.US_ASCII);
    }

    /** Whether the record is live and intact; false too if its segment was compacted away while it was read. */
    private static boolean intact(Packed p) throws IOException {
        try {
            return liveAndIntact(whole(p));
        } catch (ClosedChannelException e) {
            if (p.segment.removed) return false;
            throw e;
        }
    }

    /** CRC32C over the header (but its state byte and CRC field), then the key and the data. */
    private static int crc(ByteBuffer header, ByteBuffer keyAndData) {
        CRC32C crc = new CRC32C();
        crc.update(header.slice(0, STATE_AT));
        crc.update(header.slice(STATE_AT + 1, CRC_AT - STATE_AT - 1));
        crc.update(keyAndData.duplicate());
        return (int) crc.getValue();
    }

    /**
     * Puts {@code candidate} in the index unless a newer version of the key is there; returns what
     * lost, to be erased: the candidate, or the record it replaced with that record's twin if a
     * compaction is moving it (left live, an old copy would revive the key should the new version be
     * deleted before the compaction ends).
     */
    private List<Packed> keepNewer(String key, long hash, Packed candidate) throws IOException {
        keyLock.lock();
        try {
            Optional<Keyed> old = locate(key, hash);
            if (old.isEmpty()) {
                index.add(hash, candidate.location());
                return List.of();
            }
            Packed current = old.get().record();
            if (!candidate.newerThan(current)) return List.of(candidate);
            index.replace(hash, current.location(), candidate.location());
            Packed twin = twins.remove(current.location());
            return twin == null ? List.of(current) : List.of(current, twin);
        } finally {
            keyLock.unlock();
        }
    }

    /**
     * The live record the index holds for the key. Two keys may share a hash, so each record found
     * under it is read to compare keys. Without {@link #keyLock} held, a record may move (compaction)
     * or go (delete) under the caller: it is looked up again, a few times.
     */
    private Optional<Keyed> locate(String key, long hash) throws IOException {
        for (int attempt = 0; ; attempt++) {
            boolean moved = false; // a record that may have been this key's went or moved: look again
            for (long location : index.find(hash)) {
                Optional<Keyed> found = keyedAt(location);
                if (found.isEmpty()) {
                    moved = true; // its segment was compacted away
                    continue;
                }
                Keyed k = found.get();
                if (k.key().equals(key)) {
                    if (k.live()) return found;
                    moved = true; // deleted or replaced since the lookup
                } else if (k.key().indexOf('\0') >= 0) {
                    moved = true; // being erased (keys never hold a zero byte): it may have been this key
                } else if (k.live() && !intact(k.record()) && index.contains(hash, location)) {
                    if (k.record().segment.removed) {
                        moved = true; // compacted away while it was read
                        continue;
                    }
                    // Another key under the same hash would match its CRC32C; this one is damaged, and may be this key's record.
                    throw new IOException("packed record in " + k.record().segment.path + " at byte " + k.record().offset
                            + " does not match its CRC32C: the segment is damaged");
                }
            }
            if (!moved) return Optional.empty();
            if (attempt >= 9) throw new IOException("packed blob " + Checks.quote(key) + " kept moving while being looked up");
        }
    }

    /** The record at the location with its key, or empty if its segment has been compacted away. */
    private Optional<Keyed> keyedAt(long location) throws IOException {
        Segment segment = segments.get(PackIndex.segment(location));
        if (segment == null) return Optional.empty();
        long at = PackIndex.offset(location);
        try {
            // One read for the header and the longest key: the key follows the header.
            ByteBuffer head = ByteBuffer.allocate((int) Math.clamp(segment.end - at, 0, HEADER + Checks.MAX_BLOB_KEY_LENGTH));
            segment.read(head, at);
            Optional<Packed> record = parseHeader(segment, at, head.flip());
            if (record.isEmpty()) throw new IOException("no packed record parses in " + segment.path + " at byte " + at);
            String key = new String(head.array(), HEADER, record.get().keyLength, StandardCharsets.US_ASCII);
            return Optional.of(new Keyed(record.get(), key, head.get(STATE_AT) == LIVE));
        } catch (ClosedChannelException e) {
            if (segment.removed) return Optional.empty();
            throw e;
        }
    }

    /** Whether a blob of this many bytes is packed. */
    static boolean fits(long size) {
        return size <= MAX_BLOB;
    }

    /** Stores the bytes under the key, durably; replaces a packed blob under the key. */
    void put(String key, byte[] data, byte[] sha256) throws IOException {
        Packed p = append(key, data, sha256, nextVersion.getAndIncrement(), System.currentTimeMillis());
        try {
            try {
                sync.force(p.segment.descriptor(), p.segment.path);
            } catch (IOException e) {
                erase(p); // a failed put stores nothing, not even after a restart
                // After a failed flush the segment's pages are of unknown state on disk: a record
                // appended behind them could be lost with them at the next open (read as a torn tail).
                appendLock.lock();
                try {
                    if (active == p.segment) active = null;
                } finally {
                    appendLock.unlock();
                }
                throw e;
            }
            for (Packed loser : keepNewer(key, keyHash.applyAsLong(key), p)) erase(loser);
        } finally {
            p.segment.unsettled.decrementAndGet();
        }
    }

    /** Appends a record under the lock, starting a new segment when there is none or the active one is full. */
    private Packed append(String key, byte[] data, byte[] sha256, long version, long writtenAt) throws IOException {
        byte[] keyBytes = key.getBytes(StandardCharsets.US_ASCII);
        byte[] record = new byte[HEADER + keyBytes.length + data.length];
        ByteBuffer header = ByteBuffer.wrap(record, 0, HEADER);
        header.putInt(0, MAGIC).put(STATE_AT, LIVE).put(5, (byte) keyBytes.length)
                .putInt(8, data.length).putLong(12, version).putLong(20, writtenAt).put(28, sha256);
        System.arraycopy(keyBytes, 0, record, HEADER, keyBytes.length);
        System.arraycopy(data, 0, record, HEADER + keyBytes.length, data.length);
        header.putInt(CRC_AT, crc(header, ByteBuffer.wrap(record, HEADER, record.length - HEADER)));
        appendLock.lock();
        try {
            Segment segment = active;
            // The first put after opening starts a new segment: appending after a torn tail would hide the records behind it.
            if (segment == null || (segment.end > 0 && segment.end + record.length > segmentBytes)) {
                segment = active = newSegment(segments.isEmpty() ? 1 : segments.lastKey() + 1);
            }
            long at = segment.end;
            try {
                segment.write(record, at);
            } catch (IOException e) {
                active = null; // what reached the file is a torn tail now: nothing may follow it
                throw e;
            }
            segment.end = at + record.length;
            segment.unsettled.incrementAndGet(); // the caller settles it
            return new Packed(segment, at, keyBytes.length, data.length, version, writtenAt);
        } finally {
            appendLock.unlock();
        }
    }

    private Segment newSegment(long number) throws IOException {
        Path path = dir.resolve("%016d%s".formatted(number, SUFFIX));
        Files.createFile(path);
        FilesystemBlobStore.fsyncDirectory(dir); // the segment's entry must outlive a power cut before any put in it returns
        Segment segment = new Segment(number, path, true);
        segments.put(number, segment);
        return segment;
    }

    /** The packed blob's bytes, checked against its CRC; empty if none is packed under the key. */
    Optional<byte[]> read(String key) throws IOException {
        long hash = keyHash.applyAsLong(key);
        for (int attempt = 0; ; attempt++) {
            Optional<Keyed> found = locate(key, hash);
            if (found.isEmpty()) return Optional.empty();
            Packed p = found.get().record();
            try {
                ByteBuffer record = whole(p);
                if (liveAndIntact(record)) return Optional.of(Arrays.copyOfRange(record.array(), HEADER + p.keyLength, record.limit()));
                if (index.contains(hash, p.location())) {
                    throw new IOException("packed blob " + Checks.quote(key) + " in " + p.segment.path + " at byte " + p.offset
                            + " does not match its CRC32C: the segment is damaged");
                }
            } catch (ClosedChannelException e) {
                if (!p.segment.removed || attempt >= 4) throw e; // else compacted away under us: look it up again
            }
        }
    }

    boolean contains(String key) throws IOException {
        return locate(key, keyHash.applyAsLong(key)).isPresent();
    }

    /** The size of the packed blob under the key, from its record's header. */
    java.util.OptionalLong size(String key) throws IOException {
        return locate(key, keyHash.applyAsLong(key)).map(k -> java.util.OptionalLong.of(k.record().size()))
                .orElse(java.util.OptionalLong.empty());
    }

    /** Deletes the packed blob under the key (not forced: a power cut may undo it, leaving an orphan). */
    boolean delete(String key) throws IOException {
        List<Packed> gone = unindex(key);
        for (Packed p : gone) erase(p);
        return !gone.isEmpty();
    }

    /** As {@link #delete}, but durable when it returns: for a blob replaced by a file of its own. */
    void deleteDurably(String key) throws IOException {
        List<Packed> gone = unindex(key);
        for (Packed p : gone) erase(p);
        for (Packed p : gone) {
            try {
                sync.force(p.segment.descriptor(), p.segment.path);
            } catch (ClosedChannelException e) {
                if (!p.segment.removed) throw e; // else compaction removed the segment, and the record with it
            }
        }
    }

    /** Takes the key's record out of the index; returns it, and its twin if a compaction is moving it. */
    private List<Packed> unindex(String key) throws IOException {
        long hash = keyHash.applyAsLong(key);
        keyLock.lock();
        try {
            Optional<Packed> p = locate(key, hash).map(Keyed::record);
            if (p.isEmpty()) return List.of();
            index.remove(hash, p.get().location());
            Packed twin = twins.remove(p.get().location());
            return twin == null ? List.of(p.get()) : List.of(p.get(), twin);
        } finally {
            keyLock.unlock();
        }
    }

    /** Zeroes the record's key and data and marks it deleted, in place; compacts its segment if it is now mostly dead. */
    private void erase(Packed p) throws IOException {
        Segment segment = p.segment;
        appendLock.lock();
        try {
            if (segment.removed) return; // compacted away, and the record with it
            segment.write(new byte[p.keyLength + p.size], p.offset + HEADER);
            segment.write(new byte[] {DELETED}, p.offset + STATE_AT);
        } finally {
            appendLock.unlock();
        }
        segment.deadBytes.addAndGet(p.length());
        maybeCompact(segment);
    }

    private void maybeCompact(Segment segment) {
        appendLock.lock();
        boolean full;
        try {
            full = segment != active;
        } finally {
            appendLock.unlock();
        }
        if (full && segment.deadBytes.get() * 2 >= segment.end && segment.compacting.compareAndSet(false, true)) {
            Thread.ofVirtual().name("bulwark-blob-compact-" + segment.number).start(() -> compact(segment));
        }
    }

    /**
     * Copies a segment's live records (same versions, same times) to the active segment, forces
     * them, points the index at the copies, then removes the segment. A crash part way leaves two
     * copies of some records with equal versions: either is the blob. A record deleted while it is
     * copied, or replaced and then deleted, has its copy erased with it ({@link #twins}).
     */
    private void compact(Segment segment) {
        record Move(long hash, Packed from, Packed to) {}
        List<Move> moves = new ArrayList<>();
        compactLock.lock(); // one at a time: a compaction's copies are settled before the next one looks
        try {
            if (closed) return; // started after close(): the next open compacts
            while (segment.unsettled.get() > 0) Thread.sleep(1); // puts that wrote into it before it filled
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            for (long[] entry : index.entriesIn(segment.number)) {
                long hash = entry[0];
                long from = entry[1];
                Optional<Packed> p = readHeader(segment, PackIndex.offset(from), header);
                if (p.isEmpty()) throw new IOException("no packed record parses at byte " + PackIndex.offset(from));
                ByteBuffer record = whole(p.get());
                if (!liveAndIntact(record)) {
                    if (!index.contains(hash, from)) continue; // deleted meanwhile
                    throw new IOException("packed record at byte " + p.get().offset + " does not match its CRC32C");
                }
                byte[] sha = new byte[32];
                record.get(28, sha);
                byte[] data = Arrays.copyOfRange(record.array(), HEADER + p.get().keyLength, record.limit());
                keyLock.lock(); // a delete of the original now either came first or finds the copy to erase
                try {
                    if (!index.contains(hash, from)) continue; // deleted since it was read
                    Packed to = append(keyOf(record, p.get().keyLength), data, sha, p.get().version, p.get().writtenAt);
                    moves.add(new Move(hash, p.get(), to));
                    twins.put(from, to);
                } finally {
                    keyLock.unlock();
                }
            }
            for (Segment s : moves.stream().map(m -> m.to.segment).distinct().toList()) sync.force(s.descriptor(), s.path);
            beforeSwitch.run();
            keyLock.lock();
            try {
                for (Move m : moves) {
                    // Deleted or replaced meanwhile: that erased the copy, and the index no longer has the original.
                    if (twins.remove(m.from.location()) == null) continue;
                    index.replace(m.hash, m.from.location(), m.to.location());
                    twins.put(m.to.location(), m.from); // until the segment file is gone
                }
            } finally {
                keyLock.unlock();
            }
            afterSwitch.run();
            segments.remove(segment.number);
            appendLock.lock(); // no erase writes into it from here on
            try {
                segment.removed = true;
            } finally {
                appendLock.unlock();
            }
            segment.close();
            Files.deleteIfExists(segment.path);
            FilesystemBlobStore.fsyncDirectory(dir);
            forgetTwins();
        } catch (IOException | InterruptedException e) {
            eraseUnswitched();
            segment.compacting.set(false); // tried again at the next delete in it, or when the pack opens
            System.getLogger(BlobPack.class.getName()).log(System.Logger.Level.WARNING,
                    "could not compact blob segment " + segment.path + ": " + e.getMessage());
        } finally {
            moves.forEach(m -> m.to.segment.unsettled.decrementAndGet());
            compactLock.unlock();
        }
    }

    /**
     * The packed blobs, for the store's listing, read from their records segment by segment, oldest
     * first. A record that compaction moves meanwhile goes to a newer segment, so it is still listed —
     * twice, if its old segment had been listed already.
     */
    Stream<BlobEntry> list() {
        return Stream.iterate(segments.ceilingKey(0L), Objects::nonNull, segments::higherKey)
                .flatMap(number -> Arrays.stream(index.locationsIn(number)).mapToObj(this::listed).flatMap(Optional::stream));
    }

    private Optional<BlobEntry> listed(long location) {
        try {
            return keyedAt(location).filter(Keyed::live)
                    .map(k -> new BlobEntry(k.key(), k.record().size, Instant.ofEpochMilli(k.record().writtenAt)));
        } catch (IOException e) {
            throw new StoreException("could not list the blob pack " + dir, e);
        }
    }

    /** Whether a compaction is running or about to (tests wait for it before listing: see {@link #list}). */
    boolean compacting() {
        return segments.values().stream().anyMatch(s -> s.compacting.get());
    }

    /** The segment files, oldest first. */
    List<Path> segmentFiles() {
        return segments.values().stream().map(s -> s.path).toList();
    }

    private List<Packed> forgetTwins() {
        keyLock.lock();
        try {
            List<Packed> left = List.copyOf(twins.values());
            twins.clear();
            return left;
        } finally {
            keyLock.unlock();
        }
    }

    /**
     * After a failed compaction, erases each twin: a copy the index never switched to (a live
     * duplicate a later delete would not find), or an original whose copy the index now holds (left
     * as it is if its segment is already removed).
     */
    private void eraseUnswitched() {
        for (Packed twin : forgetTwins()) {
            try {
                erase(twin);
            } catch (IOException e) {
                // It stays a duplicate with the original's version: either is the blob.
            }
        }
    }

    /**
     * Waits for a compaction in progress, then closes. Closing under one could leave live on disk a
     * copy it was about to erase — of a blob deleted while it copied — which the next open would
     * take for the blob.
     */
    @Override
    public void close() {
        compactLock.lock();
        appendLock.lock();
        try {
            closed = true;
            segments.values().forEach(Segment::close);
            try {
                lock.release();
                lockFile.close();
            } catch (IOException ignored) {
                // the lock goes with the process anyway
            }
        } finally {
            appendLock.unlock();
            compactLock.unlock();
        }
    }
}
