package io.bulwark.cli;

import io.bulwark.audit.AuditException;
import io.bulwark.audit.AuditLog;
import io.bulwark.audit.AuditVerification;
import io.bulwark.audit.AuditVerifier;
import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.NodeHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bulwark audit verify|export}: the node's audit log ({@code data/audit.db}), read from the file
 * alone in one read-only snapshot — so both work whether the node is running or not.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "The node's tamper-evident audit log (data/audit.db); works while the node runs and when it is stopped.",
        subcommands = {AuditCommands.Verify.class, AuditCommands.Export.class})
final class AuditCommands {

    private static NodeHome home(Path dir) {
        try {
            NodeHome home = NodeHome.open(dir);
            if (!Files.isRegularFile(home.auditLog())) {
                throw new UserError(ExitCode.BAD_INPUT, home.auditLog() + ": no audit log (the node writes it from its first start)");
            }
            return home;
        } catch (InvalidConfigException e) {
            throw NodeCommands.configError(e);
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recompute the audit log's Merkle tree and check every entry and every signed tree head against "
                    + "the node's public signing keys.",
                    "Exit 0 only if the log is intact; exit 5 naming the first bad entry and what is wrong with it."})
    static final class Verify implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            AuditVerification result;
            try {
                result = AuditVerifier.verify(h.auditLog(), h.openKeystore().signing().publicKeys());
            } catch (InvalidConfigException e) {
                throw NodeCommands.configError(e);
            } catch (AuditException e) {
                throw new UserError(ExitCode.OTHER, e.getMessage());
            }
            return switch (result) {
                case AuditVerification.Intact i -> {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("intact: " + i.entries() + " entries, " + i.signedEntries() + " covered by " + i.treeHeads()
                            + " signed tree heads" + (i.entries() > i.signedEntries()
                            ? " (the last " + (i.entries() - i.signedEntries()) + " not yet signed: written in the last second, or before a crash)" : ""));
                    yield ExitCode.OK;
                }
                case AuditVerification.Tampered t -> throw new UserError(ExitCode.TAMPERED, h.auditLog() + ": not intact: first bad entry "
                        + t.index() + " (" + t.kind() + "): " + t.detail());
            };
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write the audit log as JSON Lines for a SIEM, oldest first: "
                    + "{\"index\":N,\"leafHash\":\"<hex>\",\"entry\":<the stored leaf>} (docs/formats/audit-log.md)."})
    static final class Export implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Option(names = "--since", paramLabel = "INSTANT", description = "Only events at or after this ISO-8601 instant, e.g. 2026-11-27T00:00:00Z") String since;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE (replaced once the export is complete; "
                + "readable by the owner only) instead of stdout.") Path output;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Optional<Instant> from;
            try {
                from = Optional.ofNullable(since).map(Instant::parse);
            } catch (DateTimeParseException e) {
                throw new UserError(ExitCode.BAD_INPUT, "--since: an ISO-8601 instant such as 2026-11-27T00:00:00Z, not '" + since + "'");
            }
            NodeHome h = home(home);
            OutputFile file = output == null ? null : OutputFile.check("-o", output);
            PrintWriter out = spec.commandLine().getOut();
            try {
                if (file == null) {
                    AuditLog.export(h.auditLog(), new Lines(out), from);
                    return ExitCode.OK;
                }
                long[] lines = new long[1];
                file.write(o -> lines[0] = AuditLog.export(h.auditLog(), o, from));
                out.println("exported " + lines[0] + " entries to " + output);
                return ExitCode.OK;
            } catch (AuditException e) {
                throw new UserError(ExitCode.OTHER, e.getMessage());
            } catch (IOException | UncheckedIOException e) {
                throw new UserError(ExitCode.OTHER, "stdout: " + e.getMessage());
            }
        }
    }

    /** Bytes of whole UTF-8 lines onto the command's writer (stdout, or a test's capture). */
    private static final class Lines extends OutputStream {
        private final PrintWriter out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                out.print(line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }
    }
}
