package io.bulwark.federation;

import io.bulwark.crypto.KeyId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What the origin keeps about its peers across a removal and a renewed certificate. */
class FederationStateTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final byte[] WIRE = {1, 2, 3};

    @TempDir Path dir;

    @Test
    void aRemovedPeersKeysAreForgottenAndItsNextCertificateOfTheSameNationTakesOverWhatItHolds() {
        FederationState state = new FederationState(dir.resolve("federation.db"));
        try {
            state.pinIdentity("fra-old", "FRA", "fra-1", WIRE, java.util.Set.of(), NOW);
            state.pinIdentity("usa", "USA", "usa-1", WIRE, java.util.Set.of(), NOW);
            state.sent("fra-old", List.of("held", "dropping"), List.of(), 5);
            state.sent("fra-old", List.of(), List.of("dropping"), 7); // told to drop it, not yet acknowledged
            state.sent("usa", List.of("held"), List.of(), 5);
            state.expectConfirmation("dropping", "fra-old", "FRA", "withdraw", 7, NOW);

            state.forgetIdentity("fra-old");
            assertThat(state.pinnedIdentity("fra-old")).isEmpty();
            assertThat(state.holds("fra-old", "held")).as("still noted: the same certificate may come back").isTrue();

            assertThat(state.pinIdentity("fra-new", "FRA", "fra-1", WIRE, java.util.Set.of(), NOW)).isEqualTo(2);
            assertThat(state.holds("fra-new", "held")).isTrue();
            assertThat(state.holds("fra-new", "dropping")).isTrue();
            assertThat(state.holds("fra-old", "held")).isFalse();
            assertThat(state.holders("held")).containsExactly("fra-new", "usa");
            assertThat(state.confirmations(Optional.of("dropping"), 10)).extracting(FederationState.Confirmation::fingerprint)
                    .containsExactly("fra-new");
            // The drop it owed is owed by the new certificate: its acknowledgement past 7 ends the holding.
            state.acknowledge("fra-new", 7, NOW);
            assertThat(state.holds("fra-new", "dropping")).isFalse();
            assertThat(state.holds("fra-new", "held")).isTrue();
            assertThat(state.pinnedIdentity("fra-new")).isPresent();
            assertThat(state.holds("usa", "held")).as("another nation's peer is left as it was").isTrue();
        } finally {
            state.close();
        }
    }

    @Test
    void aPeersKemKeysAccumulateUnderItsPinAndPassToNoOtherCertificate() {
        FederationState state = new FederationState(dir.resolve("federation.db"));
        try {
            state.pinIdentity("fra-1", "FRA", "fra-1", WIRE, java.util.Set.of(new KeyId(1)), NOW);
            state.pinIdentity("fra-1", "FRA", "fra-1", WIRE, java.util.Set.of(new KeyId(1), new KeyId(2)), NOW); // rotated
            assertThat(state.pinnedIdentity("fra-1").orElseThrow().kemKeys()).containsExactlyInAnyOrder(new KeyId(1), new KeyId(2));

            state.forgetIdentity("fra-1");
            state.pinIdentity("fra-1", "FRA", "fra-1", WIRE, java.util.Set.of(new KeyId(3)), NOW); // removed, then added again: pinned afresh
            assertThat(state.pinnedIdentity("fra-1").orElseThrow().kemKeys()).containsExactly(new KeyId(3));

            state.pinIdentity("fra-2", "FRA", "fra-1", WIRE, java.util.Set.of(new KeyId(4)), NOW); // the nation's node under a new certificate
            assertThat(state.pinnedIdentity("fra-2").orElseThrow().kemKeys()).as("a KEM key is a node's, not its nation's").containsExactly(new KeyId(4));
        } finally {
            state.close();
        }
    }

    @Test
    void confirmationsAreListedNewestFirstForOneRecordOrAllAndAnAcknowledgementConfirmsOnlyItsPeersUpToItsSeq() {
        FederationState state = new FederationState(dir.resolve("federation.db"));
        try {
            state.expectConfirmation("r1", "fra", "FRA", "retract", 3, NOW);
            state.expectConfirmation("r1", "usa", "USA", "retract", 3, NOW);
            state.expectConfirmation("r2", "fra", "FRA", "withdraw", 5, NOW);
            state.expectConfirmation("r3", "fra", "FRA", "retract", 9, NOW);

            assertThat(state.confirmations(Optional.empty(), 10)).extracting(c -> c.recordId() + "/" + c.nation())
                    .containsExactly("r3/FRA", "r2/FRA", "r1/FRA", "r1/USA");
            assertThat(state.confirmations(Optional.empty(), 2)).extracting(FederationState.Confirmation::recordId).containsExactly("r3", "r2");
            assertThat(state.confirmations(Optional.of("r1"), 10)).extracting(FederationState.Confirmation::nation).containsExactly("FRA", "USA");

            Instant later = NOW.plusSeconds(60);
            state.acknowledge("fra", 5, later);
            assertThat(state.confirmations(Optional.empty(), 10)).extracting(c -> c.recordId() + "/" + c.nation() + "=" + c.confirmedAt())
                    .containsExactly("r3/FRA=Optional.empty", "r2/FRA=Optional[" + later + "]", "r1/FRA=Optional[" + later + "]",
                            "r1/USA=Optional.empty");
            state.acknowledge("fra", 9, later.plusSeconds(60));
            assertThat(state.confirmations(Optional.of("r2"), 10).getFirst().confirmedAt()).as("a confirmation keeps its first time").contains(later);
        } finally {
            state.close();
        }
    }

    @Test
    void theStatementsRunPerAcknowledgementRetractionAndListingReadIndexesNotTheirGrowingTables() throws SQLException {
        // Holdings grow with every record sent, confirmations with every retraction and withdrawal, and
        // neither is ever emptied: an acknowledgement comes with every feed request, holders() with every
        // retraction and relabel. A full scan of either would slow each of those as the node ages.
        Path file = dir.resolve("federation.db");
        new FederationState(file).close();

        assertThat(plan(file, FederationState.CONFIRM, 1L, "fra", 7L))
                .containsExactly("SEARCH confirmations USING INDEX confirmations_open (fingerprint=? AND seq<?)");
        assertThat(plan(file, FederationState.HOLDERS, "r1"))
                .containsExactly("SEARCH holdings USING COVERING INDEX holdings_record (record_id=?)");
        assertThat(plan(file, "SELECT * FROM confirmations " + FederationState.CONFIRMATIONS_OF_RECORD, "r1", 10))
                .first().asString().startsWith("SEARCH confirmations USING INDEX sqlite_autoindex_confirmations_1 (record_id=?)");
        assertThat(plan(file, "SELECT * FROM confirmations " + FederationState.CONFIRMATIONS_NEWEST, 10))
                .containsExactly("SCAN confirmations USING INDEX confirmations_newest");
        // A renewed certificate passes on what its nation's old one owed.
        assertThat(plan(file, FederationState.passOnMove("confirmations", FederationState.UNCONFIRMED), "new", "old"))
                .containsExactly("SEARCH confirmations USING INDEX confirmations_open (fingerprint=?)");
    }

    private static List<String> plan(Path file, String sql, Object... args) throws SQLException {
        List<String> plan = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             var s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) plan.add(rs.getString("detail"));
            }
        }
        return plan;
    }
}
