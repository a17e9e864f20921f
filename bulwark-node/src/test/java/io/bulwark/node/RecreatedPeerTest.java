package io.bulwark.node;

import io.bulwark.store.RecordState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer's node made anew — its home lost, so new keys and a new certificate — and peered again
 * under the new fingerprint gets the records its predecessor held. They were sealed for the KEM key
 * of the node that is gone, so the origin seals them anew for the key the new node has.
 */
class RecreatedPeerTest {

    private static final Duration SHARE = Duration.ofSeconds(60);

    @Test
    void aNodeMadeAnewAfterLosingItsHomeGetsTheRecordsItsPredecessorHeld(@TempDir Path dir) throws Exception {
        try (Federated nations = new Federated(dir, List.of("DEU", "FRA"))) {
            var before = nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain",
                    "before".getBytes(StandardCharsets.UTF_8));
            nations.await("FRA holds it", SHARE, () -> held(nations, "FRA", before.id()));

            nations.stop("FRA");
            delete(dir.resolve("FRA"));
            String listen = nations.federationUrls.get("FRA").substring("https://".length());
            nations.homes.put("FRA", NodeHome.init(dir.resolve("FRA"), "FRA", "fra-1", "127.0.0.1:0", Optional.of(listen)));
            nations.unpeer("DEU", "FRA");
            nations.peer("DEU", "FRA");
            nations.peer("FRA", "DEU");
            nations.restart("FRA");

            nations.await("the new FRA node reads it", SHARE,
                    () -> nations.node("FRA").records().read(analyst("FRA"), before.id()).isPresent());
            assertThat(nations.node("FRA").records().read(analyst("FRA"), before.id()).orElseThrow().payload()).asString().isEqualTo("before");
        }
    }

    private static boolean held(Federated nations, String nation, String id) {
        return nations.node(nation).metadata().find(id).filter(m -> m.state() == RecordState.ACTIVE).isPresent();
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
