package io.bulwark.cli;

import io.bulwark.federation.PeerList;
import io.bulwark.node.Node;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.NodeHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark request ...} and {@code bulwark approval ...} against a node in production mode: outputs, exit codes, one-line errors. */
class ApprovalCommandsTest {

    private static String fingerprint(Path home) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(Cli.run("node", "info", "--home", home.toString(), "--json")
                .succeeds().out()).path("fingerprint").asText();
    }

    @Test
    void requestApproveAndEveryRefusal(@TempDir Path dir) throws Exception {
        Path deu = dir.resolve("deu");
        Path fra = dir.resolve("fra");
        Cli.run("init", "--home", deu.toString(), "--nation", "DEU", "--node", "deu-1", "--federation-listen", "127.0.0.1:0").succeeds();
        Cli.run("init", "--home", fra.toString(), "--nation", "FRA", "--node", "fra-1", "--federation-listen", "127.0.0.1:17544").succeeds();
        NodeConfig c = NodeConfig.load(deu.resolve("bulwark.yaml"));
        new NodeConfig(c.nation(), c.node(), c.listen(), c.tls(), c.policies(), c.limits(), c.oidc(), c.residency(), c.federation(),
                NodeConfig.Mode.PRODUCTION, c.approvals()).save(deu.resolve("bulwark.yaml"));
        String[] peer = {"--nation", "FRA", "--url", "https://127.0.0.1:17544", "--fingerprint", fingerprint(fra)};

        // Production mode: local changes of trust are refused, except a first peer with --bootstrap.
        assertThat(Cli.run(cat(new String[] {"peer", "add", "--home", deu.toString()}, peer)).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .contains("runs in production mode: adding a peer needs the approval of officers (bulwark request peer-add")
                .contains("or --bootstrap for a node's first peer");
        Cli.run(cat(new String[] {"peer", "add", "--home", deu.toString(), "--bootstrap"}, peer)).succeeds();
        assertThat(Cli.run(cat(new String[] {"peer", "add", "--home", deu.toString(), "--bootstrap"}, peer))
                .failsWith(ExitCode.DENIED_OR_NOT_FOUND).err()).contains("--bootstrap is only for a node without peers");
        assertThat(Cli.run("peer", "remove", "--home", deu.toString(), "FRA").failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                .contains("bulwark request peer-remove");

        Cli.run("user", "add", "--home", deu.toString(), "otto", "--nationality", "DEU", "--clearance", "NATO SECRET", "--role", "operator").succeeds();
        for (String o : new String[] {"olga", "omar"}) {
            Cli.run("user", "add", "--home", deu.toString(), o, "--nationality", "DEU", "--clearance", "NATO SECRET", "--role", "officer").succeeds();
        }
        try (Node node = Node.start(NodeHome.open(deu))) {
            String url = node.url();
            String otto = Cli.run("token", "--home", deu.toString(), "otto").succeeds().line();
            String olga = Cli.run("token", "--home", deu.toString(), "olga").succeeds().line();
            String omar = Cli.run("token", "--home", deu.toString(), "omar").succeeds().line();

            Cli requested = Cli.run("request", "peer-remove", "--url", url, "--token", otto, "fra");
            assertThat(requested.exit()).isZero();
            String id = requested.line();
            assertThat(requested.err()).contains("it runs once 2 officer(s) other than you approve it");

            assertThat(Cli.run("approval", "approve", "--url", url, "--token", otto, id).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .contains("the role officer is needed").endsWith("(HTTP 403)" + System.lineSeparator());
            assertThat(Cli.run("approval", "approve", "--url", url, "--token", olga, id).succeeds().out()).contains("pending").contains("1/2");
            assertThat(Cli.run("approval", "approve", "--url", url, "--token", olga, id).failsWith(ExitCode.DENIED_OR_NOT_FOUND).err())
                    .startsWith("bulwark: Duplicate approval: olga@DEU has already approved").contains("(HTTP 409)");
            assertThat(PeerList.read(deu.resolve("peers.json")).byNation("FRA")).isPresent();
            assertThat(Cli.run("approval", "list", "--url", url, "--token", otto, "--state", "pending").succeeds().out()).contains(id);
            assertThat(Cli.run("approval", "approve", "--url", url, "--token", omar, id).succeeds().out())
                    .contains("executed: peer FRA removed");
            assertThat(PeerList.read(deu.resolve("peers.json")).peers()).isEmpty();
            assertThat(Cli.run("approval", "show", "--url", url, "--token", olga, id).succeeds().out()).contains("\"state\" : \"executed\"");
            assertThat(Cli.run("approval", "reject", "--url", url, "--token", olga, "--reason", "late", id)
                    .failsWith(ExitCode.DENIED_OR_NOT_FOUND).err()).contains("Already decided");

            Cli rotate = Cli.run("request", "keys-rotate", "--url", url, "--token", otto);
            assertThat(rotate.exit()).isZero();
            assertThat(rotate.err()).startsWith("requested keys.rotate; it runs once 2 officer(s) other than you approve it");
            assertThat(Cli.run("request", "residency", "--url", url, "--token", otto, "in=XYZ").failsWith(ExitCode.BAD_INPUT).err())
                    .contains("parameters.policy");
            assertThat(Cli.run("approval", "list", "--url", url, "--token", otto, "--state", "soon").failsWith(ExitCode.BAD_INPUT).err())
                    .contains("state: pending, executing, executed, failed, rejected or expired");
            Cli.run("approval", "show", "--url", url, "--token", olga, "no-such-id").failsWith(ExitCode.DENIED_OR_NOT_FOUND);
        }
        Cli.run("approval", "list", "--url", "http://127.0.0.1:9", "--token", "x").failsWith(ExitCode.UNREACHABLE);
    }

    private static String[] cat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
