package io.bulwark.crypto.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Whole-file replacement that a crash cannot leave half-done: write a temporary file, fsync, rename. */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with {@code content}: a sibling temporary file (owner read/write only where
     * the file system has POSIX permissions) is written and forced to disk, atomically renamed over the
     * target, and the directory is forced so the rename itself is durable.
     */
    public static void write(Path target, byte[] content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        Path temporary = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? Files.createTempFile(directory, "." + absolute.getFileName() + ".", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(directory, "." + absolute.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            forceDirectory(directory);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (UnsupportedOperationException | java.nio.file.AccessDeniedException notOnThisPlatform) {
            // Windows cannot open a directory as a channel; its rename is durable once the call returns.
        }
    }
}
