package io.bulwark.node;

import io.bulwark.record.EpochKeyStatement;

import java.io.DataInputStream;
import java.io.EOFException;
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
 * mid-append) is ignored on reading — its epoch never wrapped an acknowledged record's key.
 */
final class EpochLog implements AutoCloseable {

    private final FileChannel channel;

    EpochLog(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    static List<EpochKeyStatement> read(Path file) throws IOException {
        List<EpochKeyStatement> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                if (length <= 0 || length > 64 * 1024) break;
                byte[] b = new byte[length];
                try {
                    in.readFully(b);
                } catch (EOFException e) {
                    break;
                }
                out.add(EpochKeyStatement.decode(b));
            }
        }
        return out;
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
