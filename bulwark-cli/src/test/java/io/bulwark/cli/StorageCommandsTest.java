package io.bulwark.cli;

import io.bulwark.label.PolicySet;
import io.bulwark.node.Node;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark site|storage|provider} on a real home: what they write and print, their refusals and exit codes. */
class StorageCommandsTest {

    @Test
    void sitesAreAddedListedEvacuatedAndRemoved(@TempDir Path dir) throws Exception {
        String home = dir.resolve("deu").toString();
        Cli.run("init", "--home", home, "--nation", "DEU", "--node", "deu-1").succeeds();
        assertThat(Cli.run("site", "add", "--home", home, "--id", "fs-2", "--provider", "other", "--jurisdiction", "DEU",
                "--operator", "DEU", "--kind", "filesystem", "--path", "sites/fs-2").succeeds().out())
                .isEqualTo("site fs-2 added (filesystem, provider other, DEU, operator DEU); it is used from the next start\n");
        assertThat(Cli.run("site", "list", "--home", home).succeeds().out().lines().map(l -> l.split(" +")[0]))
                .containsExactly("default", "fs-2");
        assertThat(Cli.run("site", "add", "--home", home, "--id", "fs-2", "--provider", "other", "--jurisdiction", "DEU",
                "--operator", "DEU", "--kind", "filesystem", "--path", "x").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: site fs-2 exists already\n");
        assertThat(Cli.run("site", "add", "--home", home, "--id", "s3-1", "--provider", "p", "--jurisdiction", "DEU",
                "--operator", "DEU", "--kind", "tape").failsWith(ExitCode.BAD_INPUT).err())
                .isEqualTo("bulwark: storage.sites[s3-1]: kind: filesystem or s3, not 'tape'\n");
        // A directory that already holds someone's blobs is not taken: the orphan sweep would delete them.
        Path occupied = dir.resolve("occupied");
        try (var other = new io.bulwark.store.blob.FilesystemBlobStore(occupied)) {
            other.put("theirs", new java.io.ByteArrayInputStream("not ours".getBytes()));
        }
        String before = java.nio.file.Files.readString(dir.resolve("deu/bulwark.yaml"));
        assertThat(Cli.run("site", "add", "--home", home, "--id", "fs-9", "--provider", "other", "--jurisdiction", "DEU",
                "--operator", "DEU", "--kind", "filesystem", "--path", occupied.toString()).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: site fs-9 already holds blobs (theirs, ...); a new site must start empty, because the node's "
                        + "orphan sweep deletes every blob no record names; nothing was changed\n");
        assertThat(java.nio.file.Files.readString(dir.resolve("deu/bulwark.yaml"))).isEqualTo(before);
        try (var other = new io.bulwark.store.blob.FilesystemBlobStore(occupied)) {
            assertThat(other.open("theirs")).as("their blob is untouched").isPresent();
        }
        // A site that does not answer is not added either (exit 4: asking again later may succeed).
        Path secret = dir.resolve("deu/secrets/s3.secret");
        java.nio.file.Files.writeString(secret, "aws_access_key_id=a\naws_secret_access_key=b\n");
        java.nio.file.Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(Cli.run("site", "add", "--home", home, "--id", "s3-9", "--provider", "p", "--jurisdiction", "DEU", "--operator", "DEU",
                "--kind", "s3", "--endpoint", "http://127.0.0.1:1", "--bucket", "nobody-home", "--credentials-file", "secrets/s3.secret")
                .failsWith(ExitCode.UNREACHABLE).err()).startsWith("bulwark: site s3-9 did not answer: ").endsWith("; nothing was changed\n");
        assertThat(java.nio.file.Files.readString(dir.resolve("deu/bulwark.yaml"))).isEqualTo(before);

        // Records published by the running node land on provider 'local' (the first by name).
        NodeHome h = NodeHome.open(dir.resolve("deu"));
        LocalUsers.open(h.dir(), PolicySet.defaults()).add(new User("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        var ana = LocalUsers.open(h.dir(), PolicySet.defaults()).find("ana").orElseThrow().toPrincipal("bulwark:DEU:deu-1");
        try (Node node = Node.start(h)) {
            for (int i = 0; i < 3; i++) node.records().publish(ana, "NATO SECRET", null, "text/plain", ("r" + i).getBytes());
            assertThat(Cli.run("provider", "evacuate", "--home", home, "local").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .contains("the node's storage is in use (is the node running?)").contains("bulwark request provider-evacuate");
            assertThat(Cli.run("site", "remove", "--home", home, "fs-2").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .isEqualTo("bulwark: the node in " + h.dir() + " is running (it holds " + h.dir().resolve("data/node.lock")
                            + "); a running node changes its sites on a request officers approve: "
                            + "bulwark request site-remove --url URL --token TOKEN fs-2\n");
            assertThat(Cli.run("site", "add", "--home", home, "--id", "fs-3", "--provider", "other", "--jurisdiction", "DEU",
                    "--operator", "DEU", "--kind", "filesystem", "--path", "sites/fs-3").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .contains("is running").endsWith("bulwark request site-add --url URL --token TOKEN --id fs-3 ...\n");
        }

        assertThat(Cli.run("site", "remove", "--home", home, "default").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: site default still holds replicas; evacuate its provider first (bulwark provider evacuate --home "
                        + h.dir() + " local)\n");
        assertThat(Cli.run("provider", "evacuate", "--home", home, "nobody").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: no site of this node belongs to provider nobody (bulwark site list)\n");

        Cli evacuated = Cli.run("provider", "evacuate", "--home", home, "local");
        assertThat(evacuated.exit()).as(evacuated.err()).isZero();
        assertThat(evacuated.out()).startsWith("provider local: 3 moved (").endsWith("), 0 already elsewhere, 0 impossible\n");
        assertThat(evacuated.err()).contains("3/3 records").contains("ETA");
        evacuated.assertNoStackTrace();
        assertThat(h.loadConfig().storage().closedProviders()).containsExactly("local");
        assertThat(Cli.run("storage", "status", "--home", home).succeeds().out())
                .contains("closed to writes").contains("every record has its minimum of replicas");

        Cli.run("site", "remove", "--home", home, "default").succeeds();
        assertThat(Cli.run("site", "list", "--home", home).succeeds().out()).startsWith("fs-2 ");
        assertThat(Cli.run("site", "remove", "--home", home, "fs-2").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: site fs-2 is the node's only site; add another first\n");
        String config = java.nio.file.Files.readString(dir.resolve("deu/bulwark.yaml"));
        assertThat(Cli.run("provider", "evacuate", "--home", home, "other").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .isEqualTo("bulwark: no site of another provider is open to writes, so provider other's replicas would have nowhere to go "
                        + "and, once it is closed, the node could store nothing; add a site of another provider first (bulwark site add --home "
                        + h.dir() + " ...)\n");
        assertThat(java.nio.file.Files.readString(dir.resolve("deu/bulwark.yaml"))).as("nothing closed").isEqualTo(config);
        try (Node node = Node.start(h)) { // the records moved are read from their new site
            assertThat(node.records().list(ana, io.bulwark.store.RecordQuery.all(), 10_000).items()).hasSize(3)
                    .allSatisfy(m -> assertThat(node.records().read(ana, m.id())).isPresent());
        }
    }

    @Test
    void aRunningNodeChangesItsSitesOnApprovedRequests(@TempDir Path dir) throws Exception {
        String home = dir.resolve("deu").toString();
        Cli.run("init", "--home", home, "--nation", "DEU", "--node", "deu-1").succeeds();
        Cli.run("user", "add", "--home", home, "otto", "--nationality", "DEU", "--clearance", "NATO SECRET", "--role", "operator").succeeds();
        Cli.run("user", "add", "--home", home, "olga", "--nationality", "DEU", "--clearance", "NATO SECRET", "--role", "officer").succeeds();
        String otto = Cli.run("token", "--home", home, "otto").succeeds().line();
        String olga = Cli.run("token", "--home", home, "olga").succeeds().line();
        try (Node node = Node.start(NodeHome.open(dir.resolve("deu")))) {
            String url = node.url();
            Cli requested = Cli.run("request", "site-add", "--url", url, "--token", otto, "--id", "gbr-1", "--provider", "other",
                    "--jurisdiction", "GBR", "--operator", "GBR", "--kind", "filesystem", "--path", "sites/gbr-1");
            assertThat(requested.exit()).as(requested.err()).isZero();
            assertThat(requested.err()).startsWith("requested site.add; it runs once 1 officer(s) other than you approve it");
            assertThat(Cli.run("approval", "approve", "--url", url, "--token", olga, requested.line()).succeeds().out())
                    .contains("executed: site gbr-1 added (filesystem, provider other, GBR, operator GBR); new writes may use it");
            assertThat(Cli.run("site", "list", "--home", home).succeeds().out().lines().map(l -> l.split(" +")[0]))
                    .containsExactly("default", "gbr-1");

            assertThat(Cli.run("request", "site-add", "--url", url, "--token", otto, "--id", "gbr-1", "--provider", "other",
                    "--jurisdiction", "GB", "--operator", "GBR", "--kind", "filesystem", "--path", "x").failsWith(ExitCode.BAD_INPUT).err())
                    .isEqualTo("bulwark: Bad request: parameters.jurisdiction: \"GB\" must be an ISO 3166-1 alpha-3 code (three letters A-Z); "
                            + "length is 2 (HTTP 400)\n");
            assertThat(Cli.run("request", "site-remove", "--url", url, "--token", otto, "nowhere").failsWith(ExitCode.BAD_INPUT).err())
                    .startsWith("bulwark: Bad request: parameters.id: the node has no site \"nowhere\"");

            String removal = Cli.run("request", "site-remove", "--url", url, "--token", otto, "gbr-1").line();
            assertThat(Cli.run("approval", "approve", "--url", url, "--token", olga, removal).succeeds().out())
                    .contains("executed: site gbr-1 removed");
            assertThat(Cli.run("site", "list", "--home", home).succeeds().out().lines().map(l -> l.split(" +")[0])).containsExactly("default");

            // The running node's storage, through its API; --home is refused while it runs and says so.
            assertThat(Cli.run("storage", "status", "--url", url, "--token", otto).succeeds().out())
                    .startsWith("default ").contains(" up ").contains("accepts writes").endsWith("every record has its minimum of replicas\n");
            assertThat(Cli.run("storage", "status", "--home", home).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .contains("is the node running?").contains("bulwark storage status --url URL");
            Cli.run("user", "add", "--home", home, "ana", "--nationality", "DEU", "--clearance", "NATO SECRET").succeeds();
            String analyst = Cli.run("token", "--home", home, "ana").succeeds().line();
            assertThat(Cli.run("storage", "status", "--url", url, "--token", analyst).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .startsWith("bulwark: Forbidden: ");
        }
        assertThat(Cli.run("storage", "status").failsWith(ExitCode.BAD_INPUT).err())
                .isEqualTo("bulwark: give --home DIR (a stopped node) or --url URL (a running one), not neither\n");
        assertThat(Cli.run("storage", "status", "--home", home, "--url", "http://127.0.0.1:1").failsWith(ExitCode.BAD_INPUT).err())
                .isEqualTo("bulwark: give --home DIR (a stopped node) or --url URL (a running one), not both\n");
        assertThat(Cli.run("request", "site-add", "--help").succeeds().out()).contains("--credentials-file").contains("never sent");
    }
}
