package io.bulwark.cli;

import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class AuditCommandsTest {

    @TempDir
    Path dir;

    @Test
    void verifyAndExportWorkWhileTheNodeRunsAndAfterAndVerifyNamesTheFirstEditedEntry() throws Exception {
        Path home = dir.resolve("deu");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1").succeeds();
        Principal analyst = new Principal("alice", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:test");
        try (Node node = Node.start(NodeHome.open(home))) {
            for (int i = 0; i < 3; i++) {
                node.records().publish(analyst, "NATO SECRET//REL TO DEU", "", "text/plain", ("r" + i).getBytes(StandardCharsets.UTF_8));
            }
            Thread.sleep(1500); // the log signs a tree head every second while it grows
            assertThat(Cli.run("audit", "verify", "--home", home.toString()).succeeds().line()).startsWith("intact: 3 entries");
            Cli export = Cli.run("audit", "export", "--home", home.toString()).succeeds();
            assertThat(export.out().lines()).hasSize(3).allMatch(l -> l.startsWith("{\"index\":") && l.contains("\"type\":\"record.publish\""));
        }
        assertThat(Cli.run("audit", "verify", "--home", home.toString()).succeeds().line())
                .startsWith("intact: 3 entries, 3 covered by ").doesNotContain("not yet signed"); // closing signed the last head
        Path out = dir.resolve("audit.jsonl");
        assertThat(Cli.run("audit", "export", "--home", home.toString(), "--since", "2000-01-01T00:00:00Z", "-o", out.toString())
                .succeeds().line()).isEqualTo("exported 3 entries to " + out);
        assertThat(Files.readAllLines(out)).hasSize(3);
        Cli.run("audit", "export", "--home", home.toString(), "--since", "yesterday").failsWith(ExitCode.BAD_INPUT);

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("data/audit.db"));
             Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE audit_entry SET leaf = CAST(replace(CAST(leaf AS TEXT), 'alice', 'mallory') AS BLOB) WHERE idx = 1");
        }
        Cli tampered = Cli.run("audit", "verify", "--home", home.toString()).failsWith(ExitCode.TAMPERED);
        assertThat(tampered.err()).contains("first bad entry 1 (EDITED)");
    }

    @Test
    void exportRefusesAnOutputItCannotWriteAndAFailedExportLeavesNoFile() throws Exception {
        Path home = dir.resolve("deu");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1").succeeds();
        Files.writeString(home.resolve("data/audit.db"), "not a database");
        Path orphan = dir.resolve("no-such-dir/audit.jsonl");
        assertThat(Cli.run("audit", "export", "--home", home.toString(), "-o", orphan.toString()).failsWith(ExitCode.BAD_INPUT)
                .err().strip()).isEqualTo("bulwark: -o: " + orphan + ": the directory " + orphan.getParent() + " does not exist "
                + "(-o names a file to create or replace, in an existing directory)");
        assertThat(Cli.run("audit", "export", "--home", home.toString(), "-o", dir.toString()).failsWith(ExitCode.BAD_INPUT)
                .err().strip()).startsWith("bulwark: -o: " + dir + ": is a directory");

        Path out = dir.resolve("audit.jsonl");
        assertThat(Cli.run("audit", "export", "--home", home.toString(), "-o", out.toString()).failsWith(ExitCode.OTHER).err())
                .contains(home.resolve("data/audit.db").toString());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("deu");
        }
    }
}
