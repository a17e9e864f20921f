package io.bulwark.store.blob.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * S3Proxy in a child process (the stand-alone jar copied to {@code target/s3proxy} by the build),
 * keeping its objects in a directory. {@link #kill()} is a real provider outage: the process dies
 * with its sockets; {@link #restart()} brings the same server back on the same port and data.
 */
public final class S3ServerProcess implements AutoCloseable {

    private static final Path JAR = Path.of("target", "s3proxy", "s3proxy.jar");

    private final Path dir;
    private final int port;
    private Process process;

    private S3ServerProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static S3ServerProcess start(Path dir) {
        S3ServerProcess server = new S3ServerProcess(dir, freePort());
        server.restart();
        return server;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Starts the server (again), and waits until it accepts connections. */
    public synchronized void restart() {
        try {
            Path data = Files.createDirectories(dir.resolve("data"));
            Path props = dir.resolve("s3proxy.properties");
            Files.write(props, List.of(
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + S3Server.ACCESS,
                    "s3proxy.credential=" + S3Server.SECRET,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.filesystem.basedir=" + data));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            process = new ProcessBuilder(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", JAR.toAbsolutePath().toString(),
                    "--properties", props.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!accepts()) {
                if (!process.isAlive()) throw new IllegalStateException("S3Proxy exited; see " + dir.resolve("s3proxy.log"));
                if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start in 60 s");
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the process outright (SIGKILL) and waits for it to be gone. */
    public synchronized void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A free loopback port below the kernel's ephemeral range (32768 and up on Linux): while the
     * server is killed its port is free, and a client connection must not take it before
     * {@link #restart} binds it again (as {@code io.bulwark.node.LoopbackPorts} does for nodes).
     */
    private static int freePort() {
        for (int attempt = 0; ; attempt++) {
            int port = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                if (attempt == 100) throw new UncheckedIOException(taken);
            }
        }
    }

    @Override
    public void close() {
        kill();
    }
}
