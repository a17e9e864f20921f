package io.bulwark.audit;

import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.audit.AuditVerification.Intact;
import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditLogTest {

    static final SigningKeyset KEYS = SigningKeyset.generate();
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    @TempDir
    Path dir;

    static AuditEvent event(int i) {
        return new AuditEvent(Type.values()[i % Type.values().length], T0.plusSeconds(i), "user-" + (i % 7),
                Optional.of("record-" + i), i % 5 == 0 ? Outcome.DENIED : Outcome.SUCCESS, Map.of("n", Integer.toString(i)));
    }

    static AuditLog open(Path file) {
        return new AuditLog(file, KEYS, Duration.ZERO, Clock.systemUTC());
    }

    @Test
    void appendsProveAndReopenWithTheSameRoot() throws Exception {
        Path file = dir.resolve("audit.db");
        List<SignedTreeHead> heads = new ArrayList<>();
        byte[] root;
        try (AuditLog log = open(file)) {
            assertThat(log.size()).isZero();
            for (int i = 0; i < 100; i++) {
                assertThat(log.append(event(i))).isEqualTo(i);
                if (i % 17 == 16) heads.add(log.signTreeHead());
            }
            assertThat(log.appendAll(List.of(event(100), event(101)))).isEqualTo(100);
            root = log.rootHash();
            assertThat(log.rootHash(log.size())).isEqualTo(root);
            assertThat(log.entry(5)).get().satisfies(e -> {
                assertThat(e.event()).isEqualTo(event(5));
                assertThat(e.leafHash()).isEqualTo(AuditProofs.leafHash(e.leaf()));
            });
            assertThat(log.entry(102)).isEmpty();

            // Every stored proof verifies against a signed head, as a partner would check it.
            for (SignedTreeHead head : heads) {
                head.verify(KEYS.publicKeys());
                for (long i = 0; i < head.treeSize(); i++) {
                    InclusionProof p = log.inclusionProof(i, head.treeSize());
                    AuditProofs.verifyInclusion(log.entry(i).orElseThrow().leafHash(), i, head.treeSize(), p.path(), head.rootHash());
                }
                for (SignedTreeHead later : heads) {
                    if (later.treeSize() >= head.treeSize()) {
                        ConsistencyProof c = log.consistencyProof(head.treeSize(), later.treeSize());
                        AuditProofs.verifyConsistency(head.treeSize(), later.treeSize(), head.rootHash(), later.rootHash(), c.path());
                    }
                }
            }
            assertThatThrownBy(() -> log.inclusionProof(0, 103)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tree size 103 must lie between 1 and the log's size 102");
            assertThatThrownBy(() -> log.consistencyProof(5, 4)).isInstanceOf(IllegalArgumentException.class);
        }
        try (AuditLog log = open(file)) {
            assertThat(log.size()).isEqualTo(102);
            assertThat(log.rootHash()).isEqualTo(root);
            // close() signed a final head over everything.
            assertThat(log.latestTreeHead()).get().satisfies(h -> {
                assertThat(h.treeSize()).isEqualTo(102);
                assertThat(h.rootHash()).isEqualTo(root);
            });
            assertThat(log.treeHead(heads.getFirst().treeSize())).contains(heads.getFirst());
            assertThat(log.append(event(102))).isEqualTo(102);
            assertThat(log.verify()).isEqualTo(new Intact(103, 102, heads.size() + 1));
        }
    }

    @Test
    void concurrentAppendsGetDistinctContiguousIndexes() throws Exception {
        Path file = dir.resolve("audit.db");
        ConcurrentLinkedQueue<Long> indexes = new ConcurrentLinkedQueue<>();
        int threads = 64;
        int each = 50;
        try (AuditLog log = new AuditLog(file, KEYS, Duration.ofMillis(20), Clock.systemUTC())) {
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    executor.submit(() -> {
                        for (int i = 0; i < each; i++) {
                            indexes.add(log.append(event(thread * each + i)));
                        }
                        return null;
                    });
                }
            } // waits for every appender
            assertThat(log.size()).isEqualTo((long) threads * each);
        }
        assertThat(indexes).containsExactlyInAnyOrderElementsOf(LongStream.range(0, threads * each).boxed().toList());
        var result = AuditVerifier.verify(file, KEYS.publicKeys());
        assertThat(result).isInstanceOfSatisfying(Intact.class, i -> {
            assertThat(i.entries()).isEqualTo(threads * each);
            assertThat(i.signedEntries()).isEqualTo(threads * each);
            assertThat(i.treeHeads()).isPositive(); // the 20 ms signer and close()
        });
    }

    @Test
    void exportWritesOneLinePerEntryWithItsLeafHash() throws Exception {
        Path file = dir.resolve("audit.db");
        try (AuditLog log = open(file)) {
            for (int i = 0; i < 10; i++) log.append(event(i));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            assertThat(log.export(all, Optional.empty())).isEqualTo(10);
            List<String> lines = all.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(lines).hasSize(10);
            String entry = new String(log.entry(3).orElseThrow().leaf(), StandardCharsets.UTF_8);
            assertThat(lines.get(3)).isEqualTo("{\"index\":3,\"leafHash\":\""
                    + java.util.HexFormat.of().formatHex(log.entry(3).orElseThrow().leafHash()) + "\",\"entry\":" + entry + "}");
            ByteArrayOutputStream recent = new ByteArrayOutputStream();
            assertThat(log.export(recent, Optional.of(T0.plusSeconds(7)))).isEqualTo(3);
            assertThat(recent.toString(StandardCharsets.UTF_8)).startsWith("{\"index\":7,");
        }
    }

    @Test
    void exchangesWithAPeerAreFoundHoweverManyOtherEntriesTheRecordHas() throws Exception {
        try (AuditLog log = open(dir.resolve("audit.db"))) {
            List<AuditEvent> reads = new ArrayList<>();
            for (int i = 0; i < 30; i++) reads.add(new AuditEvent(Type.READ, T0.plusSeconds(i), "bob", Optional.of("rec"), Outcome.SUCCESS, Map.of()));
            log.appendAll(reads);
            log.append(new AuditEvent(Type.SHARED, T0.plusSeconds(40), "peer:FRA", Optional.of("rec"), Outcome.SUCCESS, Map.of("peer", "FRA")));
            log.append(new AuditEvent(Type.SHARED, T0.plusSeconds(41), "peer:USA", Optional.of("rec"), Outcome.SUCCESS, Map.of("peer", "USA")));
            log.append(new AuditEvent(Type.RECEIVED, T0.plusSeconds(42), "peer:FRA", Optional.of("other"), Outcome.SUCCESS, Map.of("peer", "FRA")));
            // A limit smaller than the record's reads: the exchange is still found.
            assertThat(log.exchangesAbout("rec", "FRA", 10)).extracting(AuditEntry::index).containsExactly(30L);
            assertThat(log.exchangesAbout("rec", "USA", 10)).extracting(AuditEntry::index).containsExactly(31L);
            assertThat(log.exchangesAbout("rec", "GBR", 10)).isEmpty();
            // Reading by time is bounded by index: nothing at or past 'to' is read.
            assertThat(log.entries(0, 10, 100, Optional.empty())).hasSize(10);
            assertThat(log.entries(5, 10, 100, Optional.of(T0.plusSeconds(7)))).extracting(AuditEntry::index).containsExactly(7L, 8L, 9L);
            assertThat(log.entries(0, 10, 100, Optional.of(T0.plusSeconds(3600)))).isEmpty();
        }
    }

    @Test
    void appendLaterKeepsCallOrderAndEntriesAreFoundByRangeAndTime() throws Exception {
        Path file = dir.resolve("audit.db");
        try (AuditLog log = open(file)) {
            List<java.util.concurrent.CompletableFuture<Long>> queued = new ArrayList<>();
            for (int i = 0; i < 20; i++) queued.add(log.appendLater(event(i)));
            for (int i = 0; i < 20; i++) assertThat(queued.get(i).get()).isEqualTo(i);
            log.append(new AuditEvent(Type.READ, T0.plusSeconds(30), "bob", Optional.of("record-3"), Outcome.SUCCESS, Map.of()));
            assertThat(log.entries(5, 3, Optional.empty())).extracting(AuditEntry::index).containsExactly(5L, 6L, 7L);
            assertThat(log.entries(0, 100, Optional.of(T0.plusSeconds(18)))).extracting(AuditEntry::index).containsExactly(18L, 19L, 20L);
            // The file alone, beside the open log: what the CLI does while the node runs.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(AuditLog.export(file, out, Optional.of(T0.plusSeconds(19)))).isEqualTo(2);
        }
    }

    @Test
    void treeHeadsAreSignedOverTheDomainSeparatedInput() throws Exception {
        try (AuditLog log = open(dir.resolve("audit.db"))) {
            log.append(event(0));
            SignedTreeHead head = log.signTreeHead();
            assertThat(log.signTreeHead()).isEqualTo(head); // nothing new: the same head
            byte[] input = head.signingInput();
            assertThat(input).hasSize(68);
            assertThat(new String(input, 0, 20, StandardCharsets.US_ASCII)).isEqualTo("bulwark-audit-sth-v1");
            head.verify(KEYS.publicKeys());
            SignedTreeHead otherTime = new SignedTreeHead(head.treeSize(), head.rootHash(), head.timestamp().plusMillis(1), head.signature());
            assertThatThrownBy(() -> otherTime.verify(KEYS.publicKeys())).isInstanceOf(SignatureException.class);
            assertThatThrownBy(() -> head.verify(SigningKeyset.generate().publicKeys())).isInstanceOf(SignatureException.class);
        }
    }

    @Test
    void aClosedLogRefusesAppends() {
        AuditLog log = open(dir.resolve("audit.db"));
        log.close();
        log.close();
        assertThatThrownBy(() -> log.append(event(0))).isInstanceOf(AuditException.class).hasMessageContaining("it is closed");
    }

    @Test
    void eventsAreValidatedWithPreciseErrors() {
        assertThatThrownBy(() -> AuditEvent.of(Type.READ, T0, "", Outcome.SUCCESS))
                .isInstanceOf(InvalidAuditEventException.class)
                .hasMessage("audit event actor: must be 1 to 256 characters, found 0");
        assertThatThrownBy(() -> AuditEvent.of(Type.READ, T0, "eve\nforged line", Outcome.SUCCESS))
                .hasMessage("audit event actor: character 3 is the control character U+000A; control characters are not allowed");
        assertThatThrownBy(() -> AuditEvent.of(Type.READ, T0, "x\uD800", Outcome.SUCCESS))
                .hasMessage("audit event actor: character 1 is an unpaired surrogate U+D800; text must be valid Unicode");
        assertThatThrownBy(() -> new AuditEvent(Type.READ, T0, "a", Optional.empty(), Outcome.SUCCESS, Map.of("Peer", "x")))
                .hasMessage("audit event details key \"Peer\": must be a lower-case letter then up to 63 of [a-z0-9._-]");
        assertThatThrownBy(() -> AuditEvent.of(Type.READ, Instant.parse("+10000-01-01T00:00:00Z"), "a", Outcome.SUCCESS))
                .hasMessageStartingWith("audit event time: must lie between 1970 and the end of 9999");
        assertThat(AuditEvent.of(Type.READ, T0.plusNanos(1_500_000), "a", Outcome.SUCCESS).time()).isEqualTo(T0.plusMillis(1));
    }
}
