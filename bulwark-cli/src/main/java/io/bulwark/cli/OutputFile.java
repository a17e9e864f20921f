package io.bulwark.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A file a command writes for the user ({@code -o FILE}): checked before any work is done, then
 * written whole or not at all. The bytes go to a sibling temporary file that only the owner may
 * read (where the file system has POSIX permissions: a payload is decrypted data), which is renamed
 * over FILE once complete and removed on every failure.
 */
final class OutputFile {

    /** Writes the content to a stream; its own failures (reading a response, a database) propagate as they are. */
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private final String option;
    private final Path file;
    /** The partial file being written, if any: removed by one exit hook if Ctrl-C or SIGTERM skips the cleanup below. */
    private final java.util.concurrent.atomic.AtomicReference<Path> partial = new java.util.concurrent.atomic.AtomicReference<>();
    private boolean hooked;

    private OutputFile(String option, Path file) {
        this.option = option;
        this.file = file.toAbsolutePath().normalize();
    }

    /**
     * Checks that {@code file} can be written: not a directory or other non-regular file, in an
     * existing, writable directory.
     *
     * @throws UserError exit 2 naming the option, the path and the rule
     */
    static OutputFile check(String option, Path file) {
        OutputFile out = new OutputFile(option, file);
        Path directory = out.file.getParent();
        if (Files.isDirectory(out.file)) throw out.bad("is a directory");
        if (Files.exists(out.file) && !Files.isRegularFile(out.file)) throw out.bad("exists and is not a regular file");
        if (directory == null || !Files.isDirectory(directory)) throw out.bad("the directory " + directory + " does not exist");
        if (!Files.isWritable(directory)) throw out.bad("the directory " + directory + " is not writable");
        return out;
    }

    private UserError bad(String problem) {
        return new UserError(ExitCode.BAD_INPUT, option + ": " + file + ": " + problem
                + " (" + option + " names a file to create or replace, in an existing directory)");
    }

    Path path() {
        return file;
    }

    /**
     * Writes the content and renames it into place; on any failure nothing is left behind (FILE is as
     * it was). A failure to write the file itself is exit 1 naming the option and the file; the
     * content's own failures propagate unchanged.
     */
    void write(Content content) throws IOException {
        Path directory = file.getParent();
        Path part;
        try {
            part = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempFile(directory, file.getFileName() + ".", ".part",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(directory, file.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw cannotWrite(e);
        }
        if (!hooked) { // once per file, not per write: watch --cursor-file writes for days
            hooked = true;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                Path p = partial.get();
                if (p != null) p.toFile().delete();
            }, "bulwark-partial-file"));
        }
        partial.set(part);
        boolean moved = false;
        try {
            Recording out;
            try (FileChannel channel = FileChannel.open(part, StandardOpenOption.WRITE)) {
                out = new Recording(Channels.newOutputStream(channel));
                try {
                    content.writeTo(out);
                    out.flush();
                } catch (IOException | RuntimeException e) {
                    if (out.failure != null) throw cannotWrite(out.failure);
                    throw e;
                }
                try {
                    channel.force(true);
                } catch (IOException e) {
                    throw cannotWrite(e);
                }
            }
            try {
                Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw cannotWrite(e);
            }
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(part);
            partial.set(null);
        }
    }

    private UserError cannotWrite(IOException e) {
        String reason = e instanceof java.nio.file.FileSystemException f ? Bulwark.describe(f) : e.getMessage();
        return new UserError(ExitCode.OTHER, option + ": cannot write " + file + ": " + reason);
    }

    /** Remembers the first failure to write, to tell it apart from a failure of the content. */
    private static final class Recording extends FilterOutputStream {
        IOException failure;

        Recording(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw record(e);
            }
        }

        private IOException record(IOException e) {
            if (failure == null) failure = e;
            return e;
        }
    }
}
