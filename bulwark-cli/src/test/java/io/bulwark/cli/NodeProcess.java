package io.bulwark.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real node: {@code java ... io.bulwark.cli.Bulwark start --home DIR} as a child process, started
 * and waited for until it prints {@code ready <url>}. Its stderr goes to a file next to the home
 * ({@link #stderr()}), so the child never blocks on a full pipe. Every process started here is also
 * killed by a shutdown hook, should a test class forget.
 *
 * <p>{@link #cli} runs any other command through the real entry point ({@code Bulwark.main}) in a
 * child JVM and returns its exit status and output.
 */
final class NodeProcess implements AutoCloseable {

    /** A safety bound for a child JVM, never an assertion on speed: a stuck child fails the test instead of hanging it. */
    private static final long STUCK_SECONDS = 180;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "node-process-reaper"));
    }

    private final Process process;
    private final Path home;
    private final Path stderr;
    private final String url;

    private NodeProcess(Process process, Path home, Path stderr, String url) {
        this.process = process;
        this.home = home;
        this.stderr = stderr;
        this.url = url;
    }

    /** The child JVM's command line for {@code bulwark ARGS}. */
    static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "io.bulwark.cli.Bulwark"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts the node of {@code home} and returns once it has printed {@code ready <url>}. */
    static NodeProcess start(Path home) throws IOException {
        Path stderr = Files.createTempFile(home.getParent(), home.getFileName() + "-stderr-", ".log");
        Process p = new ProcessBuilder(command("start", "--home", home.toString()))
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        LIVE.add(p);
        p.getOutputStream().close();
        CompletableFuture<String> ready = new CompletableFuture<>();
        // Platform threads for pipes: a read from a child's pipe holds a virtual thread's carrier, and two
        // nodes' idle readers once held both carriers of a 2-core machine while the test's writers waited.
        Thread.ofPlatform().daemon().name("node-stdout").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("ready ") && !ready.isDone()) ready.complete(line.substring(6).strip());
                }
            } catch (IOException e) {
                // the process is gone; the future below reports it
            }
            ready.completeExceptionally(new IllegalStateException("the node exited before it was ready"));
        });
        try {
            return new NodeProcess(p, home, stderr, ready.get(STUCK_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
            kill(p);
            throw new IllegalStateException("node " + home + " did not become ready (exit " + exitOf(p) + "); stderr:\n"
                    + Files.readString(stderr), e);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    String url() {
        return url;
    }

    Path home() {
        return home;
    }

    long pid() {
        return process.pid();
    }

    /** What the node has written to stderr so far (its log). */
    String stderr() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM, then waits for the exit; returns the exit status. */
    int stop() {
        process.destroy();
        return waitFor(process);
    }

    /** SIGKILL (kill -9), then waits for the exit. */
    void kill() {
        kill(process);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        kill(process);
    }

    private static void kill(Process p) {
        p.destroyForcibly();
        waitFor(p);
    }

    private static int waitFor(Process p) {
        try {
            if (!p.waitFor(STUCK_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for process " + p.pid(), e);
        } finally {
            if (!p.isAlive()) LIVE.remove(p);
        }
    }

    private static String exitOf(Process p) {
        return p.isAlive() ? "none, still running" : String.valueOf(p.exitValue());
    }

    /** Runs {@code bulwark ARGS} through its real entry point in a child JVM, with {@code stdin} as its input. */
    static ChildCli cli(byte[] stdin, String... args) throws IOException {
        Process p = new ProcessBuilder(command(args)).start();
        LIVE.add(p);
        try {
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            }
            int exit = waitFor(p);
            return new ChildCli(exit, out.join(), new String(err.join(), StandardCharsets.UTF_8));
        } finally {
            kill(p);
        }
    }

    static ChildCli cli(String... args) throws IOException {
        return cli(new byte[0], args);
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("child-drain").start(() -> { // a pipe read holds a virtual thread's carrier
            try (in) {
                f.complete(in.readAllBytes());
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** What a child {@code bulwark} process did: exit status, stdout (bytes: payloads are binary) and stderr. */
    record ChildCli(int exit, byte[] stdout, String err) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** As a {@link Cli} result, for its assertions. */
        Cli asCli() {
            return new Cli(exit, out(), err);
        }
    }
}
