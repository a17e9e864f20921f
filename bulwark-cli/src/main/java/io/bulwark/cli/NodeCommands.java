package io.bulwark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.PolicySet;
import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.Node;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.NodeHome;
import io.bulwark.node.NodeKeys;
import io.bulwark.node.identity.InvalidIdentityException;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Commands that run on the node's own machine, against its home directory. */
final class NodeCommands {

    /** The help text of every --home that names an existing node. */
    static final String HOME = "The node's home directory (made by bulwark init).";
    static final String USER_NAME = "The local user's name.";

    private NodeCommands() {}

    static UserError configError(InvalidConfigException e) {
        return new UserError(ExitCode.BAD_INPUT, e.getMessage());
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Create a node: keystore (hybrid signing and KEM keys), TLS certificate, bulwark.yaml, an empty "
                    + "database and a default filesystem site in DIR. Refuses to overwrite an existing node.",
                    "The keystore passphrase comes from BULWARK_KEYSTORE_PASSPHRASE; without it a random one is written to "
                            + "DIR/secrets/keystore.pass (readable by the owner only)."})
    static final class Init implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR",
                description = "The directory to make the node in: a new one, or an existing one that holds no node.") Path home;
        @Option(names = "--nation", required = true, paramLabel = "NATION", description = "ISO 3166-1 alpha-3, e.g. DEU") String nation;
        @Option(names = "--node", required = true, paramLabel = "NAME", description = "e.g. deu-1") String node;
        @Option(names = "--listen", defaultValue = "127.0.0.1:0", paramLabel = "HOST:PORT",
                description = "Client API address, a loopback one: the node serves it without TLS until tls: true is set in its "
                        + "bulwark.yaml (default ${DEFAULT-VALUE}; port 0 picks a free port at start).") String listen;
        @Option(names = "--federation-listen", paramLabel = "HOST:PORT",
                description = "Federation API address (mutual TLS, hybrid post-quantum key exchange); without it the node "
                        + "shares with no peer. Peers need a fixed port.") String federationListen;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (Files.exists(home) && !Files.isDirectory(home)) {
                throw new UserError(ExitCode.BAD_INPUT, "--home: " + home.toAbsolutePath().normalize() + " is not a directory; "
                        + "init makes a node in a new directory, or in an existing one that holds no node");
            }
            try {
                if (!io.bulwark.node.NodeConfig.loopbackListen(listen, "--listen")) { // init writes tls: false
                    throw new UserError(ExitCode.BAD_INPUT, "--listen " + listen + ": not a loopback address; a node init makes serves its "
                            + "client API without TLS, which only loopback may: init with a loopback --listen, then set listen and "
                            + "tls: true in its bulwark.yaml (its certificate is tls/node.p12)");
                }
                NodeHome h = NodeHome.init(home, nation, node, listen, java.util.Optional.ofNullable(federationListen));
                spec.commandLine().getOut().println("created node " + nation + "/" + node + " in " + h.dir());
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (java.io.IOException e) {
                String what = e instanceof java.nio.file.FileSystemException f ? Bulwark.describe(f) : e.getMessage();
                throw new UserError(ExitCode.OTHER, "init: " + what + (e.getSuppressed().length == 0
                        ? "; nothing was kept" : "; could not remove all it had made: " + e.getSuppressed()[0].getMessage()));
            }
        }
    }

    @Command(name = "node", mixinStandardHelpOptions = true, description = "About this node.", subcommands = Info.class)
    static final class NodeGroup {}

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print the node's nation, name, URLs and key fingerprints.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Option(names = "--json", description = "Print JSON.") boolean json;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try {
                NodeHome h = NodeHome.open(home);
                NodeConfig c = h.loadConfig();
                NodeKeys keys = NodeKeys.open(h);
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("nation", c.nation());
                info.put("node", c.node());
                info.put("listen", c.listen());
                info.put("clientUrl", (c.tls() ? "https://" : "http://") + c.listen());
                c.federationSettings().ifPresent(f -> info.put("federationUrl", "https://" + f.listen()));
                info.put("fingerprint", h.tlsFingerprint());
                info.put("signingKey", keys.signing().primary().fingerprint().toString());
                info.put("kemKey", keys.kem().primary().fingerprint().toString());
                info.put("keyHistory", history(keys));
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info));
                } else {
                    info.forEach((k, v) -> {
                        if (!(v instanceof Map)) out.println(k + ": " + v);
                    });
                    printHistory(keys, out);
                }
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            }
        }
    }

    /**
     * Every key the node ever had, oldest first, the current primary marked, and the rotations that
     * link the signing keys (what peers follow).
     */
    private static Map<String, Object> history(NodeKeys keys) {
        var signingPrimary = keys.signing().primary();
        var kemPrimary = keys.kem().primary();
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("signingKeys", keys.signing().publicKeys().stream().map(k -> Map.of("fingerprint", k.fingerprint().toString(),
                "primary", k.equals(signingPrimary))).toList());
        h.put("kemKeys", keys.kem().publicKeys().stream().map(k -> Map.of("fingerprint", k.fingerprint().toString(),
                "primary", k.equals(kemPrimary))).toList());
        h.put("rotations", keys.rotations().stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", r.at().toString());
            m.put("previousSigningKey", r.previous().fingerprint().toString());
            m.put("signingKey", r.next().fingerprint().toString());
            m.put("kemKey", r.nextKem().fingerprint().toString());
            return m;
        }).toList());
        return h;
    }

    private static void printHistory(NodeKeys keys, PrintWriter out) {
        out.println("signing keys (oldest first):");
        keys.signing().publicKeys().forEach(k -> out.println("  " + k.fingerprint() + (k.equals(keys.signing().primary()) ? "  primary" : "")));
        out.println("KEM keys (oldest first):");
        keys.kem().publicKeys().forEach(k -> out.println("  " + k.fingerprint() + (k.equals(keys.kem().primary()) ? "  primary" : "")));
        out.println("rotations: " + keys.rotations().size());
        keys.rotations().forEach(r -> out.println("  " + r.at() + "  " + r.previous().fingerprint() + " -> " + r.next().fingerprint()));
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Serve until SIGTERM or SIGINT, then stop cleanly (requests in flight finish, the database closes).",
                    "Prints one line 'ready <client-api-url>' on stdout once it accepts requests."})
    static final class Start implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Node node;
            try {
                NodeHome nodeHome = NodeHome.open(home);
                unpackNativeLibrariesIn(nodeHome.dir().resolve("tmp/native"));
                node = Node.start(nodeHome);
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (io.bulwark.node.HomeLock.HeldException e) {
                throw new UserError(ExitCode.DENIED_OR_NOT_FOUND, e.getMessage());
            } catch (java.io.IOException e) {
                if (e.getCause() instanceof java.net.BindException || e instanceof java.net.BindException) {
                    throw new UserError(ExitCode.BAD_INPUT, "cannot listen: " + e.getMessage());
                }
                throw e;
            }
            IdleFootprint.apply();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                node.close();
                stopped.countDown();
            }, "bulwark-shutdown"));
            spec.commandLine().getOut().println("ready " + node.url());
            spec.commandLine().getOut().flush();
            stopped.await();
            return ExitCode.OK;
        }

        /**
         * SQLite's JDBC driver unpacks its native library (1.1 MB) into the temporary directory at every
         * start and removes it at exit, which a killed node never reaches: each kill -9 left one in /tmp
         * for good. Unpacked in the node's home instead, the next start of the node removes what a killed
         * one left (only one node process serves a home; a library another process has loaded stays
         * mapped when its file goes).
         */
        private static void unpackNativeLibrariesIn(Path dir) throws java.io.IOException {
            if (System.getProperty("org.sqlite.tmpdir") != null) return; // chosen by whoever launched the JVM
            if (Files.isDirectory(dir)) {
                try (var left = Files.list(dir)) {
                    for (Path p : left.toList()) Files.deleteIfExists(p);
                }
            }
            Files.createDirectories(dir);
            System.setProperty("org.sqlite.tmpdir", dir.toString());
        }
    }

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Local users of an embedded node.",
            subcommands = {UserAdd.class, UserList.class, UserRemove.class})
    static final class UserGroup {}

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a local user.")
    static final class UserAdd implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Parameters(index = "0", paramLabel = "NAME", description = USER_NAME) String name;
        @Option(names = "--nationality", required = true, paramLabel = "NATION", description = "The user's nationality, ISO 3166-1 alpha-3, e.g. DEU.") String nationality;
        @Option(names = "--clearance", paramLabel = "LEVEL", description = "e.g. 'NATO SECRET' (repeatable, one per policy)")
        List<String> clearances = new ArrayList<>();
        @Option(names = "--coi", split = ",", paramLabel = "VALUE", description = "community of interest (repeatable)")
        List<String> cois = new ArrayList<>();
        @Option(names = "--role", split = ",", paramLabel = "ROLE", description = "analyst (default), operator, officer")
        List<String> roles = new ArrayList<>();
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try {
                NodeHome h = NodeHome.open(home);
                PolicySet policies = h.policies(h.loadConfig()); // the node's own classifications, not the defaults
                LocalUsers users = LocalUsers.open(h.dir(), policies);
                LinkedHashSet<Role> parsed = new LinkedHashSet<>();
                roles.forEach(r -> parsed.add(Role.parse(r)));
                if (parsed.isEmpty()) parsed.add(Role.ANALYST);
                users.add(new User(name, nationality, clearances, new LinkedHashSet<>(cois), parsed));
                spec.commandLine().getOut().println("added user " + name);
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (InvalidIdentityException | InvalidLabelException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a local user; the node refuses its tokens from the next request on.")
    static final class UserRemove implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Parameters(index = "0", paramLabel = "NAME", description = USER_NAME) String name;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            try {
                NodeHome h = NodeHome.open(home);
                LocalUsers.open(h.dir(), h.policies(h.loadConfig())).remove(name)
                        .orElseThrow(() -> new UserError(ExitCode.DENIED_OR_NOT_FOUND, "no local user '" + name + "'"));
                spec.commandLine().getOut().println("removed user " + name);
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (InvalidIdentityException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List local users.")
    static final class UserList implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            try {
                NodeHome h = NodeHome.open(home);
                for (User u : LocalUsers.open(h.dir(), h.policies(h.loadConfig())).list()) {
                    spec.commandLine().getOut().println(u.name() + "  " + u.nationality() + "  " + u.clearances() + "  " + u.cois() + "  " + u.roles());
                }
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (InvalidIdentityException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Print a bearer token for a local user.")
    static final class Token implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = HOME) Path home;
        @Parameters(index = "0", paramLabel = "NAME", description = USER_NAME) String name;
        @Option(names = "--ttl", defaultValue = "8h", paramLabel = "DURATION", description = "e.g. 30m, 8h, 1d (max 7d); default ${DEFAULT-VALUE}")
        String ttl;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try {
                NodeHome h = NodeHome.open(home);
                NodeConfig c = h.loadConfig();
                Duration d = LocalTokens.parseTtl(ttl);
                User u = LocalUsers.open(h.dir(), h.policies(h.loadConfig())).find(name)
                        .orElseThrow(() -> new UserError(ExitCode.DENIED_OR_NOT_FOUND, "no local user '" + name + "'"));
                LocalTokens tokens = new LocalTokens(c.nation(), c.node(), h.tokenSecret());
                spec.commandLine().getOut().println(tokens.issue(u.toPrincipal(tokens.issuer()), d));
                return ExitCode.OK;
            } catch (InvalidConfigException e) {
                throw configError(e);
            } catch (InvalidIdentityException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
    }
}
