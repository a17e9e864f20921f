package io.bulwark.federation;

import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record goes with the epoch key statement its recipient needs to open it — the one for the
 * epoch under which it was sealed, which for a relabel or a re-seal is the epoch current then, not
 * the one of the record's creation time (which is kept). Real sealed records and statements;
 * the clock moves between sealing and sealing anew.
 */
class FeedStatementsTest {

    private static final PolicySet POLICIES = PolicySet.defaults();
    private static final String LABEL = "NATO SECRET//REL TO DEU, FRA";
    private static final String FRANCE = "fp-fra";

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        volatile Instant now = Instant.parse("2026-11-28T06:00:00Z");

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    @TempDir Path dir;
    final MovingClock clock = new MovingClock();
    final Map<String, HybridPublicKemKey> kemKeys = new ConcurrentHashMap<>();
    SqliteMetadataStore metadata;
    FilesystemBlobStore blobs;
    FederationState state;
    FeedCursors cursors;
    EpochKeyring epochs;
    RecordSealer sealer;
    Feed feed;

    @BeforeEach
    void open() throws Exception {
        metadata = new SqliteMetadataStore(dir.resolve("metadata.db"), clock);
        blobs = new FilesystemBlobStore(dir.resolve("blobs"));
        state = new FederationState(dir.resolve("federation.db"));
        cursors = FeedCursors.open(dir.resolve("cursor.key"));
        SigningKeyset signer = SigningKeyset.generate();
        kemKeys.put("DEU", KemKeyset.generate().primary());
        epochs = new EpochKeyring(signer, "DEU", "deu-1", n -> Optional.ofNullable(kemKeys.get(n)), Duration.ofHours(1), clock);
        sealer = new RecordSealer(POLICIES, signer, epochs, "DEU", "deu-1", clock);
        feed = new Feed("DEU", "deu-1", POLICIES, metadata, blobs, epochs::statements, state, cursors, new ChangeSignal(), clock, event -> {});
        // As the node's RecordService: the record sealed anew, with the same id, label and creation time.
        feed.granter((m, nation, opens) -> {
            try {
                SealedRecord old = SealedRecord.decode(blobs.open(m.blob().key()).orElseThrow().readAllBytes(), POLICIES);
                byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
                return Optional.of(sealer.sign(List.of(sealer.prepareRelabel(old.header(), old.label(), "", payload))).getFirst().encode());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @AfterEach
    void close() {
        state.close();
        blobs.close();
        metadata.close();
    }

    @Test
    void aRecordSealedAnewGoesWithTheStatementOfTheEpochItWasSealedUnder() throws Exception {
        // Sealed while this node did not know FRA's KEM key: no key access for FRA.
        SealedRecord early = sealer.seal(new RecordDraft(POLICIES.decode(LabelFormat.MARKING, LABEL), "", "text/plain", 7),
                "payload".getBytes(StandardCharsets.UTF_8));
        assertThat(SealedRecord.epochKeyFor(early.encode(), "FRA")).isEmpty();
        store(early);
        // Two hours later FRA's peer is introduced: the feed seals the record anew, in an epoch that starts now.
        clock.now = clock.now.plus(Duration.ofHours(2));
        kemKeys.put("FRA", KemKeyset.generate().primary());

        List<FeedFrame> frames = feedForFrance();

        byte[] sent = sent(frames);
        KeyId epoch = SealedRecord.epochKeyFor(sent, "FRA").orElseThrow();
        List<EpochKeyStatement> statements = statements(frames);
        assertThat(statements).extracting(EpochKeyStatement::epochKeyId).containsExactly(epoch);
        assertThat(statements.getFirst().notBefore()).isAfter(early.header().created().plus(Duration.ofHours(1)));
        assertThat(frames.indexOf(new FeedFrame.Statement(statements.getFirst()))).as("the statement before the record that needs it")
                .isLessThan(frames.indexOf(new FeedFrame.Record(sent)));
    }

    @Test
    void aRecordSealedForAKemKeyThePeersNodeNoLongerHasIsSealedAnewForTheKeyItHasNow() throws Exception {
        HybridPublicKemKey before = KemKeyset.generate().primary();
        kemKeys.put("FRA", before);
        SealedRecord r = sealer.seal(new RecordDraft(POLICIES.decode(LabelFormat.MARKING, LABEL), "", "text/plain", 7),
                "payload".getBytes(StandardCharsets.UTF_8));
        store(r);
        assertThat(sent(feedForFrance())).as("the node FRA had then: sent as stored").isEqualTo(r.encode());

        // FRA's node is made anew, with new keys, and pinned afresh.
        HybridPublicKemKey now = KemKeyset.generate().primary();
        kemKeys.put("FRA", now);
        List<FeedFrame> frames = feedForFrance();

        byte[] sent = sent(frames);
        assertThat(SealedRecord.decode(sent, POLICIES).id()).isEqualTo(r.id());
        KeyId epoch = SealedRecord.epochKeyFor(sent, "FRA").orElseThrow();
        assertThat(epoch).isNotEqualTo(SealedRecord.epochKeyFor(r.encode(), "FRA").orElseThrow());
        assertThat(statements(frames)).singleElement().satisfies(s -> {
            assertThat(s.epochKeyId()).isEqualTo(epoch);
            assertThat(s.recipientKemKey()).isEqualTo(now.keyId());
        });
    }

    @Test
    void aResponseNamesAsUsedOnlyTheEpochsItsRecordsAreSealedUnderForTheReceiver() throws Exception {
        kemKeys.put("FRA", KemKeyset.generate().primary());
        SealedRecord r = sealer.seal(new RecordDraft(POLICIES.decode(LabelFormat.MARKING, LABEL), "", "text/plain", 7),
                "payload".getBytes(StandardCharsets.UTF_8));
        KeyId forFrance = SealedRecord.epochKeyFor(r.encode(), "FRA").orElseThrow();
        EpochKeyStatement unused = epochs.statements().stream().filter(s -> s.recipientNation().equals("DEU")).findFirst().orElseThrow();
        List<FeedFrame> frames = List.of(new FeedFrame.Statement(unused), new FeedFrame.Record(r.encode()),
                new FeedFrame.Record("not a record".getBytes(StandardCharsets.UTF_8)), new FeedFrame.End("c"));

        assertThat(FeedFrame.epochsUsed(frames, "FRA")).containsExactly(forFrance);
        assertThat(FeedFrame.epochsUsed(frames, "USA")).as("no key access for USA").isEmpty();
        assertThat(FeedFrame.epochsUsed(List.of(new FeedFrame.Statement(unused), new FeedFrame.End("c")), "FRA")).isEmpty();
    }

    /** What the feed has for FRA's node, as its identity is now (its KEM key the one {@link #kemKeys} holds). */
    private List<FeedFrame> feedForFrance() throws Exception {
        NodeIdentity france = new NodeIdentity("FRA", "fra-1", FRANCE, List.of(), kemKeys.get("FRA"),
                List.of(new NodeIdentity.StorageSite("default", "local", "FRA", "FRA")));
        return feed.next(FRANCE, () -> france, cursors.token(FRANCE, 0), null, Duration.ZERO, () -> true).frames();
    }

    private static byte[] sent(List<FeedFrame> frames) {
        return frames.stream().filter(f -> f instanceof FeedFrame.Record).map(f -> ((FeedFrame.Record) f).sealed()).findFirst().orElseThrow();
    }

    private static List<EpochKeyStatement> statements(List<FeedFrame> frames) {
        return frames.stream().filter(f -> f instanceof FeedFrame.Statement).map(f -> ((FeedFrame.Statement) f).statement()).toList();
    }

    private void store(SealedRecord r) {
        BlobRef blob = blobs.put(r.id().toString(), new ByteArrayInputStream(r.encode()));
        var compiled = POLICIES.compile(r.label());
        metadata.insert(new RecordMetadata(r.id().toString(), "DEU", "deu-1", r.header().created(), "text/plain", 7, r.contentDigest(),
                new LabelMetadata(compiled.json(), "NATO", "SECRET", List.of("DEU", "FRA")), "", blob, Optional.empty())).orElseThrow();
    }
}
