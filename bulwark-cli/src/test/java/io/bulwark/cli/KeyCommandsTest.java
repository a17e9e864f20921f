package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark keys rotate --home}: rotates a stopped node, refuses a running one; {@code node info} shows the history. */
class KeyCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private JsonNode info(Path home) throws Exception {
        return JSON.readTree(Cli.run("node", "info", "--home", home.toString(), "--json").succeeds().out());
    }

    @Test
    void rotatesAStoppedNodeAndRefusesARunningOne() throws Exception {
        Path home = dir.resolve("deu");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1").succeeds();
        Principal analyst = new Principal("alice", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:test");
        String before;
        try (Node node = Node.start(NodeHome.open(home))) {
            before = node.records().publish(analyst, "NATO SECRET//REL TO DEU", "", "text/plain", "old".getBytes(StandardCharsets.UTF_8)).id();
            byte[] keystore = Files.readAllBytes(home.resolve("keystore.bwks"));

            Cli refused = Cli.run("keys", "rotate", "--home", home.toString()).failsWith(ExitCode.DENIED_OR_NOT_FOUND);
            assertThat(refused.err()).contains("is running").contains("data/node.lock").contains("approval path");
            assertThat(Files.readAllBytes(home.resolve("keystore.bwks"))).isEqualTo(keystore);
        }
        String first = info(home).path("signingKey").asText();

        String line = Cli.run("keys", "rotate", "--home", home.toString()).succeeds().line();

        JsonNode info = info(home);
        String now = info.path("signingKey").asText();
        assertThat(line).startsWith("rotated: signing key " + now + " (was " + first + "), KEM key " + info.path("kemKey").asText());
        JsonNode history = info.path("keyHistory");
        assertThat(history.path("signingKeys")).hasSize(2);
        assertThat(history.path("signingKeys").get(0).path("fingerprint").asText()).isEqualTo(first);
        assertThat(history.path("signingKeys").get(1).path("primary").asBoolean()).isTrue();
        assertThat(history.path("kemKeys")).hasSize(2);
        assertThat(history.path("rotations")).hasSize(1);
        assertThat(history.path("rotations").get(0).path("previousSigningKey").asText()).isEqualTo(first);
        assertThat(Cli.run("node", "info", "--home", home.toString()).succeeds().out()).contains(now + "  primary").contains("rotations: 1");

        // The node starts with its new keys and still opens what its old ones sealed; the log records the rotation.
        try (Node node = Node.start(NodeHome.open(home))) {
            assertThat(node.records().read(analyst, before).orElseThrow().payload()).asString().isEqualTo("old");
            String after = node.records().publish(analyst, "NATO SECRET//REL TO DEU", "", "text/plain", "new".getBytes(StandardCharsets.UTF_8)).id();
            assertThat(node.records().read(analyst, after)).isPresent();
        }
        assertThat(Cli.run("audit", "verify", "--home", home.toString()).succeeds().line()).startsWith("intact");
        assertThat(Cli.run("audit", "export", "--home", home.toString()).succeeds().out()).contains("keys.rotate");
    }
}
