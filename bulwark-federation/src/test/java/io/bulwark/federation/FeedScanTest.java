package io.bulwark.federation;

import io.bulwark.label.PolicySet;
import io.bulwark.store.BlobRef;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.LabelMetadata;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a feed reads of a change log that also holds records this node received (docs/federation.md,
 * "What goes to whom"): only this node's own entries count, every other origin's entry is passed
 * over — and the cursor moves past it all the same, so the next request does not read it again.
 */
class FeedScanTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T07:00:00Z"), ZoneOffset.UTC);
    private static final List<NodeIdentity.StorageSite> STORAGE = List.of(new NodeIdentity.StorageSite("default", "local", "FRA", "FRA"));
    private static final NodeIdentity FRANCE = new NodeIdentity("FRA", "fra-1", "fp-fra", List.of(), null, STORAGE);
    private static final NodeIdentity BRITAIN = new NodeIdentity("GBR", "gbr-1", "fp-gbr", List.of(), null, STORAGE);

    @TempDir Path dir;
    SqliteMetadataStore metadata;
    FilesystemBlobStore blobs;
    FederationState state;
    FeedCursors cursors;
    Feed feed;
    final Random random = new Random(27);
    long created = CLOCK.millis() - 3_600_000;

    @BeforeEach
    void open() throws Exception {
        metadata = new SqliteMetadataStore(dir.resolve("metadata.db"), CLOCK);
        blobs = new FilesystemBlobStore(dir.resolve("blobs"));
        state = new FederationState(dir.resolve("federation.db"));
        cursors = FeedCursors.open(dir.resolve("cursor.key"));
        feed = new Feed("DEU", "deu-1", PolicySet.defaults(), metadata, blobs, List::of, state, cursors, new ChangeSignal(), CLOCK,
                event -> {});
    }

    @AfterEach
    void close() {
        state.close();
        blobs.close();
        metadata.close();
    }

    @Test
    void otherOriginsEntriesAreSkippedAndTheCursorMovesPastThem() throws Exception {
        RecordMetadata own1 = publish("DEU", "deu-1", 100);
        RecordMetadata polish = publish("POL", "pol-1", 100);
        RecordMetadata sameNationOtherNode = publish("DEU", "deu-2", 100);
        RecordMetadata own2 = publish("DEU", "deu-1", 100);
        publish("POL", "pol-1", 100);
        publish("POL", "pol-1", 100); // the log ends on other origins' entries

        List<FeedFrame> frames = request(FRANCE, 0);

        assertThat(records(frames)).containsExactly(own1.id(), own2.id());
        assertThat(end(FRANCE, frames)).as("past the other origins' entries at the end").isEqualTo(metadata.lastSeq());
        assertThat(state.holds(FRANCE.tlsFingerprint(), own2.id())).isTrue();
        assertThat(state.holds(FRANCE.tlsFingerprint(), polish.id())).isFalse();
        assertThat(state.holds(FRANCE.tlsFingerprint(), sameNationOtherNode.id())).isFalse();

        List<FeedFrame> again = request(FRANCE, end(FRANCE, frames));
        assertThat(again).hasSize(1).first().isInstanceOf(FeedFrame.End.class);
        assertThat(end(FRANCE, again)).isEqualTo(metadata.lastSeq());
        assertThat(feed.lag(FRANCE.tlsFingerprint(), FRANCE)).isEqualTo(new Feed.Lag(0, Optional.empty(), false));
    }

    @Test
    void aStretchOfOtherOriginsLongerThanOneReadIsPassedInOneRequest() throws Exception {
        List<RecordMetadata> received = new ArrayList<>();
        for (int i = 0; i < 2 * Feed.SCAN + 500; i++) {
            received.add(record(uuid7(++created), "POL", "pol-1", new BlobRef("pol-" + i, 1, hex(32)), label("DEU", "FRA")));
        }
        metadata.insertAll(received).forEach(r -> r.orElseThrow());
        RecordMetadata own = publish("DEU", "deu-1", 100);
        long ownSeq = metadata.lastSeq();
        for (int i = 0; i < 10; i++) publish("POL", "pol-1", 10);

        Feed.Lag lag = feed.lag(FRANCE.tlsFingerprint(), FRANCE);
        assertThat(lag.records()).isEqualTo(1);
        assertThat(lag.capped()).isFalse();
        assertThat(lag.oldest()).contains(metadata.changesSince(ownSeq - 1, 1).getFirst().at());

        List<FeedFrame> frames = request(FRANCE, 0);
        assertThat(records(frames)).containsExactly(own.id());
        assertThat(end(FRANCE, frames)).isEqualTo(metadata.lastSeq());

        request(FRANCE, end(FRANCE, frames)); // acknowledges it
        assertThat(feed.lag(FRANCE.tlsFingerprint(), FRANCE).records()).isZero();
    }

    @Test
    void aFullResponseEndsAfterItsLastRecordAndTheNextTakesUpFromThere() throws Exception {
        int size = 3 * 1024 * 1024; // three of them pass MAX_RESPONSE_BYTES
        RecordMetadata a = publish("DEU", "deu-1", size);
        publish("POL", "pol-1", 10);
        RecordMetadata b = publish("DEU", "deu-1", size);
        RecordMetadata c = publish("DEU", "deu-1", size);
        long cSeq = metadata.lastSeq();
        publish("POL", "pol-1", 10);
        publish("POL", "pol-1", 10);
        RecordMetadata d = publish("DEU", "deu-1", size);
        publish("POL", "pol-1", 10);

        List<FeedFrame> first = request(FRANCE, 0);
        assertThat(records(first)).containsExactly(a.id(), b.id(), c.id());
        assertThat(end(FRANCE, first)).as("the response is full: it ends at its last record").isEqualTo(cSeq);

        List<FeedFrame> second = request(FRANCE, cSeq);
        assertThat(records(second)).containsExactly(d.id());
        assertThat(end(FRANCE, second)).isEqualTo(metadata.lastSeq());
    }

    /**
     * A record that cannot be read now (its bytes damaged, its sites out of reach) is never passed
     * over: the response ends before it, a request that would start with it is refused as unavailable,
     * and once it reads again the feed goes on from it.
     */
    @Test
    void aRecordThatCannotBeReadStopsThePeersFeedBeforeItNotPastIt() throws Exception {
        RecordMetadata a = publish("DEU", "deu-1", 100);
        long aSeq = metadata.lastSeq();
        RecordMetadata b = publish("DEU", "deu-1", 100);
        RecordMetadata c = publish("DEU", "deu-1", 100);
        Path segment;
        long at;
        try (var files = Files.walk(dir.resolve("blobs"))) { // the packed bytes begin with the record's id
            byte[] id = b.id().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            segment = null;
            at = -1;
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] all = Files.readAllBytes(f);
                for (int i = 0; i + id.length <= all.length && at < 0; i++) {
                    if (java.util.Arrays.equals(all, i, i + id.length, id, 0, id.length) && i + 60 < all.length && all[i + 36] != 0) {
                        segment = f;
                        at = i + 50;
                    }
                }
                if (at >= 0) break;
            }
        }
        assertThat(segment).as("b's packed bytes").isNotNull();
        flip(segment, at);

        List<FeedFrame> first = request(FRANCE, 0);
        assertThat(records(first)).containsExactly(a.id());
        assertThat(end(FRANCE, first)).as("ends before b").isEqualTo(aSeq);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> request(FRANCE, aSeq)).isInstanceOf(Feed.Unavailable.class)
                .hasMessage("record " + b.id() + " cannot be read now");

        flip(segment, at); // repaired
        blobs.delete(c.id()); // and c's bytes gone from every site, its row still there: not passed over either
        List<FeedFrame> next = request(FRANCE, aSeq);
        assertThat(records(next)).containsExactly(b.id());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> request(FRANCE, end(FRANCE, next))).isInstanceOf(Feed.Unavailable.class)
                .hasMessage("record " + c.id() + " cannot be read now");
    }

    private static void flip(Path file, long at) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
            ch.write(one, at);
        }
    }

    @Test
    void aRecordRelabelledAwayIsWithdrawnOnlyFromAPeerThatWasSentIt() throws Exception {
        RecordMetadata own = publish("DEU", "deu-1", 100, "DEU", "FRA", "GBR");
        publish("POL", "pol-1", 100);
        long sent = end(FRANCE, request(FRANCE, 0));
        metadata.relabel(own.id(), label("DEU"), own.blob(), own.contentDigest()).orElseThrow();
        publish("POL", "pol-1", 100);

        List<FeedFrame> toFrance = request(FRANCE, sent);
        assertThat(toFrance).hasSize(2).first().isEqualTo(new FeedFrame.Withdraw(own.id()));
        assertThat(end(FRANCE, toFrance)).isEqualTo(metadata.lastSeq());

        List<FeedFrame> toBritain = request(BRITAIN, 0); // never sent it: nothing of it, not even its id
        assertThat(toBritain).hasSize(1).first().isInstanceOf(FeedFrame.End.class);
        assertThat(end(BRITAIN, toBritain)).isEqualTo(metadata.lastSeq());
    }

    @Test
    void aRecordWhoseLabelThePoliciesNoLongerReadIsNeitherSentNorWithdrawnAndTheFeedGoesOn() throws Exception {
        RecordMetadata own = publish("DEU", "deu-1", 100, "DEU", "FRA");
        long sent = end(FRANCE, request(FRANCE, 0));
        LabelMetadata unreadable = new LabelMetadata(label("DEU", "FRA").json().replace("SECRET", "ULTRA"), "NATO", "ULTRA", List.of("DEU", "FRA"));
        metadata.relabel(own.id(), unreadable, own.blob(), own.contentDigest()).orElseThrow();
        RecordMetadata next = publish("DEU", "deu-1", 100, "DEU", "FRA");

        List<FeedFrame> toFrance = request(FRANCE, sent);
        assertThat(toFrance).as("a policy file broken for a while deletes nothing at peers").noneMatch(f -> f instanceof FeedFrame.Withdraw);
        assertThat(records(toFrance)).containsExactly(next.id());
        assertThat(end(FRANCE, toFrance)).isEqualTo(metadata.lastSeq());
        assertThat(state.holds(FRANCE.tlsFingerprint(), own.id())).isTrue();
    }

    @Test
    void aRecordPassedOverWhileThePoliciesDidNotReadItIsOfferedAgainAtTheFirstStartWhosePoliciesDo() throws Exception {
        RecordMetadata own = publish("DEU", "deu-1", 100, "DEU", "FRA");
        PolicySet withoutNato = PolicySet.of(PolicySet.defaults().policies().stream().filter(p -> !p.name().equals("NATO")).toList());
        feed = new Feed("DEU", "deu-1", withoutNato, metadata, blobs, List::of, state, cursors, new ChangeSignal(), CLOCK, event -> {});
        feed.reissuePassedOver();
        assertThat(metadata.lastSeq()).as("nothing to reissue yet").isEqualTo(1);

        List<FeedFrame> passed = request(FRANCE, 0);
        assertThat(records(passed)).isEmpty();
        assertThat(end(FRANCE, passed)).as("the cursor moves past it").isEqualTo(1);
        assertThat(state.passedOver()).containsExactly(own.id());

        // Restarted with policies that still do not read it: kept for a later start.
        feed = new Feed("DEU", "deu-1", withoutNato, metadata, blobs, List::of, state, cursors, new ChangeSignal(), CLOCK, event -> {});
        feed.reissuePassedOver();
        assertThat(state.passedOver()).containsExactly(own.id());
        assertThat(metadata.lastSeq()).isEqualTo(1);

        feed = new Feed("DEU", "deu-1", PolicySet.defaults(), metadata, blobs, List::of, state, cursors, new ChangeSignal(), CLOCK, event -> {});
        feed.reissuePassedOver();
        assertThat(state.passedOver()).isEmpty();
        assertThat(metadata.lastSeq()).isEqualTo(2);
        List<FeedFrame> again = request(FRANCE, 1);
        assertThat(records(again)).containsExactly(own.id());
        assertThat(metadata.find(own.id()).orElseThrow()).as("the record itself is unchanged").isEqualTo(own);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** One request with wait=0, acknowledging its cursor. */
    private List<FeedFrame> request(NodeIdentity peer, long cursor) throws InterruptedException {
        return feed.next(peer.tlsFingerprint(), () -> peer, cursors.token(peer.tlsFingerprint(), cursor), null, Duration.ZERO, () -> true)
                .frames();
    }

    private long end(NodeIdentity peer, List<FeedFrame> frames) {
        return cursors.seq(peer.tlsFingerprint(), ((FeedFrame.End) frames.getLast()).cursor());
    }

    /** The records a response carries, by id (each record's bytes here start with its id). */
    private static List<String> records(List<FeedFrame> frames) {
        return frames.stream().filter(f -> f instanceof FeedFrame.Record).map(f -> new String(((FeedFrame.Record) f).sealed(), 0, 36,
                java.nio.charset.StandardCharsets.US_ASCII)).toList();
    }

    /** A record of this origin with {@code size} bytes stored, released to {@code releasedTo} (DEU and FRA if none). */
    private RecordMetadata publish(String nation, String node, int size, String... releasedTo) {
        String id = uuid7(++created);
        byte[] sealed = new byte[Math.max(size, 36)];
        random.nextBytes(sealed);
        System.arraycopy(id.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, sealed, 0, 36);
        BlobRef blob = blobs.put(id, new ByteArrayInputStream(sealed));
        RecordMetadata r = record(id, nation, node, blob, label(releasedTo.length == 0 ? new String[] {"DEU", "FRA"} : releasedTo));
        metadata.insert(r).orElseThrow();
        return r;
    }

    private RecordMetadata record(String id, String nation, String node, BlobRef blob, LabelMetadata label) {
        return new RecordMetadata(id, nation, node, Instant.ofEpochMilli(created), "application/octet-stream", blob.size(), hex(32), label,
                "", blob, Optional.empty());
    }

    private static LabelMetadata label(String... releasedTo) {
        String values = String.join(",", List.of(releasedTo).stream().map(v -> "\"" + v + "\"").toList());
        return new LabelMetadata("{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[{\"type\":\"PERMISSIVE\","
                + "\"tagName\":\"Releasable To\",\"values\":[" + values + "]}]}", "NATO", "SECRET", List.of(releasedTo));
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private String uuid7(long millis) {
        long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
        long lsb = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        String hex = String.format("%016x%016x", msb, lsb);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-"
                + hex.substring(20);
    }
}
