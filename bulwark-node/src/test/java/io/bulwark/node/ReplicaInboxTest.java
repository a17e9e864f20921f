package io.bulwark.node;

import io.bulwark.federation.NodeIdentity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A receiver checks everything a peer sends and stores nothing it rejects: records are handed to
 * FRA's inbox directly, as a misbehaving or compromised peer link would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaInboxTest {

    Federated nations;
    NodeIdentity deuAtFra;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA", "USA"));
        nations.await("FRA has pinned DEU and USA", Duration.ofSeconds(60),
                () -> nations.node("FRA").peerIdentity("DEU").isPresent() && nations.node("FRA").peerIdentity("USA").isPresent());
        deuAtFra = nations.node("FRA").peerIdentity("DEU").orElseThrow();
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    private byte[] sealedAt(String nation, String id) throws Exception {
        var meta = nations.node(nation).metadata().find(id).orElseThrow();
        try (InputStream in = nations.node(nation).storage().open(meta.blob().key()).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    private String publish(String origin, String label) {
        return nations.node(origin).records().publish(analyst(origin), label, "", "text/plain",
                "payload".getBytes(StandardCharsets.UTF_8)).id();
    }

    private Optional<String> deliver(NodeIdentity from, byte[] sealed) {
        return nations.node("FRA").inbox().records(from, List.of(sealed)).getFirst();
    }

    /**
     * A sealer with DEU's own pinned keys, outside DEU's node (for records DEU's feed would never
     * send); FRA has accepted its epoch key statement.
     */
    private io.bulwark.record.RecordSealer deuSealer() throws Exception {
        var deuKeys = nations.homes.get("DEU").openKeystore().signing();
        var fraKem = nations.homes.get("FRA").openKeystore().kem().primary();
        var deuKem = nations.homes.get("DEU").openKeystore().kem().primary();
        var epochs = new io.bulwark.record.EpochKeyring(deuKeys, "DEU", "deu-1",
                n -> Optional.of(n.equals("FRA") ? fraKem : deuKem), Duration.ofHours(1), java.time.Clock.systemUTC());
        var sealer = new io.bulwark.record.RecordSealer(io.bulwark.label.PolicySet.defaults(), deuKeys, epochs, "DEU", "deu-1",
                java.time.Clock.systemUTC());
        sealer.seal(new io.bulwark.record.RecordDraft(io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING,
                "NATO SECRET//REL TO DEU, FRA"), "", "text/plain", 1), new byte[1]); // makes the epoch key for FRA
        for (var statement : epochs.statements()) {
            if (statement.recipientNation().equals("FRA")) nations.node("FRA").inbox().statement(deuAtFra, statement);
        }
        return sealer;
    }

    /** A statement is kept (appended to the epoch-key log) only once a record sealed under it is stored. */
    @Test
    void anEpochStatementIsKeptOnlyWithARecordStoredUnderIt() throws Exception {
        var sealer = deuSealer();
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, "NATO SECRET//REL TO DEU, FRA");
        byte[] good = sealer.seal(new io.bulwark.record.RecordDraft(label, "", "text/plain", 2), new byte[] {1, 2}).encode();
        var epoch = io.bulwark.record.SealedRecord.epochKeyFor(good, "FRA").orElseThrow();
        java.util.function.Supplier<List<Long>> kept = () -> {
            try {
                return EpochLog.read(nations.homes.get("FRA").epochLog()).stream().map(s -> s.epochKeyId().value()).toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        byte[] forged = good.clone();
        forged[forged.length - 10] ^= 0x01; // its signature no longer verifies; its key access still names the epoch
        assertThat(deliver(deuAtFra, forged)).isPresent();
        assertThat(kept.get()).as("learnt, not kept: the only record under it was refused").doesNotContain(epoch.value());

        assertThat(deliver(deuAtFra, good)).isEmpty();
        assertThat(kept.get()).contains(epoch.value());
    }

    /** Statements wait unused per origin: however many another origin sends, they never push out those an origin's records need. */
    @Test
    void anotherOriginsUnusedStatementsDoNotPushOutThoseARecordNeeds() throws Exception {
        var sealer = deuSealer(); // FRA has learnt the statement of DEU's epoch for it
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, "NATO SECRET//REL TO DEU, FRA");
        byte[] record = sealer.seal(new io.bulwark.record.RecordDraft(label, "", "text/plain", 1), new byte[] {7}).encode();
        nations.await("FRA pins USA", Duration.ofSeconds(60), () -> nations.node("FRA").peerIdentity("USA").isPresent());
        NodeIdentity usaAtFra = nations.node("FRA").peerIdentity("USA").orElseThrow();
        var usaKeys = nations.homes.get("USA").openKeystore().signing();
        var fraKem = nations.homes.get("FRA").openKeystore().kem().primary();
        for (int i = 0; i <= ReplicaInbox.MAX_PENDING_STATEMENTS; i++) { // one more than an origin may have waiting
            var epochs = new io.bulwark.record.EpochKeyring(usaKeys, "USA", "usa-1", n -> Optional.of(fraKem), Duration.ofHours(1),
                    java.time.Clock.systemUTC());
            nations.node("FRA").inbox().statement(usaAtFra, epochs.epoch("FRA").orElseThrow().statement());
        }

        assertThat(deliver(deuAtFra, record)).as("DEU's statement is still held").isEmpty();
    }

    @Test
    void aRecordNotReleasedToThisNationIsRejectedAndStoredNowhere() throws Exception {
        String id = publish("DEU", "NATO SECRET//REL TO DEU, USA");
        assertThat(deliver(deuAtFra, sealedAt("DEU", id))).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("FRA");
        assertThat(nations.node("FRA").metadata().find(id)).isEmpty();
    }

    @Test
    void aTamperedRecordIsRejected() throws Exception {
        String id = publish("DEU", "NATO SECRET//REL TO DEU, FRA");
        byte[] sealed = sealedAt("DEU", id);
        sealed[sealed.length / 2] ^= 0x40;
        assertThat(deliver(deuAtFra, sealed)).isPresent();
        nations.await("the genuine one arrives", Duration.ofSeconds(60), () -> nations.node("FRA").metadata().find(id).isPresent());
        assertThat(nations.node("FRA").records().read(analyst("FRA"), id).orElseThrow().payload()).asString().isEqualTo("payload");
    }

    @Test
    void aRecordRelayedByAnotherPeerIsRejected() throws Exception {
        String id = publish("USA", "NATO SECRET//REL TO DEU, FRA, USA");
        nations.await("DEU holds USA's record", Duration.ofSeconds(60), () -> nations.node("DEU").metadata().find(id).isPresent());
        byte[] relayed = sealedAt("DEU", id); // DEU passes on USA's record as if it were its own delivery
        assertThat(deliver(deuAtFra, relayed)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("not by the peer that sent it");
    }

    @Test
    void aRecordSignedWithAKeyThatIsNotPinnedIsRejected() throws Exception {
        // Someone with DEU's name but not DEU's key seals a record for FRA.
        var forger = io.bulwark.crypto.SigningKeyset.generate();
        var fraKem = nations.homes.get("FRA").openKeystore().kem().primary();
        var ownKem = io.bulwark.crypto.KemKeyset.generate().primary();
        var epochs = new io.bulwark.record.EpochKeyring(forger, "DEU", "deu-1",
                n -> Optional.of(n.equals("FRA") ? fraKem : ownKem), Duration.ofHours(1), java.time.Clock.systemUTC());
        var sealer = new io.bulwark.record.RecordSealer(io.bulwark.label.PolicySet.defaults(), forger, epochs, "DEU", "deu-1",
                java.time.Clock.systemUTC());
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, "NATO SECRET//REL TO DEU, FRA");
        var forged = sealer.seal(new io.bulwark.record.RecordDraft(label, "", "text/plain", 6), "forged".getBytes(StandardCharsets.UTF_8));

        assertThat(deliver(deuAtFra, forged.encode())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING).contains("pinned");
        assertThat(nations.node("FRA").metadata().find(forged.id().toString())).isEmpty();
    }

    @Test
    void aPeersRecordUnderAnIdHeldFromAnotherOriginIsRejectedAndTheHeldRecordKept() throws Exception {
        String id = publish("USA", "NATO SECRET//REL TO DEU, FRA, USA");
        nations.await("FRA and DEU hold USA's record", Duration.ofSeconds(60),
                () -> nations.node("FRA").metadata().find(id).isPresent() && nations.node("DEU").metadata().find(id).isPresent());
        var held = nations.node("FRA").metadata().find(id).orElseThrow();

        // DEU, with its own pinned key, seals a record of its own under the id of USA's record.
        var sealer = deuSealer();
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, "NATO SECRET//REL TO DEU, FRA");
        byte[] payload = "forged".getBytes(StandardCharsets.UTF_8);
        var header = new io.bulwark.record.RecordHeader(io.bulwark.record.RecordId.parse(id), "DEU", "deu-1", java.time.Instant.now(),
                "text/plain", payload.length);
        var forged = sealer.sign(List.of(sealer.prepareRelabel(header, label, "", payload))).getFirst();

        assertThat(deliver(deuAtFra, forged.encode())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("holds a record with this id from USA/usa-1");
        var after = nations.node("FRA").metadata().find(id).orElseThrow();
        assertThat(after.originNation()).isEqualTo("USA");
        assertThat(after.blob()).isEqualTo(held.blob());
        assertThat(nations.node("FRA").records().read(analyst("FRA"), id).orElseThrow().payload()).asString().isEqualTo("payload");
    }

    @Test
    void twoVersionsOfOneRecordInOneDeliveryStoreTheFirstWhole() throws Exception {
        // DEU, with its own pinned key, sends one id twice in one run, each version sealed apart.
        var sealer = deuSealer();
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, "NATO SECRET//REL TO DEU, FRA");
        var first = sealer.seal(new io.bulwark.record.RecordDraft(label, "", "text/plain", 5), "first".getBytes(StandardCharsets.UTF_8));
        byte[] other = "other".getBytes(StandardCharsets.UTF_8);
        var second = sealer.sign(List.of(sealer.prepareRelabel(first.header(), label, "", other))).getFirst();

        var outcomes = nations.node("FRA").inbox().records(deuAtFra, List.of(first.encode(), second.encode()));
        assertThat(outcomes.get(0)).isEmpty();
        assertThat(outcomes.get(1)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING).contains("sent twice in one delivery");
        String id = first.id().toString();
        assertThat(nations.node("FRA").metadata().find(id).orElseThrow().blob().sha256()).isEqualTo(first.encodingDigest());
        assertThat(nations.node("FRA").records().read(analyst("FRA"), id).orElseThrow().payload()).asString().isEqualTo("first");
    }

    /** A version only relabels or re-seals: one that changes what the record is or where it may lie is refused, and the row kept. */
    @Test
    void aVersionThatChangesTheRecordsResidencyOrHeaderIsRefused() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        var held = nations.node("FRA").metadata().find(id).orElseThrow();
        var changed = versionFromDeu(id, "NATO SECRET//REL TO DEU, FRA", "application/json", "in=FRA");

        assertThat(deliver(deuAtFra, changed.encode())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("this version changes its residency, content type from the version held here");
        var after = nations.node("FRA").metadata().find(id).orElseThrow();
        assertThat(after.residency()).isEqualTo(held.residency());
        assertThat(after.contentType()).isEqualTo("text/plain");
    }

    /** DEU's new version of a record FRA holds, relabelled so that it no longer releases it to FRA, as if sent as a record instead of a withdraw. */
    private io.bulwark.record.SealedRecord relabelledAwayFromFra(String id) throws Exception {
        return versionFromDeu(id, "NATO SECRET//REL TO DEU, USA", "text/plain", "");
    }

    /** A new version of a record FRA holds from DEU, sealed with DEU's own keys outside its node: as DEU would send it, or not. */
    private io.bulwark.record.SealedRecord versionFromDeu(String id, String marking, String contentType, String residency) throws Exception {
        var held = nations.node("FRA").metadata().find(id).orElseThrow();
        var sealer = deuSealer();
        var label = io.bulwark.label.PolicySet.defaults().decode(io.bulwark.label.LabelFormat.MARKING, marking);
        byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
        var header = new io.bulwark.record.RecordHeader(io.bulwark.record.RecordId.parse(id), "DEU", "deu-1", held.createdAt(),
                contentType, payload.length);
        return sealer.sign(List.of(sealer.prepareRelabel(header, label, residency, payload))).getFirst();
    }

    private String heldAtFra(String origin, String label) throws InterruptedException {
        String id = publish(origin, label);
        nations.await("FRA holds " + id, Duration.ofSeconds(60), () -> nations.node("FRA").metadata().find(id).isPresent());
        return id;
    }

    private boolean readableAtFra(String id) {
        return nations.node("FRA").records().read(analyst("FRA"), id).isPresent();
    }

    /** Fail closed: a retraction from the record's origin whose proof fails still takes the record away. */
    @Test
    void aRetractionWhoseTombstoneDoesNotVerifyWithdrawsTheRecordInstead() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        var blob = nations.node("FRA").metadata().find(id).orElseThrow().blob().key();
        var forged = io.bulwark.record.Tombstone.sign(io.bulwark.crypto.SigningKeyset.generate(), "DEU", "deu-1",
                io.bulwark.record.RecordId.parse(id), java.time.Instant.now(), "mallory");

        assertThat(nations.node("FRA").inbox().retract(deuAtFra, forged)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("pinned").contains("withdrawn here instead");
        var after = nations.node("FRA").metadata().find(id).orElseThrow();
        assertThat(after.state()).isEqualTo(io.bulwark.store.RecordState.RETRACTED);
        assertThat(new String(after.retraction().orElseThrow().tombstone(), StandardCharsets.UTF_8))
                .startsWith("withdrawn: DEU/deu-1: its retraction was refused");
        assertThat(readableAtFra(id)).isFalse();
        assertThat(nations.node("FRA").storage().open(blob)).isEmpty();
    }

    /**
     * A withdrawal is this node's stopgap: the origin's retraction, once it comes and verifies, takes
     * its place for good. Here a refused new version withdrew the record while DEU still counts FRA
     * as holding it, so DEU's retraction reaches FRA afterwards.
     */
    @Test
    void theOriginsTombstoneReplacesAWithdrawalMarker() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        assertThat(deliver(deuAtFra, relabelledAwayFromFra(id).encode())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("the version held here was withdrawn");
        long seq = nations.node("FRA").metadata().lastSeq();
        var genuine = io.bulwark.record.Tombstone.sign(nations.homes.get("DEU").openKeystore().signing(), "DEU", "deu-1",
                io.bulwark.record.RecordId.parse(id), java.time.Instant.now(), "anna");

        assertThat(nations.node("FRA").inbox().retract(deuAtFra, genuine)).isEmpty();
        var after = nations.node("FRA").metadata().find(id).orElseThrow();
        assertThat(after.state()).isEqualTo(io.bulwark.store.RecordState.RETRACTED);
        assertThat(after.retraction().orElseThrow().tombstone()).isEqualTo(genuine.encode());
        assertThat(nations.node("FRA").metadata().lastSeq()).as("no change a reader would see").isEqualTo(seq);
        assertThat(readableAtFra(id)).isFalse();
        // The row keeps the origin's retraction itself, tombstone and time: retracting with it again is a replay.
        assertThat(nations.node("FRA").metadata().retract(id, genuine.encode(), genuine.at()))
                .isInstanceOfSatisfying(io.bulwark.store.StoreResult.Success.class,
                        ok -> assertThat(((io.bulwark.store.ChangeReceipt) ok.value()).replayed()).isTrue());
    }

    @Test
    void aRefusedRetractionOfAnotherOriginsRecordWithdrawsNothing() throws Exception {
        String id = heldAtFra("USA", "NATO SECRET//REL TO DEU, FRA, USA");
        var deuKeys = nations.homes.get("DEU").openKeystore().signing();
        var claimsUsa = io.bulwark.record.Tombstone.sign(deuKeys, "USA", "usa-1", io.bulwark.record.RecordId.parse(id),
                java.time.Instant.now(), "mallory");
        var deusOwn = io.bulwark.record.Tombstone.sign(deuKeys, "DEU", "deu-1", io.bulwark.record.RecordId.parse(id),
                java.time.Instant.now(), "mallory");

        assertThat(nations.node("FRA").inbox().retract(deuAtFra, claimsUsa)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("not made by the peer that sent it").doesNotContain("withdrawn");
        assertThat(nations.node("FRA").inbox().retract(deuAtFra, deusOwn)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("is not the peer's");
        assertThat(nations.node("FRA").metadata().find(id).orElseThrow().state()).isEqualTo(io.bulwark.store.RecordState.ACTIVE);
        assertThat(readableAtFra(id)).isTrue();
    }

    /**
     * Fail closed: when the origin's new version of a held record is refused, the version held here is
     * out of date (its label may be one the origin replaced) and is withdrawn, not kept in force.
     */
    @Test
    void aRefusedNewVersionOfAHeldRecordWithdrawsTheHeldVersion() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        var held = nations.node("FRA").metadata().find(id).orElseThrow();

        assertThat(deliver(deuAtFra, relabelledAwayFromFra(id).encode())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("FRA").contains("the version held here was withdrawn");
        assertThat(nations.node("FRA").metadata().find(id).orElseThrow().state()).isEqualTo(io.bulwark.store.RecordState.RETRACTED);
        assertThat(readableAtFra(id)).isFalse();
        assertThat(nations.node("FRA").storage().open(held.blob().key())).isEmpty();
    }

    @Test
    void aDamagedCopyOfTheHeldVersionWithdrawsNothing() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        byte[] genuine = sealedAt("DEU", id);
        String digest = io.bulwark.record.SealedRecord.decode(genuine, io.bulwark.label.PolicySet.defaults()).contentDigest();
        // A byte of the signature flipped: the record still decodes, to the same version, and fails verification.
        byte[] damaged = null;
        for (int at = genuine.length - 200; at > genuine.length - 3000 && damaged == null; at -= 97) {
            byte[] candidate = genuine.clone();
            candidate[at] ^= 0x01;
            try {
                if (io.bulwark.record.SealedRecord.decode(candidate, io.bulwark.label.PolicySet.defaults()).contentDigest().equals(digest)) {
                    damaged = candidate;
                }
            } catch (RuntimeException e) {
                // not decodable at this offset; try another
            }
        }
        assertThat(damaged).as("a signature byte whose change still decodes").isNotNull();

        assertThat(deliver(deuAtFra, damaged)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING).doesNotContain("withdrawn");
        assertThat(nations.node("FRA").metadata().find(id).orElseThrow().state()).isEqualTo(io.bulwark.store.RecordState.ACTIVE);
        assertThat(readableAtFra(id)).isTrue();
    }

    /**
     * A peer removed while its response is applied: its records would each be refused as "not
     * pinned", and a refused new version withdraws the version held here. Nothing of the response is
     * applied instead: it fails, unacknowledged.
     */
    @Test
    void nothingIsAppliedFromAnOriginRemovedMeanwhile() throws Exception {
        String id = heldAtFra("DEU", "NATO SECRET//REL TO DEU, FRA");
        byte[] newVersion = relabelledAwayFromFra(id).encode();
        var genuine = io.bulwark.record.Tombstone.sign(nations.homes.get("DEU").openKeystore().signing(), "DEU", "deu-1",
                io.bulwark.record.RecordId.parse(id), java.time.Instant.now(), "anna");
        nations.unpeer("FRA", "DEU");
        try {
            nations.await("FRA no longer pins DEU", Duration.ofSeconds(30), () -> nations.node("FRA").peerIdentity("DEU").isEmpty());
            var inbox = nations.node("FRA").inbox();
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable apply : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> deliver(deuAtFra, newVersion), () -> inbox.retract(deuAtFra, genuine), () -> inbox.withdraw(deuAtFra, id))) {
                org.assertj.core.api.Assertions.assertThatThrownBy(apply).isInstanceOf(IllegalStateException.class)
                        .hasMessage("DEU/deu-1 is no longer a pinned peer here: its response is not applied");
            }
            assertThat(nations.node("FRA").metadata().find(id).orElseThrow().state()).isEqualTo(io.bulwark.store.RecordState.ACTIVE);
        } finally {
            nations.peer("FRA", "DEU");
            nations.await("FRA pins DEU again", Duration.ofSeconds(60), () -> nations.node("FRA").peerIdentity("DEU").isPresent());
        }
        assertThat(readableAtFra(id)).isTrue(); // its binding verifies against DEU's keys: while DEU is unpinned, it does not
    }
}
