package io.bulwark.node;

import io.bulwark.federation.FederationState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cursor the origin no longer accepts — it is bound to the receiver's certificate and the origin's
 * cursor key, so a renewed certificate or a new key voids it — does not stop the feed for good: the
 * receiver asks from the beginning (redelivery is idempotent) and says why.
 */
class FeedCursorRefusedTest {

    @Test
    void aReceiverWhoseStoredCursorIsRefusedStartsOverAndReceivesWhatFollows(@TempDir Path dir) throws Exception {
        try (Federated nations = new Federated(dir, List.of("DEU", "FRA"))) {
            String first = publish(nations);
            nations.await("FRA holds the first record", Duration.ofSeconds(60), () -> nations.node("FRA").metadata().find(first).isPresent());
            nations.stop("FRA");
            // A well-formed cursor DEU never issued, as FRA would hold after DEU's cursor key changed.
            FederationState state = new FederationState(nations.homes.get("FRA").federationState());
            String deu = nations.homes.get("DEU").tlsFingerprint();
            assertThat(state.inbound(deu).orElseThrow().cursor()).isNotEmpty();
            state.delivered(deu, "A".repeat(60), 0, 0, Optional.empty(), Instant.now());
            state.close();
            nations.restart("FRA");

            String second = publish(nations);
            nations.await("FRA holds the record published after", Duration.ofSeconds(60),
                    () -> nations.node("FRA").metadata().find(second).isPresent());
            assertThat(nations.node("FRA").records().read(analyst("FRA"), second).orElseThrow().payload()).asString().isEqualTo("payload");
            var status = nations.node("FRA").peers().stream().filter(p -> p.nation().equals("DEU")).findFirst().orElseThrow();
            assertThat(status.lastError().orElseThrow()).contains("refused the stored cursor");
        }
    }

    private static String publish(Federated nations) {
        return nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain",
                "payload".getBytes(StandardCharsets.UTF_8)).id();
    }
}
