package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/** Commands that talk to a node's client API over HTTP. */
final class ClientCommands {

    static final String RECORD_ID = "The record's id, as publish printed it.";

    private ClientCommands() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** --url and --token (or BULWARK_TOKEN), and the HTTP round trip with exit-code mapping. */
    static final class Connection {
        @Option(names = "--url", required = true, paramLabel = "URL", description = "The node's client API, e.g. http://127.0.0.1:8080")
        String url;
        @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token; default: the BULWARK_TOKEN environment variable, which is better: a command line is visible to every local user (ps).")
        String token;

        private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        HttpRequest.Builder request(String path) {
            String base = base();
            String t = token != null ? token : System.getenv("BULWARK_TOKEN");
            if (t == null || t.isBlank()) {
                throw new UserError(ExitCode.BAD_INPUT, "no token: pass --token or set BULWARK_TOKEN (bulwark token prints one)");
            }
            HttpRequest.Builder request;
            try {
                request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5));
            } catch (IllegalArgumentException e) {
                throw badUrl();
            }
            try {
                return request.header("Authorization", "Bearer " + t.strip());
            } catch (IllegalArgumentException e) { // not echoed: it is a secret
                throw new UserError(ExitCode.BAD_INPUT, (token != null ? "--token" : "BULWARK_TOKEN")
                        + ": a token is printable ASCII; this one cannot be sent in an HTTP header");
            }
        }

        /** {@code --url} without its trailing slashes, or exit 2 if it is not an http(s) URL with a host. */
        String base() {
            String base = url.replaceAll("/+$", "");
            URI uri;
            try {
                uri = new URI(base);
            } catch (URISyntaxException e) {
                throw badUrl();
            }
            if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                    || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getPort() > 65535) {
                throw badUrl();
            }
            return base;
        }

        private UserError badUrl() {
            return new UserError(ExitCode.BAD_INPUT, "--url: '" + url.replaceAll("\\p{Cntrl}", "?")
                    + "' is not a node's address: http:// or https://, a host, an optional port and path, "
                    + "e.g. http://127.0.0.1:8080");
        }

        <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            try {
                return CLIENT.send(request, handler);
            } catch (HttpTimeoutException e) {
                throw new UserError(ExitCode.UNREACHABLE, "cannot reach " + url + ": no answer in time");
            } catch (ConnectException e) {
                throw new UserError(ExitCode.UNREACHABLE, "cannot reach " + url + ": "
                        + Objects.requireNonNullElse(e.getMessage(), "the connection was refused"));
            } catch (IOException e) {
                throw new UserError(ExitCode.UNREACHABLE, "cannot reach " + url + ": "
                        + Objects.requireNonNullElse(e.getMessage(), "the connection failed"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError(ExitCode.OTHER, "interrupted");
            }
        }

        /** A successful answer's JSON; anything else there (an HTML login page of a proxy) is one line, exit 1. */
        static JsonNode json(byte[] body) {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UserError(ExitCode.OTHER, "the answer is not JSON: is --url the client API of a Bulwark node?");
            }
        }

        /** Turns an error response into a one-line error with the documented exit code. */
        static UserError failure(int status, byte[] body) {
            String detail;
            try {
                JsonNode problem = JSON.readTree(body);
                detail = problem.path("title").asText("HTTP " + status) + ": " + problem.path("detail").asText("");
            } catch (IOException e) {
                detail = "HTTP " + status;
            }
            int code = switch (status) {
                case 400, 413, 415, 422, 431 -> ExitCode.BAD_INPUT;
                case 401, 403, 404 -> ExitCode.DENIED_OR_NOT_FOUND;
                case 409 -> ExitCode.DENIED_OR_NOT_FOUND; // a refused approval: expired, decided, or the same officer again
                case 502, 503, 504 -> ExitCode.UNREACHABLE;
                default -> ExitCode.OTHER;
            };
            return new UserError(code, detail + " (HTTP " + status + ")");
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true, description = "Publish a file (or standard input) as a labelled record; prints its id.")
    static final class Publish implements Callable<Integer> {
        @picocli.CommandLine.Mixin Connection connection;
        @Option(names = "--label", required = true, paramLabel = "MARKING", description = "e.g. 'NATO SECRET//REL TO DEU, FRA'") String label;
        @Option(names = "--residency", paramLabel = "SPEC", description = "e.g. in=EU;operator=EU;providers>=2") String residency;
        @Option(names = "--type", paramLabel = "MIME", defaultValue = "application/octet-stream", description = "Content type (default ${DEFAULT-VALUE}).") String type;
        @Parameters(index = "0", paramLabel = "FILE", description = "The payload; '-' reads standard input.") String file;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            HttpRequest.Builder r = connection.request("/api/v1/records");
            header(r, "Bulwark-Label", labelHeader(label), "--label");
            header(r, "Content-Type", type, "--type");
            if (residency != null) header(r, "Bulwark-Residency", residency, "--residency");
            HttpRequest.BodyPublisher body = file.equals("-") ? HttpRequest.BodyPublishers.ofByteArray(standardInput()) : payload(file);
            HttpResponse<byte[]> response = connection.send(r.POST(body).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 201) throw Connection.failure(response.statusCode(), response.body());
            spec.commandLine().getOut().println(Connection.json(response.body()).path("id").asText());
            return ExitCode.OK;
        }
    }

    /**
     * Standard input, whole: its length goes in Content-Length, so a node whose limit it exceeds
     * answers 413 before any of it is sent. It is held in memory, never spooled to disk (it is the
     * plaintext); too large for the memory is one line, not an OutOfMemoryError.
     */
    private static byte[] standardInput() throws IOException {
        try {
            return System.in.readAllBytes();
        } catch (OutOfMemoryError e) {
            throw new UserError(ExitCode.OTHER, "standard input: too large to hold in memory; publish it from a file (FILE instead of -)");
        }
    }

    /**
     * The payload file, checked before anything is sent: a failure to read it must not look like a
     * failure to reach the node.
     */
    private static HttpRequest.BodyPublisher payload(String file) {
        Path path;
        try {
            path = Path.of(file);
        } catch (java.nio.file.InvalidPathException e) {
            throw payloadError(file, "not a valid path");
        }
        if (!Files.exists(path)) throw payloadError(file, "no such file");
        if (Files.isDirectory(path)) throw payloadError(file, "is a directory");
        if (!Files.isRegularFile(path)) throw payloadError(file, "is not a regular file");
        if (!Files.isReadable(path)) throw payloadError(file, "cannot be read (permission denied)");
        try {
            return HttpRequest.BodyPublishers.ofFile(path);
        } catch (java.io.FileNotFoundException e) {
            throw payloadError(file, "no such file");
        }
    }

    private static UserError payloadError(String file, String problem) {
        return new UserError(ExitCode.BAD_INPUT, file.replaceAll("\\p{Cntrl}", "?") + ": " + problem
                + " (FILE is a readable regular file, or - for standard input)");
    }

    /**
     * The label as a header value: as it is when it is printable ASCII, else as an RFC 8187 ext-value
     * ({@code UTF-8''} and the percent-encoded UTF-8 bytes), which the node decodes. HTTP clients send
     * header values as ASCII: {@code java.net.http} turns {@code Ü} into {@code ?} and refuses
     * characters beyond Latin-1, so a marking such as {@code VS-NUR FÜR DEN DIENSTGEBRAUCH} would
     * otherwise arrive garbled.
     */
    static String labelHeader(String label) {
        if (label.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) return label;
        StringBuilder b = new StringBuilder("UTF-8''");
        for (byte x : label.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                b.append((char) c); // RFC 8187 attr-char
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    /** Sets a header, or fails as bad input naming the option if HTTP cannot carry its value. */
    private static void header(HttpRequest.Builder request, String name, String value, String option) {
        try {
            request.header(name, value);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, option + ": '" + value.replaceAll("\\p{Cntrl}", "?")
                    + "' cannot be sent in an HTTP header (printable ASCII only)");
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Read a record's payload (to standard output or -o FILE); its label goes to standard error.")
    static final class Get implements Callable<Integer> {
        @picocli.CommandLine.Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = RECORD_ID) String id;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE",
                description = "Write the payload to FILE (replaced once the whole payload has arrived; readable by the owner only).")
        Path output;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            OutputFile file = output == null ? null : OutputFile.check("-o", output);
            HttpResponse<InputStream> response = connection.send(
                    connection.request("/api/v1/records/" + URLEncoder.encode(id, StandardCharsets.UTF_8)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) throw Connection.failure(response.statusCode(), readAll(in));
                if (file != null) {
                    file.write(out -> copy(in, out, "; nothing was written to " + file.path()));
                } else {
                    spec.commandLine().getOut().flush();
                    // Not System.out: a PrintStream swallows write errors, and a full disk would end in exit 0.
                    try {
                        copy(in, new java.io.FileOutputStream(java.io.FileDescriptor.out), "; what went to standard output is incomplete");
                    } catch (IOException e) { // copy turns read failures into the connection's; this one is the write's
                        throw new UserError(ExitCode.OTHER, "standard output: " + Objects.requireNonNullElse(e.getMessage(), "write failed")
                                + "; what went to standard output is incomplete");
                    }
                }
            }
            spec.commandLine().getErr().println("label: " + response.headers().firstValue("Bulwark-Label").orElse("?"));
            return ExitCode.OK;
        }

        /** Copies the response body; a failure to read it is the connection's, exit 4. */
        private void copy(InputStream in, OutputStream out, String consequence) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    throw brokeOff(e, consequence);
                }
                if (n < 0) return;
                out.write(buffer, 0, n);
            }
        }

        private byte[] readAll(InputStream in) {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                throw brokeOff(e, "");
            }
        }

        private UserError brokeOff(IOException e, String consequence) {
            return new UserError(ExitCode.UNREACHABLE, "cannot reach " + connection.url + ": the response broke off ("
                    + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + ")" + consequence);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the records you may see, newest first.")
    static final class ListRecords implements Callable<Integer> {
        /** Requests one page may take (a window each); past them the page ends short, with its cursor. */
        static final int MAX_REQUESTS = 1000;
        @picocli.CommandLine.Mixin Connection connection;
        @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "Records per page, 1 to 1000 (default: ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--cursor", paramLabel = "CURSOR", description = "The next page: the cursor the previous page ended with.") String cursor;
        @Option(names = "--json", description = "Print the JSON page.") boolean json;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // The node reads a bounded window of records a request, so a page may come back short (even
            // empty) with a cursor: ask on until the page is full or the listing ends.
            ObjectNode page = JsonNodeFactory.instance.objectNode();
            var items = page.putArray("items");
            String next = cursor;
            int requests = 0;
            do {
                String q = "?limit=" + (limit - items.size()) + (next == null ? "" : "&cursor=" + URLEncoder.encode(next, StandardCharsets.UTF_8));
                HttpResponse<byte[]> response = connection.send(connection.request("/api/v1/records" + q).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) throw Connection.failure(response.statusCode(), response.body());
                JsonNode part = Connection.json(response.body());
                part.path("items").forEach(items::add);
                next = part.has("next") ? part.path("next").asText() : null;
            } while (next != null && items.size() < limit && ++requests < MAX_REQUESTS);
            if (next != null) page.put("next", next);
            var out = spec.commandLine().getOut();
            if (json) {
                out.println(page.toPrettyString());
                return ExitCode.OK;
            }
            for (JsonNode item : page.path("items")) {
                out.println(item.path("id").asText() + "  " + item.path("created").asText() + "  " + item.path("origin").asText()
                        + "  " + item.path("size").asLong() + " B  " + item.path("label").asText());
            }
            if (page.has("next")) out.println("more: --cursor " + page.path("next").asText());
            return ExitCode.OK;
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Print the changes to records you may see as they commit at the node — published here or received "
                    + "from a peer, relabeled, or removed (no longer available to you) — one line each (JSON with --json), oldest first, "
                    + "until interrupted.",
                    "Holds one standing request at a time (GET /api/v1/changes?wait=), so a change shows at once. "
                            + "If the node becomes unreachable or unavailable after the first answer, retries every 2 s from where it was. "
                            + "With --cursor-file, a later run goes on where this one stopped."})
    static final class Watch implements Callable<Integer> {
        @picocli.CommandLine.Mixin Connection connection;
        @Option(names = "--from", paramLabel = "WHERE",
                description = "latest (only what comes next; the default) or beginning (every change the node's log holds)") String from;
        @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after an earlier answer (see --once).") String cursor;
        @Option(names = "--cursor-file", paramLabel = "FILE",
                description = "Keep the cursor in FILE after each answer is printed, and start from it if FILE exists: nothing is missed "
                        + "across runs (after an interruption the last answer may show again).")
        Path cursorFile;
        @Option(names = "--once", description = "One answer without waiting, then the cursor to continue with.") boolean once;
        @Option(names = "--wait", defaultValue = "15", paramLabel = "SECONDS",
                description = "How long each standing request waits, 1 or more (the node cuts it to half its request timeout; default 15).") int wait;
        @Option(names = "--json", description = "Print each change as one line of JSON.") boolean json;
        @Spec CommandSpec spec;
        /** Whether the first request continues from the cursor in --cursor-file. */
        private boolean fromCursorFile;

        @Override
        public Integer call() throws Exception {
            OutputFile keep = cursorFile == null ? null : OutputFile.check("--cursor-file", cursorFile);
            String start = start();
            if (!once && wait < 1) throw new UserError(ExitCode.BAD_INPUT, "--wait " + wait + ": 1 second or more (or --once)");
            var out = spec.commandLine().getOut();
            String position = start;
            boolean answered = false;
            while (true) {
                HttpResponse<byte[]> response;
                try {
                    response = connection.send(connection.request("/api/v1/changes?" + position + "&wait=" + (once ? 0 : wait)).GET().build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                } catch (UserError e) {
                    if (!answered || e.exitCode() != ExitCode.UNREACHABLE) throw e;
                    retrying(e.getMessage());
                    continue;
                }
                int status = response.statusCode();
                if (answered && (status == 502 || status == 503 || status == 504)) { // a node restarting, a proxy between
                    retrying(Connection.failure(status, response.body()).getMessage());
                    continue;
                }
                if (status == 400 && !answered && fromCursorFile) {
                    throw new UserError(ExitCode.BAD_INPUT, Connection.failure(status, response.body()).getMessage()
                            + " (the cursor came from --cursor-file " + cursorFile + "; delete it to start anew)");
                }
                if (status != 200) throw Connection.failure(status, response.body());
                answered = true;
                JsonNode page = Connection.json(response.body());
                for (JsonNode item : page.path("items")) {
                    out.println(json ? item.toString() : item.path("change").asText() + "  " + item.path("id").asText() + "  "
                            + item.path("at").asText() + (item.has("label") ? "  " + item.path("origin").asText() + "  "
                            + item.path("size").asLong() + " B  " + item.path("label").asText() : ""));
                }
                out.flush();
                if (out.checkError()) {
                    // The changes were not written (a full disk, a closed pipe): the cursor must not move past them.
                    throw new UserError(ExitCode.OTHER, "standard output: write failed; the cursor was not advanced past what was not written");
                }
                String next = page.path("cursor").asText();
                if (keep != null) keep.write(o -> o.write((next + "\n").getBytes(StandardCharsets.UTF_8)));
                position = "cursor=" + URLEncoder.encode(next, StandardCharsets.UTF_8);
                if (once) {
                    out.println("more: --cursor " + next);
                    return ExitCode.OK;
                }
            }
        }

        /** The query that starts the first request, from --cursor, --cursor-file or --from. */
        private String start() throws IOException {
            if (cursor != null && from != null) throw new UserError(ExitCode.BAD_INPUT, "--cursor and --from: give one of them");
            if (cursorFile != null && Files.exists(cursorFile)) {
                if (cursor != null || from != null) {
                    throw new UserError(ExitCode.BAD_INPUT, "--cursor-file " + cursorFile + " holds a cursor already; it is where this watch "
                            + "goes on from, so --cursor and --from are not given with it (delete the file to start elsewhere)");
                }
                String kept;
                try {
                    kept = Files.readString(cursorFile).strip();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new UserError(ExitCode.BAD_INPUT, "--cursor-file " + cursorFile + ": not a cursor (not UTF-8); delete it to start anew");
                }
                if (kept.isEmpty()) throw new UserError(ExitCode.BAD_INPUT, "--cursor-file " + cursorFile + ": empty; delete it to start anew");
                fromCursorFile = true;
                return "cursor=" + URLEncoder.encode(kept, StandardCharsets.UTF_8);
            }
            if (cursor != null) return "cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
            return "from=" + URLEncoder.encode(from == null ? "latest" : from, StandardCharsets.UTF_8);
        }

        private void retrying(String why) throws InterruptedException {
            spec.commandLine().getErr().println("bulwark: " + why + "; retrying in 2 s");
            Thread.sleep(2_000);
        }
    }

    @Command(name = "relabel", mixinStandardHelpOptions = true,
            description = "Give a record a new label (users of its origin nation only); peers no longer released to delete it.")
    static final class Relabel implements Callable<Integer> {
        @picocli.CommandLine.Mixin Connection connection;
        @Option(names = "--label", required = true, paramLabel = "MARKING", description = "The new label, e.g. \"NATO SECRET//REL TO DEU\"") String label;
        @Parameters(index = "0", paramLabel = "ID", description = RECORD_ID) String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            HttpResponse<byte[]> response = connection.send(
                    connection.request("/api/v1/records/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/label")
                            .header("Content-Type", "text/plain; charset=utf-8")
                            .PUT(HttpRequest.BodyPublishers.ofString(label, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) throw Connection.failure(response.statusCode(), response.body());
            spec.commandLine().getOut().println("relabelled " + id);
            return ExitCode.OK;
        }
    }

    @Command(name = "retract", mixinStandardHelpOptions = true, description = "Retract a record (users of its origin nation only).")
    static final class Retract implements Callable<Integer> {
        @picocli.CommandLine.Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "ID", description = RECORD_ID) String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            HttpResponse<byte[]> response = connection.send(
                    connection.request("/api/v1/records/" + URLEncoder.encode(id, StandardCharsets.UTF_8)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 204) throw Connection.failure(response.statusCode(), response.body());
            spec.commandLine().getOut().println("retracted " + id);
            return ExitCode.OK;
        }
    }
}
