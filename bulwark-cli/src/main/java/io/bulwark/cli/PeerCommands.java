package io.bulwark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.federation.InvalidPeerException;
import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.NodeHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bulwark peer add|list|remove}: the node's peer list, the only trust there is between nodes. */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = {"The nodes of other nations this node shares with. A running node picks changes up at once: "
                + "a removed peer's next handshake or request is refused."},
        subcommands = {PeerCommands.Add.class, PeerCommands.ListPeers.class, PeerCommands.Remove.class})
final class PeerCommands {

    private static NodeHome home(Path dir) {
        try {
            NodeHome home = NodeHome.open(dir);
            NodeConfig config = home.loadConfig();
            if (config.federationSettings().isEmpty()) {
                throw new UserError(ExitCode.BAD_INPUT, dir + ": this node has no federation API (create it with "
                        + "bulwark init --federation-listen HOST:PORT, or set federation.listen in bulwark.yaml)");
            }
            return home;
        } catch (InvalidConfigException e) {
            throw NodeCommands.configError(e);
        }
    }

    private static PeerList read(NodeHome home) {
        try {
            return PeerList.read(home.peers());
        } catch (InvalidPeerException e) {
            throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
        }
    }

    /**
     * In production mode trust changes only through M-of-N approval (docs/approvals.md): editing
     * peers.json from the node's own machine would bypass it. The one exception is a node's very first
     * peer, which has to come from somewhere: {@code --bootstrap}, accepted only while there is none.
     */
    private static void approvalRequired(NodeHome home, String what, String request, boolean bootstrap) {
        if (home.loadConfig().mode() != NodeConfig.Mode.PRODUCTION) return;
        if (bootstrap && read(home).peers().isEmpty()) return;
        throw new UserError(ExitCode.DENIED_OR_NOT_FOUND, home.dir() + " runs in production mode: " + what + " needs the approval of officers "
                + "(bulwark " + request + " --url URL --token T ...)" + (request.startsWith("request peer-add")
                ? (bootstrap ? "; --bootstrap is only for a node without peers" : ", or --bootstrap for a node's first peer") : ""));
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Pin a peer: its nation, federation URL and TLS certificate fingerprint (from its 'bulwark node info', exchanged out of band).")
    static final class Add implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Option(names = "--nation", required = true, paramLabel = "NATION", description = "The peer's nation, e.g. FRA") String nation;
        @Option(names = "--url", required = true, paramLabel = "URL", description = "The peer's federation API, https://HOST:PORT") String url;
        @Option(names = "--fingerprint", required = true, paramLabel = "HEX", description = "SHA-256 of the peer's TLS certificate (64 hex digits)") String fingerprint;
        @Option(names = "--bootstrap", description = "In production mode: pin the node's first peer without approval (refused once it has one).")
        boolean bootstrap;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            approvalRequired(h, "adding a peer", "request peer-add", bootstrap);
            try {
                Peer peer = new Peer(nation, Peer.url(url), fingerprint, Instant.now());
                if (peer.fingerprint().equals(h.tlsFingerprint())) {
                    throw new UserError(ExitCode.BAD_INPUT, "fingerprint: " + peer.fingerprint() + " is this node's own certificate; "
                            + "pin the peer's (its 'bulwark node info')");
                }
                read(h).with(peer, h.loadConfig().nation()).write(h.peers());
                spec.commandLine().getOut().println("peer " + peer.nation() + " added: " + peer.url() + " pinned to " + peer.fingerprint());
                return ExitCode.OK;
            } catch (InvalidPeerException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Unpin a peer: all exchange with it stops at once.")
    static final class Remove implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Parameters(index = "0", paramLabel = "NATION", description = "The peer's nation, e.g. FRA.") String nation;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            NodeHome h = home(home);
            approvalRequired(h, "removing a peer", "request peer-remove", false);
            String upper = nation.toUpperCase(Locale.ROOT);
            PeerList peers = read(h);
            if (peers.byNation(upper).isEmpty()) {
                throw new UserError(ExitCode.DENIED_OR_NOT_FOUND, "peer " + upper + ": not a peer of this node (bulwark peer list)");
            }
            try {
                peers.without(upper).write(h.peers());
            } catch (InvalidPeerException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
            spec.commandLine().getOut().println("peer " + nation.toUpperCase(Locale.ROOT) + " removed");
            return ExitCode.OK;
        }
    }

    /** The time of a status field, or "-". */
    private static String text(JsonNode v) {
        return v.isTextual() ? v.asText() : "-";
    }

    /** A status the node has not rewritten for 10 s (it does every 2 s): from a node that died without stopping. */
    static boolean stale(String asOf) {
        try {
            return Instant.parse(asOf).isBefore(Instant.now().minusSeconds(10));
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the peers with their state as the running node last saw it (every 2 s): connection, "
                    + "acknowledged position, lag (records and seconds), last delivery, last error."})
    static final class ListPeers implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Option(names = "--json", description = "Print the node's status JSON.") boolean json;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            NodeHome h = home(home);
            PeerList peers = read(h);
            PrintWriter out = spec.commandLine().getOut();
            JsonNode status;
            try {
                status = new ObjectMapper().readTree(h.peersStatus().toFile());
            } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) { // no node running (a stopping one deletes it)
                status = null;
            }
            boolean stale = status != null && stale(status.path("asOf").asText());
            if (json) {
                out.println(status == null ? "{\"peers\":[]}" : status.toPrettyString());
                return ExitCode.OK;
            }
            if (peers.peers().isEmpty()) {
                out.println("no peers (add one with bulwark peer add)");
                return ExitCode.OK;
            }
            out.printf(Locale.ROOT, "%-6s %-28s %-11s %8s %8s %8s %-24s %s%n", "NATION", "URL", "STATE", "ACKED", "LAG", "LAG(s)",
                    "LAST DELIVERY", "LAST ERROR");
            for (Peer p : peers.peers()) {
                JsonNode s = null;
                if (status != null) for (JsonNode n : status.path("peers")) if (n.path("fingerprint").asText().equals(p.fingerprint())) s = n;
                if (s == null) {
                    out.printf(Locale.ROOT, "%-6s %-28s %-11s%n", p.nation(), p.url(), "(no status: is the node running?)");
                    continue;
                }
                out.printf(Locale.ROOT, "%-6s %-28s %-11s %8d %8s %8s %-24s %s%n", p.nation(), p.url(), s.path("state").asText() + (stale ? "?" : ""),
                        s.path("ackedSeq").asLong(),
                        s.path("lagRecords").isNumber() ? s.path("lagRecords").asLong() + (s.path("lagCapped").asBoolean() ? "+" : "") : "?",
                        s.path("lagSeconds").isNumber() ? String.valueOf(s.path("lagSeconds").asLong()) : "?", text(s.path("lastDelivery")),
                        s.path("lastError").isTextual() ? s.path("lastError").asText() + " (at " + text(s.path("lastErrorAt")) + ")" : "-");
            }
            if (status != null) {
                String asOf = status.path("asOf").asText();
                out.println(stale ? "(STALE: as of " + asOf + "; the node rewrites this every 2 s, so it is not running or is stuck)"
                        : "(as of " + asOf + ")");
            }
            return ExitCode.OK;
        }
    }
}
