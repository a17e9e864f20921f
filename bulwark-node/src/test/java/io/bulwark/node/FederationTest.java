package io.bulwark.node;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.bulwark.node.Federated.analyst;
import static org.assertj.core.api.Assertions.assertThat;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FederationTest {

    Federated nations;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        nations = new Federated(dir, List.of("DEU", "FRA", "USA"));
    }

    @AfterAll
    void stop() {
        nations.close();
    }

    @Test
    void aRecordReachesExactlyTheNationsItsLabelReleasesItTo() throws Exception {
        var p = nations.node("DEU").records().publish(analyst("DEU"), "NATO SECRET//REL TO DEU, FRA", "", "text/plain",
                "hello".getBytes(StandardCharsets.UTF_8));

        nations.await("FRA can read it", Duration.ofSeconds(20), () -> nations.node("FRA").records().read(analyst("FRA"), p.id()).isPresent());
        assertThat(nations.node("FRA").records().read(analyst("FRA"), p.id()).orElseThrow().payload()).asString().isEqualTo("hello");
        Thread.sleep(500);
        assertThat(nations.node("USA").records().read(analyst("USA"), p.id())).isEmpty();
    }
}
