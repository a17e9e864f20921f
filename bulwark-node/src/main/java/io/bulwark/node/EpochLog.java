package io.bulwark.node;

import io.bulwark.record.EpochKeyStatement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The epoch key statements a node made or received, appended to a file and forced to disk before
 * any record depends on them: {@code u32 length || statement}, repeated. A torn last entry (a crash
 * mid-append) is ignored on reading — its epoch never wrapped an acknowledged record's key — and cut
 * off when the log is opened for appending, so the next entry does not land behind it.
 */
final class EpochLog implements AutoCloseable {

    private final FileChannel channel;

    /**
     * Opens the log for appending. A torn last entry is cut off first: the next entry must not land
     * behind it, where reading would take the two for one and fail.
     */
    EpochLog(Path file) throws IOException {
        Contents contents = scan(file);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (contents.tornTail()) {
            channel.truncate(contents.length());
            channel.force(true);
        }
    }

    static List<EpochKeyStatement> read(Path file) throws IOException {
        return scan(file).statements();
    }

    /**
     * The statements of the whole entries and their length in bytes; {@code tornTail} if what follows
     * them is the remains of an interrupted append: an entry cut short by the end of the file, a last
     * entry that does not decode, or zeros (a power cut can leave an extended file unwritten).
     */
    private record Contents(List<EpochKeyStatement> statements, long length, boolean tornTail) {}

    private static Contents scan(Path file) throws IOException {
        List<EpochKeyStatement> out = new ArrayList<>();
        if (!Files.exists(file)) return new Contents(out, 0, false);
        byte[] all = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(all);
        while (in.hasRemaining()) {
            int start = in.position();
            if (in.remaining() < 4) return new Contents(out, start, true);
            int length = in.getInt();
            if (length <= 0 || length > 64 * 1024) return new Contents(out, start, zeros(all, start));
            if (in.remaining() < length) return new Contents(out, start, true);
            byte[] b = new byte[length];
            in.get(b);
            try {
                out.add(EpochKeyStatement.decode(b));
            } catch (RuntimeException e) {
                if (!in.hasRemaining()) return new Contents(out, start, true);
                throw e;
            }
        }
        return new Contents(out, all.length, false);
    }

    private static boolean zeros(byte[] b, int from) {
        for (int i = from; i < b.length; i++) if (b[i] != 0) return false;
        return true;
    }

    synchronized void append(EpochKeyStatement statement) {
        byte[] b = statement.encode();
        ByteBuffer buf = ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip();
        try {
            while (buf.hasRemaining()) channel.write(buf);
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record an epoch key statement", e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
