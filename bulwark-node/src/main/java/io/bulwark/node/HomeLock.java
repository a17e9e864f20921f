package io.bulwark.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/**
 * One process at a time owns a node home: a running node holds an exclusive OS lock on
 * {@code data/node.lock} until it closes. The OS drops the lock when the process dies (even by
 * SIGKILL), so a crashed node never leaves a stale lock. Offline commands that rewrite what a
 * running node holds in memory (its keystore) take the same lock, and so refuse to run beside it.
 */
public final class HomeLock implements AutoCloseable {

    /** The home is in use by a running node (in this process or another). */
    public static final class HeldException extends RuntimeException {
        HeldException(String message) {
            super(message, null, false, false);
        }
    }

    private final FileChannel channel;

    private HomeLock(FileChannel channel) {
        this.channel = channel;
    }

    /** Takes the home's lock, or throws {@link HeldException} if a running node holds it. */
    public static HomeLock acquire(NodeHome home) throws IOException {
        Files.createDirectories(home.lockFile().getParent());
        FileChannel channel = FileChannel.open(home.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by a node in this very process
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new HeldException("the node in " + home.dir() + " is running (it holds " + home.lockFile() + ")");
        }
        return new HomeLock(channel);
    }

    @Override
    public void close() {
        try {
            channel.close(); // releases the lock
        } catch (IOException e) {
            // the lock goes with the channel whatever close reports
        }
    }
}
