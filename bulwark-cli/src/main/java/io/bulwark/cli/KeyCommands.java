package io.bulwark.cli;

import io.bulwark.node.HomeLock;
import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.NodeHome;
import io.bulwark.node.NodeKeys;
import io.bulwark.node.RotationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark keys rotate}: the node's signing and KEM keys (docs/federation.md, "Key rotation"). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "The node's signing and KEM keys.",
        subcommands = KeyCommands.Rotate.class)
final class KeyCommands {

    private KeyCommands() {}

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Rotate the signing and KEM keys of a STOPPED node: new keys become primary, the old ones stay to "
                    + "verify and open what they made, and a rotation statement signed by the old and the new key lets peers "
                    + "follow at the node's next start.",
                    "Refuses while the node runs (it holds DIR/data/node.lock): a running node rotates without downtime "
                            + "through the approval path (operation keys.rotate, approved by security officers)."})
    static final class Rotate implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try {
                RotationResult r = NodeKeys.rotateStopped(NodeHome.open(home), "operator:" + System.getProperty("user.name", "unknown"));
                PrintWriter out = spec.commandLine().getOut();
                out.println("rotated: signing key " + r.newSigningKey() + " (was " + r.previousSigningKey() + "), KEM key " + r.newKemKey());
                return ExitCode.OK;
            } catch (HomeLock.HeldException e) {
                throw new UserError(ExitCode.DENIED_OR_NOT_FOUND, e.getMessage()
                        + "; a running node rotates its keys through the approval path (keys.rotate), not offline");
            } catch (InvalidConfigException e) {
                throw NodeCommands.configError(e);
            }
        }
    }
}
