package io.bulwark.federation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
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
            state.pinIdentity("fra-old", "FRA", "fra-1", WIRE, NOW);
            state.pinIdentity("usa", "USA", "usa-1", WIRE, NOW);
            state.sent("fra-old", List.of("held", "dropping"), List.of(), 5);
            state.sent("fra-old", List.of(), List.of("dropping"), 7); // told to drop it, not yet acknowledged
            state.sent("usa", List.of("held"), List.of(), 5);
            state.expectConfirmation("dropping", "fra-old", "FRA", "withdraw", 7, NOW);

            state.forgetIdentity("fra-old");
            assertThat(state.pinnedIdentity("fra-old")).isEmpty();
            assertThat(state.holds("fra-old", "held")).as("still noted: the same certificate may come back").isTrue();

            assertThat(state.pinIdentity("fra-new", "FRA", "fra-1", WIRE, NOW)).isEqualTo(2);
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
}
