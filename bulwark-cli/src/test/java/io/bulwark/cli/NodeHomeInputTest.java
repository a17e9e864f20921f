package io.bulwark.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Node commands given a home, or a home's file, that is not as it must be: one line naming the
 * file (or option) and the rule, exit 2; and {@code init} all or nothing.
 */
class NodeHomeInputTest {

    @TempDir
    Path dir;

    private static String[] init(Path home) {
        return new String[] {"init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1"};
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.sorted().toList();
        }
    }

    @Test
    void initOnARegularFileNamesHomeAndLeavesTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        assertThat(Cli.run(init(file)).failsWith(ExitCode.BAD_INPUT).err().strip()).isEqualTo("bulwark: --home: " + file
                + " is not a directory; init makes a node in a new directory, or in an existing one that holds no node");
        assertThat(Files.readString(file)).isEqualTo("mine");
        Path below = file.resolve("deu");
        assertThat(Cli.run(init(below)).failsWith(ExitCode.BAD_INPUT).err().strip()).isEqualTo("bulwark: " + file
                + " exists and is not a directory; init makes a node in a new directory, or in an existing one that holds no node");
    }

    @Test
    void anEmptyHomeIsRefusedNotTakenForTheCurrentDirectory() {
        Cli empty = Cli.run("init", "--home", "", "--nation", "DEU", "--node", "deu-1");
        assertThat(empty.exit()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(empty.err()).startsWith("bulwark: ").contains("--home").contains("an empty path is not allowed");
        empty.assertNoStackTrace();
        assertThat(Cli.run("node", "info", "--home", " ").exit()).isEqualTo(ExitCode.BAD_INPUT);
    }

    @Test
    void initRefusesAFileItWouldWriteBeforeWritingAnything() throws IOException {
        Path home = dir.resolve("deu");
        Files.createDirectories(home.resolve("tls/node.p12"));
        List<Path> before = tree(home);
        assertThat(Cli.run(init(home)).failsWith(ExitCode.BAD_INPUT).err().strip()).isEqualTo("bulwark: " + home.resolve("tls/node.p12")
                + " already exists; init never overwrites it (remove it, or choose another directory)");
        assertThat(tree(home)).isEqualTo(before);
        Files.delete(home.resolve("tls/node.p12"));
        Cli.run(init(home)).succeeds();
    }

    @Test
    void aFailedInitRemovesWhatItMadeAndNothingElse() throws IOException {
        Path parent = dir.resolve("new");
        Path home = parent.resolve("deu");
        Files.createDirectories(parent);
        Files.createDirectories(home.resolve("data"));
        Files.writeString(home.resolve("notes.txt"), "mine");
        Files.createDirectories(home.resolve("bulwark.yaml.tmp")); // the last step, writing bulwark.yaml, fails on it
        List<Path> before = tree(parent);
        Cli failed = Cli.run(init(home)).failsWith(ExitCode.OTHER);
        assertThat(failed.err().strip()).startsWith("bulwark: init: " + home.resolve("bulwark.yaml.tmp")).endsWith("; nothing was kept");
        assertThat(tree(parent)).isEqualTo(before);

        Files.delete(home.resolve("bulwark.yaml.tmp"));
        Cli.run(init(home)).succeeds(); // a retry is not told the directory "already holds a node"
        assertThat(Files.readString(home.resolve("notes.txt"))).isEqualTo("mine");
    }

    @Test
    void anInitStoppedBySigtermLeavesAWholeHomeOrNone() throws Exception {
        // SIGTERM as soon as init has made each of these: it lands while init still runs (stretching the
        // passphrase, making the TLS certificate), and the home must be all or nothing all the same.
        for (String made : List.of("secrets", "keystore.bwks", "tls/node.p12")) {
            Path home = dir.resolve("deu-" + made.replace('/', '-'));
            ProcessBuilder pb = new ProcessBuilder(NodeProcess.command("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("BULWARK_KEYSTORE_PASSPHRASE", "a passphrase that is stretched, which takes a while");
            Process p = pb.start();
            while (p.isAlive() && !Files.exists(home.resolve(made))) Thread.sleep(2);
            p.destroy(); // SIGTERM
            p.waitFor();
            if (Files.exists(home.resolve("bulwark.yaml"))) {
                assertThat(home.resolve("keystore.bwks")).as("a whole home after %s", made).exists();
            } else {
                assertThat(home).as("nothing left after %s: %s", made, Files.exists(home) ? tree(home) : List.of()).doesNotExist();
            }
        }
    }

    @Test
    void aOneShotCommandPrintsOnlyItsOwnLinesUnlessAskedForTheLog() throws Exception {
        Path home = dir.resolve("quiet");
        Process p = new ProcessBuilder(NodeProcess.command("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1")).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(out).isEqualTo("created node DEU/deu-1 in " + home.toAbsolutePath().normalize() + "\n");
        assertThat(err).as("no INFO lines (schema migrations) on stderr").isEmpty();

        List<String> verbose = new java.util.ArrayList<>(NodeProcess.command("user", "add", "--home", home.toString(), "anna",
                "--nationality", "DEU", "--clearance", "NATO SECRET"));
        verbose.add(1, "-Dorg.slf4j.simpleLogger.defaultLogLevel=info"); // after the java executable: a JVM option
        Process q = new ProcessBuilder(verbose).start();
        q.getInputStream().readAllBytes();
        String log = new String(q.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(q.waitFor()).as(log).isZero();
        assertThat(log).contains("INFO").contains("local user 'anna' added");
    }

    @Test
    void userListAndRemoveOnADirectoryThatIsNotANodeHomeSaySo() throws IOException {
        Path notAHome = Files.createDirectory(dir.resolve("empty"));
        String notAHomeMessage = "bulwark: " + notAHome + " is not a node home (no bulwark.yaml); create one with bulwark init";
        assertThat(Cli.run("user", "list", "--home", notAHome.toString()).failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo(notAHomeMessage);
        assertThat(Cli.run("user", "remove", "--home", notAHome.toString(), "anna").failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo(notAHomeMessage);
    }

    @Test
    void userListAndRemoveReportAnInvalidUsersFileAsTokenAndUserAddDo() throws IOException {
        Path home = dir.resolve("deu");
        Cli.run(init(home)).succeeds();
        Files.writeString(home.resolve("users.json"), "{\"version\": 1, \"users\": [");
        String tokenError = Cli.run("token", "--home", home.toString(), "anna").failsWith(ExitCode.BAD_INPUT).err();
        assertThat(tokenError).startsWith("bulwark: users file " + home.resolve("users.json") + " at line ");
        assertThat(Cli.run("user", "add", "--home", home.toString(), "anna", "--nationality", "DEU").failsWith(ExitCode.BAD_INPUT).err())
                .isEqualTo(tokenError);
        assertThat(Cli.run("user", "list", "--home", home.toString()).failsWith(ExitCode.BAD_INPUT).err()).isEqualTo(tokenError);
        assertThat(Cli.run("user", "remove", "--home", home.toString(), "anna").failsWith(ExitCode.BAD_INPUT).err()).isEqualTo(tokenError);
    }

    @Test
    void tokenNamesAMissingTokenKey() throws IOException {
        Path home = dir.resolve("deu");
        Cli.run(init(home)).succeeds();
        Cli.run("user", "add", "--home", home.toString(), "anna", "--nationality", "DEU", "--clearance", "NATO SECRET").succeeds();
        Files.delete(home.resolve("secrets/token.key"));
        assertThat(Cli.run("token", "--home", home.toString(), "anna").failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo("bulwark: " + home.resolve("secrets/token.key") + ": no such file; a node home keeps the key that "
                        + "signs its local users' tokens there (bulwark init writes it)");
    }

    @Test
    void startNamesAPolicyFileTheConfigurationListsThatIsMissing() throws IOException {
        Path home = dir.resolve("deu");
        Cli.run(init(home)).succeeds();
        Path config = home.resolve("bulwark.yaml");
        String yaml = Files.readString(config);
        Files.writeString(config, yaml.contains("policies: []") ? yaml.replace("policies: []", "policies: [nope.xml]")
                : yaml + "policies: [nope.xml]\n");
        NodeProcess.ChildCli start = NodeProcess.cli("start", "--home", home.toString());
        assertThat(start.asCli().failsWith(ExitCode.BAD_INPUT).err().strip()).isEqualTo("bulwark: " + config + ": policies[0]: "
                + home.resolve("nope.xml") + ": no such file; each entry names an Open XML SPIF file, relative to the node's home");
    }

    @Test
    void userAddChecksClearancesAgainstTheNodesOwnPolicies() throws IOException {
        Path home = dir.resolve("deu");
        Cli.run(init(home)).succeeds();
        // This node knows the NATO policy only: GBR's OFFICIAL is a classification of the defaults, not of this node.
        try (var nato = NodeHomeInputTest.class.getResourceAsStream("/io/bulwark/label/policies/nato.xml")) {
            Files.write(home.resolve("nato.xml"), nato.readAllBytes());
        }
        Path config = home.resolve("bulwark.yaml");
        String yaml = Files.readString(config);
        Files.writeString(config, yaml.contains("policies: []") ? yaml.replace("policies: []", "policies: [nato.xml]")
                : yaml + "policies: [nato.xml]\n");
        assertThat(Cli.run("user", "add", "--home", home.toString(), "ann", "--nationality", "GBR", "--clearance", "OFFICIAL")
                .failsWith(ExitCode.BAD_INPUT).err()).contains("OFFICIAL");
        Cli.run("user", "add", "--home", home.toString(), "ann", "--nationality", "GBR", "--clearance", "NATO SECRET").succeeds();
    }

    @Test
    void initWritesEveryKeyAndSecretReadableByItsOwnerOnly() throws IOException {
        Path home = dir.resolve("deu");
        Cli.run(init(home)).succeeds();
        for (String file : List.of("tls/node.p12", "secrets/token.key", "secrets/keystore.pass")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(file))))
                    .as(file).isEqualTo("rw-------");
        }
    }
}
