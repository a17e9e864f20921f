package io.bulwark.node;

import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.Keystore;
import io.bulwark.federation.NodeIdentity;
import io.bulwark.federation.PeerStatus;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.store.RecordState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 7, "Keys": DEU rotates its keys while it and its peer FRA run; every record, old and new,
 * stays readable at both, across restarts; a keystore swapped for an unrelated one is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyRotationNodeTest {

    private static final Duration SHARE = Duration.ofSeconds(30);
    private static final String BOTH = "NATO SECRET//REL TO DEU, FRA";
    Federated nations;
    RotationResult rotation;
    HybridPublicSigningKey firstKey;
    String kept;
    String retracted;
    String fromFra;
    String after;
    String fromFraAfter;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA"));
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    private String publish(String origin, String text) {
        return nations.node(origin).records().publish(analyst(origin), BOTH, "", "text/plain", text.getBytes(StandardCharsets.UTF_8)).id();
    }

    private String read(String nation, String id) {
        return nations.node(nation).records().read(analyst(nation), id).map(o -> new String(o.payload(), StandardCharsets.UTF_8)).orElse(null);
    }

    private void awaitEverywhere(String... ids) throws InterruptedException {
        nations.await("DEU and FRA read " + List.of(ids), SHARE, () -> {
            for (String id : ids) if (read("DEU", id) == null || read("FRA", id) == null) return false;
            return true;
        });
    }

    private NodeIdentity deuAtFra() {
        return nations.node("FRA").peerIdentity("DEU").orElseThrow();
    }

    @Test
    @Order(1)
    void recordsBeforeAndAfterALiveRotationReadAtTheNodeAndItsPeer() throws Exception {
        kept = publish("DEU", "before, kept");
        retracted = publish("DEU", "before, retracted later");
        fromFra = publish("FRA", "from FRA before");
        awaitEverywhere(kept, retracted, fromFra);
        firstKey = deuAtFra().signingKeys().getFirst();

        rotation = nations.node("DEU").keyRotator().rotate("officer-1@DEU");

        assertThat(rotation.previousSigningKey()).isEqualTo(firstKey.fingerprint().toString()).isNotEqualTo(rotation.newSigningKey());
        after = publish("DEU", "after");
        // FRA learns DEU's new identity with its next feed response; its epochs to DEU follow from then on.
        nations.await("FRA pins DEU's new KEM key", SHARE, () -> deuAtFra().kemKey().fingerprint().toString().equals(rotation.newKemKey()));
        fromFraAfter = publish("FRA", "from FRA after");
        awaitEverywhere(kept, retracted, fromFra, after, fromFraAfter);
        assertThat(read("FRA", after)).isEqualTo("after");
        assertThat(read("DEU", kept)).isEqualTo("before, kept");
    }

    @Test
    @Order(2)
    void thePeerPinnedBothSigningKeysAndEncapsulatesToTheNewKemKey() throws Exception {
        NodeIdentity pinned = deuAtFra();
        assertThat(pinned.signingKeys()).extracting(k -> k.fingerprint().toString())
                .containsExactly(rotation.previousSigningKey(), rotation.newSigningKey());
        assertThat(pinned.kemKey().fingerprint().toString()).isEqualTo(rotation.newKemKey());
        assertThat(pinned.rotations()).hasSize(1);
        // FRA's latest epoch for DEU went to DEU's new KEM key (the encapsulation names it by key id: u16 algorithm, 8-byte id).
        EpochKeyStatement latest = EpochLog.read(nations.homes.get("FRA").epochLog()).stream()
                .filter(s -> s.originNation().equals("FRA") && s.recipientNation().equals("DEU")).toList().getLast();
        assertThat(HexFormat.of().formatHex(latest.encapsulation(), 2, 10)).isEqualTo(rotation.newKemKey().substring(0, 16));
        // DEU's own-nation epoch moved to its new KEM key too.
        EpochKeyStatement own = EpochLog.read(nations.homes.get("DEU").epochLog()).stream()
                .filter(s -> s.originNation().equals("DEU") && s.recipientNation().equals("DEU")).toList().getLast();
        assertThat(HexFormat.of().formatHex(own.encapsulation(), 2, 10)).isEqualTo(rotation.newKemKey().substring(0, 16));
        // FRA still counts DEU's first KEM key, which no rotation statement names: statements made for it open at DEU.
        assertThat(pinned.kemKeys()).contains(firstFraStatementToDeu().recipientKemKey()).hasSize(2);
    }

    private EpochKeyStatement firstFraStatementToDeu() throws Exception {
        return EpochLog.read(nations.homes.get("FRA").epochLog()).stream()
                .filter(s -> s.originNation().equals("FRA") && s.recipientNation().equals("DEU")).findFirst().orElseThrow();
    }

    @Test
    @Order(3)
    void aRetractionSignedWithTheNewKeyIsAcceptedAtThePeer() throws Exception {
        assertThat(nations.node("DEU").records().retract(analyst("DEU"), retracted)).isTrue();
        nations.await("FRA drops it", SHARE, () -> nations.node("FRA").metadata().find(retracted)
                .filter(m -> m.state() == RecordState.RETRACTED).isPresent());
        assertThat(read("FRA", retracted)).isNull();
    }

    @Test
    @Order(4)
    void afterRestartingBothEveryRecordStillReads() throws Exception {
        nations.stop("DEU");
        nations.stop("FRA");
        nations.restart("DEU");
        nations.restart("FRA");
        for (String nation : List.of("DEU", "FRA")) {
            assertThat(read(nation, kept)).isEqualTo("before, kept");
            assertThat(read(nation, after)).isEqualTo("after");
            assertThat(read(nation, fromFra)).isEqualTo("from FRA before");
            assertThat(read(nation, fromFraAfter)).isEqualTo("from FRA after");
        }
        assertThat(deuAtFra().signingKeys()).hasSize(2);
        assertThat(deuAtFra().kemKeys()).as("kept across FRA's restart").contains(firstFraStatementToDeu().recipientKemKey()).hasSize(2);
        String later = publish("DEU", "after the restart");
        awaitEverywhere(later);
    }

    @Test
    @Order(5)
    void aKemKeyChangedWithoutARotationStatementIsRefusedByThePeer() throws Exception {
        nations.stop("DEU");
        NodeHome deu = nations.homes.get("DEU");
        Keystore before = Keystore.open(deu.keystore(), deu.passphrase());
        Keystore newKem = new Keystore(before.signing(), io.bulwark.crypto.KemKeyset.generate());
        newKem.write(deu.keystore(), deu.passphrase());
        nations.restart("DEU");
        String unbacked = newKem.kem().primary().fingerprint().toString();
        nations.await("FRA refuses DEU's new KEM key", SHARE, () -> nations.node("FRA").peers().stream()
                .filter(s -> s.nation().equals("DEU")).findFirst()
                .filter(s -> s.lastError().orElse("").contains("KEM key " + unbacked + " is neither pinned nor reached")).isPresent());
        assertThat(deuAtFra().kemKey().fingerprint().toString()).isEqualTo(rotation.newKemKey());

        nations.stop("DEU");
        before.write(deu.keystore(), deu.passphrase());
        nations.restart("DEU");
        nations.await("FRA takes DEU's identity again", SHARE, () -> nations.node("FRA").peers().stream()
                .filter(s -> s.nation().equals("DEU")).findFirst().filter(s -> s.state().equals("connected")).isPresent());
    }

    @Test
    @Order(6)
    void aKeystoreSwappedForAnUnrelatedOneIsRefusedByThePeer() throws Exception {
        List<HybridPublicSigningKey> pinnedBefore = deuAtFra().signingKeys();
        nations.stop("DEU");
        NodeHome deu = nations.homes.get("DEU");
        Keystore forged = Keystore.generate();
        forged.write(deu.keystore(), deu.passphrase()); // same TLS certificate, same chain file: only the keys are foreign
        // The node's own audit log no longer verifies with these keys: it refuses to start on it.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> nations.restart("DEU")).isInstanceOf(io.bulwark.audit.AuditException.class)
                .hasMessageContaining("is not signed by this node's keys");
        // Set aside, as an operator would have to, the node starts with the foreign keys; its peer must refuse them.
        for (String suffix : List.of("", "-wal", "-shm")) {
            java.nio.file.Path f = java.nio.file.Path.of(deu.auditLog() + suffix);
            if (java.nio.file.Files.exists(f)) java.nio.file.Files.move(f, java.nio.file.Path.of(f + ".set-aside"));
        }
        nations.restart("DEU");
        String forgedRecord = publish("DEU", "signed by a key FRA never pinned");

        String unpinned = forged.signing().primary().fingerprint().toString();
        nations.await("FRA refuses DEU's new identity", SHARE, () -> nations.node("FRA").peers().stream()
                .filter(s -> s.nation().equals("DEU")).findFirst()
                .filter(s -> s.state().equals("failing") && s.lastError().orElse("").contains(unpinned)).isPresent());
        PeerStatus status = nations.node("FRA").peers().stream().filter(s -> s.nation().equals("DEU")).findFirst().orElseThrow();
        assertThat(status.lastError().orElseThrow()).contains("neither pinned nor reached from a pinned key");
        assertThat(deuAtFra().signingKeys()).isEqualTo(pinnedBefore);
        assertThat(deuAtFra().kemKey().fingerprint().toString()).isEqualTo(rotation.newKemKey());
        Thread.sleep(1000); // several more attempts of FRA's link
        assertThat(nations.node("FRA").metadata().find(forgedRecord)).isEmpty();
        assertThat(read("FRA", kept)).isEqualTo("before, kept");
        assertThat(read("FRA", after)).isEqualTo("after");
    }
}
