package io.bulwark.cli;

import io.bulwark.federation.PeerList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark peer add|list|remove} on real homes: what is written, and every refusal as one line with exit 2. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerCommandTest {

    Path dir;
    Path deu;
    String fraFingerprint;
    String deuFingerprint;

    @BeforeAll
    void homes(@TempDir Path dir) throws Exception {
        this.dir = dir;
        deu = dir.resolve("deu");
        Path fra = dir.resolve("fra");
        Cli.run("init", "--home", deu.toString(), "--nation", "DEU", "--node", "deu-1", "--federation-listen", "127.0.0.1:17443").succeeds();
        Cli.run("init", "--home", fra.toString(), "--nation", "FRA", "--node", "fra-1", "--federation-listen", "127.0.0.1:17444").succeeds();
        fraFingerprint = fingerprint(fra);
        deuFingerprint = fingerprint(deu);
        Cli.run("init", "--home", dir.resolve("plain").toString(), "--nation", "USA", "--node", "usa-1").succeeds();
    }

    private static String fingerprint(Path home) throws Exception {
        Cli info = Cli.run("node", "info", "--home", home.toString(), "--json").succeeds();
        assertThat(info.out()).contains("\"federationUrl\"");
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.out()).path("fingerprint").asText();
    }

    @Test
    void addListAndRemove() throws Exception {
        Cli.run("peer", "add", "--home", deu.toString(), "--nation", "FRA", "--url", "https://127.0.0.1:17444",
                "--fingerprint", fraFingerprint.toUpperCase()).succeeds();
        PeerList list = PeerList.read(deu.resolve("peers.json"));
        assertThat(list.byNation("FRA").orElseThrow().fingerprint()).isEqualTo(fraFingerprint);
        assertThat(Cli.run("peer", "list", "--home", deu.toString()).succeeds().out())
                .contains("FRA").contains("https://127.0.0.1:17444").contains("no status: is the node running?");

        Cli.run("peer", "add", "--home", deu.toString(), "--nation", "FRA", "--url", "https://127.0.0.1:9", "--fingerprint", "ab".repeat(32))
                .failsWith(ExitCode.BAD_INPUT);
        Cli.run("peer", "remove", "--home", deu.toString(), "fra").succeeds();
        assertThat(PeerList.read(deu.resolve("peers.json")).peers()).isEmpty();
        assertThat(Cli.run("peer", "remove", "--home", deu.toString(), "FRA").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err().strip())
                .isEqualTo("bulwark: peer FRA: not a peer of this node (bulwark peer list)");
    }

    @Test
    void aStatusTheNodeStoppedRewritingIsMarkedStaleAndAnUnknownLagAndAnErrorsTimeAreShown() throws Exception {
        Path fra = dir.resolve("fra");
        Cli.run("peer", "add", "--home", fra.toString(), "--nation", "DEU", "--url", "https://127.0.0.1:17443", "--fingerprint", deuFingerprint)
                .succeeds();
        // As a node that died without stopping leaves it: a peer not yet introduced, failing.
        Files.writeString(fra.resolve("data/peers-status.json"), """
                {"asOf": "2026-01-01T00:00:00Z", "federationUrl": "https://127.0.0.1:17444", "peers": [
                  {"nation": "DEU", "fingerprint": "%s", "state": "failing", "ackedSeq": 0, "lagRecords": null, "lagCapped": false,
                   "lagSeconds": null, "lastDelivery": null, "lastError": "unreachable: connection refused", "lastErrorAt": "2026-01-01T00:00:00Z"}]}
                """.formatted(deuFingerprint));
        try {
            String out = Cli.run("peer", "list", "--home", fra.toString()).succeeds().out();
            assertThat(out).contains("failing?").contains("unreachable: connection refused (at 2026-01-01T00:00:00Z)")
                    .contains("(STALE: as of 2026-01-01T00:00:00Z;");
            assertThat(out.lines().filter(l -> l.startsWith("DEU")).findFirst().orElseThrow().split("\\s+"))
                    .as("lag records and seconds unknown").containsSubsequence("0", "?", "?");

            // Written just now, as by a running node: current, not stale.
            Path status = fra.resolve("data/peers-status.json");
            Files.writeString(status, Files.readString(status).replace("2026-01-01T00:00:00Z\", \"federationUrl", java.time.Instant.now() + "\", \"federationUrl"));
            String fresh = Cli.run("peer", "list", "--home", fra.toString()).succeeds().out();
            assertThat(fresh).doesNotContain("STALE").doesNotContain("failing?").contains("failing").contains("(as of ");
        } finally {
            Files.delete(fra.resolve("data/peers-status.json"));
            Cli.run("peer", "remove", "--home", fra.toString(), "DEU").succeeds();
        }
    }

    @Test
    void refusalsNameTheFieldAndTheRuleAndWriteNothing() throws Exception {
        String before = Files.exists(deu.resolve("peers.json")) ? Files.readString(deu.resolve("peers.json")) : "";
        assertThat(Cli.run("peer", "add", "--home", deu.toString(), "--nation", "FRA", "--url", "https://127.0.0.1:17444",
                "--fingerprint", "xyz").failsWith(ExitCode.BAD_INPUT).err()).contains("fingerprint: 64 hex digits");
        assertThat(Cli.run("peer", "add", "--home", deu.toString(), "--nation", "FRA", "--url", "http://127.0.0.1:17444",
                "--fingerprint", fraFingerprint).failsWith(ExitCode.BAD_INPUT).err()).contains("url: https://HOST:PORT");
        assertThat(Cli.run("peer", "add", "--home", deu.toString(), "--nation", "DEU", "--url", "https://127.0.0.1:17444",
                "--fingerprint", fraFingerprint).failsWith(ExitCode.BAD_INPUT).err()).contains("own nation");
        assertThat(Cli.run("peer", "add", "--home", deu.toString(), "--nation", "FRA", "--url", "https://127.0.0.1:17444",
                "--fingerprint", deuFingerprint).failsWith(ExitCode.BAD_INPUT).err()).contains("this node's own certificate");
        assertThat(Cli.run("peer", "add", "--home", dir.resolve("plain").toString(), "--nation", "FRA", "--url", "https://127.0.0.1:17444",
                "--fingerprint", fraFingerprint).failsWith(ExitCode.BAD_INPUT).err()).contains("has no federation API");
        String after = Files.exists(deu.resolve("peers.json")) ? Files.readString(deu.resolve("peers.json")) : "";
        assertThat(after).isEqualTo(before);
    }
}
