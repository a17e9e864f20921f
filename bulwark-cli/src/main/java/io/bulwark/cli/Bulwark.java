package io.bulwark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bulwark} command: one sub-command per task, exit codes as documented in {@link ExitCode}. */
@Command(name = "bulwark", mixinStandardHelpOptions = true, version = "bulwark 0.1.0",
        description = "Bulwark: a sovereign data backbone for allied intelligence sharing.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Bulwark {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bulwark()).execute(args));
    }
}
