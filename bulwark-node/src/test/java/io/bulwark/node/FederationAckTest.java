package io.bulwark.node;

import io.bulwark.federation.PeerStatus;
import io.bulwark.store.ChangeEntry;
import io.bulwark.store.RecordState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an origin believes acknowledged, with two real nodes over loopback: a receiver whose store
 * fails while it applies a response — and which, meanwhile, already asks for the next one — never
 * acknowledges that response; once its store works again the record comes again and is stored
 * exactly once, and only then is it acknowledged.
 */
class FederationAckTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static PeerStatus status(Federated nations, String at, String of) {
        return nations.node(at).peers().stream().filter(s -> s.nation().equals(of)).findFirst().orElseThrow();
    }

    private static List<ChangeEntry> changesOf(Federated nations, String nation, String id) {
        return nations.node(nation).metadata().changesSince(0, 1000).stream().filter(e -> e.recordId().equals(id)).toList();
    }

    @Test
    void aFailedApplyIsNotAcknowledgedAndTheRecordComesAgainAndIsStoredExactlyOnce(@TempDir Path dir) throws Exception {
        try (Federated nations = new Federated(dir, List.of("DEU", "FRA"))) {
            nations.await("FRA's link to DEU is up", WAIT, () -> status(nations, "FRA", "DEU").state().equals("connected")
                    && status(nations, "DEU", "FRA").node().isPresent());

            // FRA's only storage site fails every write: its directory is gone, a file in its place.
            Path site = nations.homes.get("FRA").defaultSite();
            Path away = site.resolveSibling("default.away");
            Files.move(site, away);
            Files.writeString(site, "not a directory");

            var p = nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain",
                    "once".getBytes(StandardCharsets.UTF_8));
            long seq = changesOf(nations, "DEU", p.id()).getFirst().seq();

            // Several attempts, each one applying the response while asking ahead of it, each failing.
            Set<Instant> failures = new HashSet<>();
            nations.await("FRA fails to store it five times", WAIT, () -> {
                PeerStatus s = status(nations, "FRA", "DEU");
                if (s.lastError().filter(e -> e.contains("storing received records failed")).isPresent()) {
                    s.lastErrorAt().ifPresent(failures::add);
                }
                return failures.size() >= 5;
            });
            assertThat(nations.node("FRA").metadata().find(p.id())).isEmpty();
            PeerStatus fraAtDeu = status(nations, "DEU", "FRA");
            assertThat(fraAtDeu.ackedSeq()).as("DEU must not believe FRA stored what it did not").isLessThan(seq);
            assertThat(fraAtDeu.lagRecords()).hasValue(1);
            assertThat(status(nations, "FRA", "DEU").received()).isZero();

            // The site comes back: the record is delivered again, stored once, and then acknowledged.
            Files.delete(site);
            Files.move(away, site);
            nations.await("FRA stores it", WAIT, () -> nations.node("FRA").metadata().find(p.id())
                    .filter(m -> m.state() == RecordState.ACTIVE).isPresent());
            assertThat(nations.node("FRA").records().read(analyst("FRA"), p.id()).orElseThrow().payload()).asString().isEqualTo("once");
            nations.await("DEU learns FRA stored it", WAIT, () -> {
                PeerStatus s = status(nations, "DEU", "FRA");
                return s.ackedSeq() >= seq && s.lagRecords().equals(java.util.OptionalLong.of(0));
            });
            assertThat(changesOf(nations, "FRA", p.id())).as("stored exactly once").hasSize(1);
            assertThat(status(nations, "FRA", "DEU").received()).isEqualTo(1);
        }
    }
}
