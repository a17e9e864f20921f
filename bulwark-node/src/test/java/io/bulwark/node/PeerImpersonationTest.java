package io.bulwark.node;

import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A link talks only to the peer it was pinned for. DEU lists FRA at an address where USA — also a
 * listed peer, so its certificate passes the handshake — answers: as if USA could redirect DEU's
 * traffic for FRA. DEU refuses every response by the server's certificate, pins nothing as FRA's,
 * and says why.
 */
class PeerImpersonationTest {

    @Test
    void aListedPeerAnsweringAtAnotherPeersAddressIsRefused(@TempDir Path dir) throws Exception {
        // DEU–USA and FRA–DEU are peered as usual; DEU's entry for FRA is written below with USA's address.
        try (Federated nations = new Federated(dir, List.of("DEU", "FRA", "USA"), (a, b) -> !(a.equals("DEU") && b.equals("FRA")))) {
            nations.peer("FRA", "DEU");
            Path file = nations.homes.get("DEU").peers();
            PeerList.read(file).with(new Peer("FRA", Peer.url(nations.federationUrls.get("USA")), nations.homes.get("FRA").tlsFingerprint(),
                    Instant.now()), "DEU").write(file);

            nations.await("DEU reports why FRA's link fails", Duration.ofSeconds(60), () -> nations.node("DEU").peers().stream()
                    .anyMatch(p -> p.nation().equals("FRA") && p.lastError().orElse("").contains("presented certificate")));
            var fra = nations.node("DEU").peers().stream().filter(p -> p.nation().equals("FRA")).findFirst().orElseThrow();
            assertThat(fra.lastError().orElseThrow()).contains("not the one pinned for FRA").contains(nations.homes.get("FRA").tlsFingerprint());
            assertThat(fra.node()).isEmpty();
            assertThat(nations.node("DEU").peerIdentity("FRA")).isEmpty();
        }
    }
}
