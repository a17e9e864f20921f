package io.bulwark.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client commands' own input — {@code --url}, publish's FILE, get's {@code -o} — checked before
 * anything is sent, and a download that breaks off: one line, the documented exit code, and no
 * file left behind. A canned HTTP server on loopback stands in for the node.
 */
class ClientInputTest {

    @TempDir
    Path dir;

    private ServerSocket server;
    private final AtomicInteger requests = new AtomicInteger();

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
    }

    /** Serves {@code response} (head and body, as bytes) to every request, then closes the connection. */
    private String serve(byte[] response) throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    requests.incrementAndGet();
                    InputStream in = s.getInputStream();
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        int b = in.read();
                        if (b < 0) break;
                        head.write(b);
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(response);
                    out.flush();
                } catch (IOException e) {
                    // closed
                }
            }
        });
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private static byte[] ok(String declaredLength, byte[] body) {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nBulwark-Label: NATO SECRET//REL TO DEU\r\n"
                + "Content-Length: " + declaredLength + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).sorted().toList();
        }
    }

    @Test
    void aUrlWithoutSchemeOrHostIsBadInputForEveryClientCommand() throws IOException {
        String payload = Files.writeString(dir.resolve("payload.txt"), "x").toString();
        String rule = "is not a node's address: http:// or https://, a host, an optional port and path, e.g. http://127.0.0.1:8080";
        for (String url : List.of("foo", "127.0.0.1:8080", "ftp://127.0.0.1/", "http://", "http:///api", "http://[::1", "http://127.0.0.1:99999")) {
            for (List<String> command : List.of(List.of("publish", "--label", "NATO SECRET", payload), List.of("get", "x"),
                    List.of("list"), List.of("retract", "x"), List.of("relabel", "--label", "NATO SECRET", "x"),
                    List.of("approval", "list"))) {
                String[] args = Stream.concat(command.stream(), Stream.of("--url", url, "--token", "t")).toArray(String[]::new);
                assertThat(Cli.run(args).failsWith(ExitCode.BAD_INPUT).err().strip())
                        .as("%s", command).isEqualTo("bulwark: --url: '" + url + "' " + rule);
            }
        }
    }

    @Test
    void publishRefusesAFileItCannotReadBeforeSendingAnything() throws IOException {
        String url = serve(ok("0", new byte[0]));
        Path directory = Files.createDirectory(dir.resolve("a-directory"));
        assertThat(Cli.run("publish", "--url", url, "--token", "t", "--label", "NATO SECRET", directory.toString())
                .failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo("bulwark: " + directory + ": is a directory (FILE is a readable regular file, or - for standard input)");
        assertThat(Cli.run("publish", "--url", url, "--token", "t", "--label", "NATO SECRET", dir.resolve("missing").toString())
                .failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo("bulwark: " + dir.resolve("missing") + ": no such file (FILE is a readable regular file, or - for standard input)");
        assertThat(requests).hasValue(0);
    }

    @Test
    void getRefusesAnOutputItCannotWriteBeforeAskingAndLeavesNothing() throws IOException {
        String url = serve(ok("7", "payload".getBytes(StandardCharsets.US_ASCII)));
        Path directory = Files.createDirectory(dir.resolve("out"));
        assertThat(Cli.run("get", "--url", url, "--token", "t", "id", "-o", directory.toString()).failsWith(ExitCode.BAD_INPUT)
                .err().strip()).isEqualTo("bulwark: -o: " + directory + ": is a directory "
                + "(-o names a file to create or replace, in an existing directory)");
        Path orphan = dir.resolve("no-such-dir/payload.bin");
        assertThat(Cli.run("get", "--url", url, "--token", "t", "id", "-o", orphan.toString()).failsWith(ExitCode.BAD_INPUT)
                .err().strip()).isEqualTo("bulwark: -o: " + orphan + ": the directory " + orphan.getParent() + " does not exist "
                + "(-o names a file to create or replace, in an existing directory)");
        assertThat(requests).hasValue(0);
        assertThat(files()).containsExactly(directory);
    }

    @Test
    void outputThatCannotBeWrittenIsAFailureNotExitZero() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full");
        String url = serve(ok("7", "payload".getBytes(StandardCharsets.US_ASCII)));
        for (List<String> command : List.of(List.of("get", "--url", url, "--token", "t", "id"), List.of("label", "release", "NATO SECRET"))) {
            Process p = new ProcessBuilder(NodeProcess.command(command.toArray(String[]::new)))
                    .redirectOutput(new java.io.File("/dev/full")).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as("%s: %s", command, err).isEqualTo(ExitCode.OTHER);
            assertThat(err).as("%s", command).contains("bulwark: standard output: ").doesNotContain("Exception");
        }
    }

    @Test
    void standardInputTooLargeForTheMemoryIsOneLineNotAStackTrace() throws Exception {
        String url = serve(ok("0", new byte[0]));
        List<String> cmd = new java.util.ArrayList<>(NodeProcess.command("publish", "--url", url, "--token", "t", "--label", "NATO SECRET", "-"));
        cmd.add(1, "-Xmx48m");
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (OutputStream in = p.getOutputStream()) {
                byte[] chunk = new byte[1 << 20];
                for (int i = 0; i < 256; i++) in.write(chunk); // 256 MiB, more than the heap
            } catch (IOException e) {
                // the process stopped reading: it gave up, as it should
            }
        });
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isEqualTo(ExitCode.OTHER);
        feeder.join();
        assertThat(err.strip()).isEqualTo("bulwark: standard input: too large to hold in memory; publish it from a file (FILE instead of -)");
        assertThat(requests).hasValue(0);
    }

    @Test
    void aDownloadThatBreaksOffIsUnreachableAndLeavesNoPartFile() throws IOException {
        String url = serve(ok("100000", "only the first bytes of the payload".getBytes(StandardCharsets.US_ASCII)));
        Path target = dir.resolve("payload.bin");
        Files.writeString(target, "what was there before");
        Cli r = Cli.run("get", "--url", url, "--token", "t", "id", "-o", target.toString()).failsWith(ExitCode.UNREACHABLE);
        assertThat(r.err()).startsWith("bulwark: cannot reach " + url + ": the response broke off (")
                .endsWith("; nothing was written to " + target + System.lineSeparator());
        assertThat(files()).containsExactly(target);
        assertThat(Files.readString(target)).isEqualTo("what was there before");
    }

    @Test
    void aCompleteDownloadReplacesTheOutputReadableByTheOwnerOnly() throws IOException {
        byte[] payload = new byte[200_000];
        new java.util.Random(7).nextBytes(payload);
        String url = serve(ok(String.valueOf(payload.length), payload));
        Path target = dir.resolve("payload.bin");
        Files.writeString(target, "old");
        Cli r = Cli.run("get", "--url", url, "--token", "t", "id", "-o", target.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err().strip()).isEqualTo("label: NATO SECRET//REL TO DEU");
        assertThat(Files.readAllBytes(target)).isEqualTo(payload);
        assertThat(files()).containsExactly(target);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
        }
    }
}
