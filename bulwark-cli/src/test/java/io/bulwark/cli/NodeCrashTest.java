package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 4 of DESIGN.md against a real node process: a write acknowledged to a client survives
 * kill -9 at any moment, and a half-written record is never visible.
 *
 * <p>A load driver (virtual threads, {@link HttpClient}, a local user's token) publishes small random
 * payloads and records every acknowledged id with the SHA-256 of its payload, and the digest of every
 * payload it sent at all. At a random moment the node is killed with SIGKILL; the driver stops; the
 * node restarts. After every restart: each acknowledged id is listed; every listed record (all
 * pages) that is new since the last restart, and a sample of the older ones, reads in full with the
 * digest of its acknowledged payload, or of a payload that was sent (an unacknowledged write may or
 * may not have landed, but never half); and the startup sweep has left exactly one blob per record
 * in {@code sites/default} and no partial write. After the last restart every record is read.
 * Before the last run, the epoch key log is left with a torn last entry, as a power cut leaves it.
 */
class NodeCrashTest {

    private static final int KILLS = 20;
    private static final int WRITERS = 4;
    private static final int MIN_LOAD_MILLIS = 300;
    private static final int MAX_LOAD_MILLIS = 1500;
    private static final int OLDER_SAMPLE = 32;
    private static final String LABEL = "NATO SECRET//REL TO DEU, FRA";
    private static final Pattern SWEPT = Pattern.compile(
            "swept Report\\[blobsExamined=(\\d+), orphansDeleted=(\\d+), misplacedDeleted=(\\d+), incompleteDeleted=(\\d+)]");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();
    /** Every acknowledged record: id → SHA-256 of its payload. */
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    /** The SHA-256 of every payload sent, acknowledged or not. */
    private final Set<String> sent = ConcurrentHashMap.newKeySet();
    /** Any answer but 201 while the node was up: there should be none. */
    private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    /** Records listed and read back whole at an earlier restart. */
    private final Set<String> verified = new HashSet<>();
    private NodeProcess node;
    /** Set just before the kill: from then on a failed request is expected. */
    private volatile boolean killing;
    private String token;
    private long orphansSwept;
    private long partialWritesSwept;

    @AfterEach
    void reap() {
        if (node != null) node.close();
        http.close();
    }

    @Test
    void acknowledgedWritesSurviveKillNineAndNoHalfRecordIsEverVisible() throws Exception {
        Path home = dir.resolve("deu-crash");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-crash").succeeds();
        Cli.run("user", "add", "--home", home.toString(), "loader", "--nationality", "DEU", "--clearance", "NATO SECRET").succeeds();
        token = Cli.run("token", "--home", home.toString(), "loader", "--ttl", "1d").succeeds().line();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("NodeCrashTest seed " + seed);

        for (int kill = 1; kill <= KILLS; kill++) {
            if (kill == KILLS) tearTheEpochLog(home);
            node = NodeProcess.start(home);
            killing = false;
            verifyAfterRestart(home, "before kill " + kill, random, false);
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                SplittableRandom payloads = new SplittableRandom(random.nextLong());
                String url = node.url();
                writers.add(Thread.ofVirtual().name("writer-" + w).start(() -> write(url, payloads, running)));
            }
            Thread.sleep(MIN_LOAD_MILLIS + random.nextInt(MAX_LOAD_MILLIS - MIN_LOAD_MILLIS + 1));
            killing = true;
            node.kill();
            running.set(false);
            for (Thread t : writers) t.join();
            assertThat(unexpected).as("answers other than 201 while the node was up").isEmpty();
        }
        node = NodeProcess.start(home);
        verifyAfterRestart(home, "after the last kill", random, true);
        try (Stream<Path> unpacked = Files.list(home.resolve("tmp/native"))) {
            assertThat(unpacked.toList()).as("native libraries the %d killed nodes unpacked are gone; the running one's stays", KILLS)
                    .hasSizeBetween(1, 2); // the library and its lock file
        }
        int status = node.stop();
        assertThat(status).as("exit status on SIGTERM").isIn(0, 143);
        System.out.printf("NodeCrashTest: %d kills, %d writes acknowledged, %d sent, %d records kept; the startup sweeps "
                + "deleted %d orphan blobs and %d partial writes%n", KILLS, acknowledged.size(), sent.size(), verified.size(),
                orphansSwept, partialWritesSwept);
        assertThat(acknowledged).as("the load driver got writes acknowledged").hasSizeGreaterThan(KILLS);
    }

    /**
     * Leaves what a power cut in the middle of an epoch-key append leaves: the first part of an entry
     * at the end of {@code data/epochs.log}. The next run appends a statement when it first publishes
     * (every start begins a new epoch), and the run after must still read the log and every record.
     */
    private static void tearTheEpochLog(Path home) throws IOException {
        Path log = home.resolve("data/epochs.log");
        byte[] entries = Files.readAllBytes(log);
        int firstEntry = 4 + ByteBuffer.wrap(entries).getInt();
        assertThat(entries.length).as("epoch log entries").isGreaterThanOrEqualTo(firstEntry);
        Files.write(log, Arrays.copyOf(entries, firstEntry / 2), StandardOpenOption.APPEND);
    }

    /** One writer: publishes until told to stop; a failed request (the node died) is simply not acknowledged. */
    private void write(String url, SplittableRandom random, AtomicBoolean running) {
        while (running.get()) {
            byte[] payload = new byte[1 + random.nextInt(2048)];
            random.nextBytes(payload);
            String digest = sha256(payload);
            sent.add(digest);
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/records"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token)
                    .header("Bulwark-Label", LABEL)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 201) {
                    acknowledged.put(JSON.readTree(response.body()).path("id").asText(), digest);
                } else {
                    unexpected.add(response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                if (!killing) unexpected.add("I/O failure while the node was up: " + e);
                return; // the node is gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Checks the node just restarted, before any new write. Every acknowledged id is listed; the
     * records that appeared since the last check (what the killed run wrote, acknowledged or not) and
     * a random sample of older ones read back whole — all of them after the last kill — so the test
     * stays linear in the number of records; the startup sweep left one blob per record.
     */
    private void verifyAfterRestart(Path home, String when, Random random, boolean readAll) throws Exception {
        List<String> listed = listAll();
        assertThat(listed).as("%s: list pages", when).doesNotHaveDuplicates();
        assertThat(listed).as("%s: every acknowledged write is listed", when).containsAll(acknowledged.keySet());
        assertThat(verified).as("%s: records listed before are listed still", when).isSubsetOf(listed);

        List<String> toRead = new ArrayList<>(listed.stream().filter(id -> readAll || !verified.contains(id)).toList());
        List<String> older = new ArrayList<>(verified);
        Collections.shuffle(older, random);
        if (!readAll) toRead.addAll(older.subList(0, Math.min(OLDER_SAMPLE, older.size())));
        List<String> failures = new ArrayList<>();
        try (var readers = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore parallel = new Semaphore(4);
            List<Future<String>> results = new ArrayList<>();
            for (String id : toRead) {
                results.add(readers.submit(() -> {
                    parallel.acquire();
                    try {
                        return checkRecord(id);
                    } finally {
                        parallel.release();
                    }
                }));
            }
            for (Future<String> f : results) {
                String failure = f.get();
                if (failure != null) failures.add(failure);
            }
        }
        assertThat(failures).as("%s: records that do not read back whole", when).isEmpty();
        verified.addAll(listed);

        // The startup sweep left one blob per record and no partial write.
        Matcher m = SWEPT.matcher(node.stderr());
        assertThat(m.find()).as("%s: the sweep's report line in the node's log:%n%s", when, node.stderr()).isTrue();
        long examined = Long.parseLong(m.group(1));
        long orphans = Long.parseLong(m.group(2));
        orphansSwept += orphans;
        assertThat(m.group(3)).as("%s: replicas swept as misplaced on a node with one site", when).isEqualTo("0");
        partialWritesSwept += Long.parseLong(m.group(4));
        assertThat(examined - orphans).as("%s: blobs the sweep kept", when).isEqualTo(listed.size());
        try (Stream<Path> files = Files.walk(home.resolve("sites/default"))) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
            assertThat(names.stream().filter(n -> n.startsWith("."))).as("%s: partial writes on disk", when).isEmpty();
        }
        assertThat(io.bulwark.store.blob.FilesystemBlobStore.storedKeys(home.resolve("sites/default")))
                .as("%s: blobs on disk", when).hasSize(listed.size());
    }

    /** Null if the record reads back whole; else what is wrong. */
    private String checkRecord(String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records/" + id))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) return id + ": HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
        String digest = sha256(r.body());
        String expected = acknowledged.get(id);
        if (expected != null && !expected.equals(digest)) return id + ": payload digest " + digest + ", acknowledged " + expected;
        if (expected == null && !sent.contains(digest)) return id + ": a payload that was never sent (" + r.body().length + " bytes)";
        return null;
    }

    /** Every record id the loader may see, through all pages. */
    private List<String> listAll() throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            String q = "?limit=1000" + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v1/records" + q))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as("list: %s", new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            JsonNode page = JSON.readTree(r.body());
            page.path("items").forEach(item -> ids.add(item.path("id").asText()));
            cursor = page.hasNonNull("next") ? page.path("next").asText() : null;
        } while (cursor != null);
        return ids;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
