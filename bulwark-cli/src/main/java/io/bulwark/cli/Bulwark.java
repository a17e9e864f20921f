package io.bulwark.cli;

import io.bulwark.label.LabelError;
import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.identity.InvalidIdentityException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The {@code bulwark} command: one sub-command per task, exit codes as documented in {@link ExitCode}. */
@Command(name = "bulwark", mixinStandardHelpOptions = true, version = "bulwark 0.1.0",
        description = "Bulwark: a sovereign data backbone for allied intelligence sharing.",
        subcommands = {LabelCommand.class, PolicyCommand.class, NodeCommands.Init.class, NodeCommands.NodeGroup.class,
                NodeCommands.Start.class, NodeCommands.UserGroup.class, NodeCommands.Token.class, ClientCommands.Publish.class,
                ClientCommands.Get.class, ClientCommands.ListRecords.class, ClientCommands.Watch.class, ClientCommands.Retract.class,
                ClientCommands.Relabel.class, PeerCommands.class, StorageCommands.SiteGroup.class,
                StorageCommands.StorageGroup.class, StorageCommands.ProviderGroup.class, AuditCommands.class, KeyCommands.class,
                ApprovalCommands.ApprovalGroup.class, ApprovalCommands.RequestGroup.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  ok", "  1  other failure", "  2  bad input (the message names the input, position and rule)",
                "  3  denied or not found", "  4  unreachable, or unavailable now (HTTP 502/503/504)", "  5  audit log not intact (bulwark audit verify)"})
public final class Bulwark {

    public static void main(String[] args) {
        // A command prints its own result; the node code's INFO lines (a schema migration applied, a user
        // added) only repeat it on stderr. A running node logs at INFO; a level given by the user stands.
        if (System.getProperty(LOG_LEVEL) == null && !java.util.Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst()
                .orElse("").equals("start")) {
            System.setProperty(LOG_LEVEL, "warn");
        }
        // Over the descriptor, not System.out: a PrintStream swallows write errors (a full disk, a closed
        // pipe), and run() must see them to fail instead of exiting 0 with output missing.
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(java.io.FileDescriptor.out),
                System.out.charset()), true); // the terminal's encoding, as System.out (and stderr) use
        System.exit(run(args, out, new PrintWriter(System.err, true)));
    }

    /** slf4j-simple's level for every logger (BULWARK_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=info" shows more). */
    static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    /** Runs a command line; errors are one line on {@code err}, never a stack trace. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Bulwark());
        // An empty path is the current directory: "--home $UNSET" would make a node in whatever directory this runs in.
        cli.registerConverter(java.nio.file.Path.class, value -> {
            if (value.isBlank()) throw new CommandLine.TypeConversionException("an empty path is not allowed");
            return java.nio.file.Path.of(value);
        });
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> switch (e) {
            case UserError u -> u.exitCode();
            case LabelError l -> ExitCode.BAD_INPUT;
            case InvalidConfigException c -> ExitCode.BAD_INPUT; // the home or its bulwark.yaml: the message names the file and the rule
            case InvalidIdentityException i -> ExitCode.BAD_INPUT; // users.json, a user, a token lifetime
            case io.bulwark.store.InvalidSiteException s -> ExitCode.BAD_INPUT; // a storage site's settings, e.g. its credentials file
            default -> ExitCode.OTHER;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("bulwark: " + switch (e) {
                case UserError u -> u.getMessage();
                case LabelError l -> l.getMessage();
                case InvalidConfigException c -> c.getMessage();
                case InvalidIdentityException i -> i.getMessage();
                case io.bulwark.store.InvalidSiteException s -> s.getMessage();
                case io.bulwark.store.StoreException s -> "storage: " + s.getMessage();
                case FileSystemException f -> describe(f);
                case UncheckedIOException u when u.getCause() instanceof FileSystemException f -> u.getMessage() + ": " + describe(f);
                default -> "unexpected failure: " + e;
            });
            return commandLine.getExitCodeExceptionMapper().getExitCode(e);
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("bulwark: " + e.getMessage());
            e.getCommandLine().getErr().println("(see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return ExitCode.BAD_INPUT;
        });
        int code = cli.execute(args);
        if (out.checkError() && code == ExitCode.OK) {
            err.println("bulwark: standard output: write failed; what was printed is incomplete");
            return ExitCode.OTHER;
        }
        return code;
    }

    /** A file system failure as "FILE: what is wrong", without the exception's class name. */
    static String describe(FileSystemException e) {
        String reason = switch (e) {
            case NoSuchFileException n -> "no such file or directory";
            case AccessDeniedException a -> "permission denied";
            case FileAlreadyExistsException f -> "already exists";
            case NotDirectoryException n -> "not a directory";
            case DirectoryNotEmptyException d -> "directory not empty";
            default -> e.getReason() != null ? e.getReason() : "cannot be used";
        };
        if (e.getFile() == null) return reason;
        return e.getFile() + (e.getOtherFile() != null ? " -> " + e.getOtherFile() : "") + ": " + reason;
    }
}
