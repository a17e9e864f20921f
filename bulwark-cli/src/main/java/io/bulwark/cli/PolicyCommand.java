package io.bulwark.cli;

import io.bulwark.label.CategoryType;
import io.bulwark.label.SecurityPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark policy ...}: security policy files. */
@Command(name = "policy", description = "Security policy files (Open XML SPIF 2.1).", mixinStandardHelpOptions = true,
        subcommands = PolicyCommand.Check.class)
final class PolicyCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Load a policy file and print its name, classifications and tag sets.",
                    "Exit 0 if it loads; 2 with the precise error if not."})
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The SPIF file.")
        Path file;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            SecurityPolicy p = PolicyOptions.read(file);
            PrintWriter out = spec.commandLine().getOut();
            out.println("policy " + p.name() + " (" + p.id() + ")");
            out.println("classifications (lowest first):");
            for (var c : p.classifications()) {
                out.println("  " + c.hierarchy() + "  " + c.name() + "  \"" + c.phrase("").orElseThrow() + "\"");
            }
            out.println("tag sets:");
            for (var t : p.tagSets()) {
                out.println("  " + t.name() + "  " + t.type() + (t.type() == CategoryType.PERMISSIVE && t.releasability()
                        ? " releasability" : "") + "  compact '" + t.compactPrefix() + "'  " + t.values().size() + " values");
            }
            if (!p.groups().isEmpty()) {
                out.println("nation groups:");
                p.groups().forEach((g, m) -> out.println("  " + g + "  " + m.size() + " nations"));
            }
            out.println("default release: " + String.join(", ", p.defaultRelease()));
            return ExitCode.OK;
        }
    }
}
