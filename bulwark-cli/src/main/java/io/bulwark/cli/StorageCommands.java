package io.bulwark.cli;

import io.bulwark.node.InvalidConfigException;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.NodeHome;
import io.bulwark.node.StorageAdmin;
import io.bulwark.store.site.Evacuation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bulwark site add|list|remove}, {@code bulwark storage status} and
 * {@code bulwark provider evacuate}: a stopped node's storage sites (docs/storage.md). A running
 * node holds its storage lock, and these commands then refuse and say how to ask it instead.
 */
final class StorageCommands {

    private StorageCommands() {
    }

    private static NodeHome home(Path dir) {
        try {
            return NodeHome.open(dir);
        } catch (InvalidConfigException e) {
            throw NodeCommands.configError(e);
        }
    }

    /** Runs a storage action, turning its refusals into one-line errors with an exit code. */
    private static <T> T run(Callable<T> action) throws Exception {
        try {
            return action.call();
        } catch (StorageAdmin.Unavailable e) {
            throw new UserError(ExitCode.UNREACHABLE, e.getMessage());
        } catch (StorageAdmin.Refused e) {
            throw new UserError(ExitCode.DENIED_OR_NOT_FOUND, e.getMessage());
        } catch (InvalidConfigException e) {
            throw NodeCommands.configError(e);
        }
    }

    @Command(name = "site", mixinStandardHelpOptions = true,
            description = {"The storage sites of a stopped node; changes apply at the next start. A running node changes its sites "
                    + "on a request officers approve (bulwark request site-add|site-remove)."},
            subcommands = {SiteAdd.class, SiteList.class, SiteRemove.class})
    static final class SiteGroup {
    }

    /**
     * What describes a site: the options of {@code bulwark site add} and of
     * {@code bulwark request site-add} alike. Never a credential.
     */
    static final class SiteOptions {
        @Option(names = "--id", required = true, description = "The site's name, e.g. fra-1") String id;
        @Option(names = "--provider", required = true, description = "Who runs it, e.g. acme") String provider;
        @Option(names = "--jurisdiction", required = true, paramLabel = "NATION", description = "Where the data lies (ISO 3166-1 alpha-3)") String jurisdiction;
        @Option(names = "--operator", required = true, paramLabel = "NATION", description = "The operator's nationality") String operator;
        @Option(names = "--kind", required = true, description = "filesystem or s3") String kind;
        @Option(names = "--path", description = "filesystem: the directory (relative to the node's home, or absolute)") String path;
        @Option(names = "--endpoint", paramLabel = "URL", description = "s3: the service URL") String endpoint;
        @Option(names = "--bucket", description = "s3: the bucket") String bucket;
        @Option(names = "--region", description = "s3: the signing region (default us-east-1)") String region;
        @Option(names = "--path-style", arity = "0..1", paramLabel = "true|false",
                description = "s3: path-style addressing (the default; most self-hosted stores need it); --path-style=false for virtual-hosted")
        Boolean pathStyle;
        @Option(names = "--credentials-file", paramLabel = "FILE",
                description = "s3: the owner-only secret file with aws_access_key_id and aws_secret_access_key (relative to the node's home, or absolute)")
        String credentialsFile;

        NodeConfig.SiteConfig config() {
            return new NodeConfig.SiteConfig(id, provider, jurisdiction, operator, kind, path, endpoint, bucket, region, pathStyle, credentialsFile);
        }

        /** The parameters of a {@code site.add} request: those given. */
        java.util.Map<String, String> parameters() {
            java.util.Map<String, String> p = new java.util.LinkedHashMap<>();
            p.put("id", id);
            p.put("provider", provider);
            p.put("jurisdiction", jurisdiction);
            p.put("operator", operator);
            p.put("kind", kind);
            if (path != null) p.put("path", path);
            if (endpoint != null) p.put("endpoint", endpoint);
            if (bucket != null) p.put("bucket", bucket);
            if (region != null) p.put("region", region);
            if (pathStyle != null) p.put("pathStyle", pathStyle.toString());
            if (credentialsFile != null) p.put("credentialsFile", credentialsFile);
            return p;
        }

        String summary() {
            return "(" + kind + ", provider " + provider + ", " + jurisdiction + ", operator " + operator + ")";
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add a storage site to a stopped node. S3 credentials come from --credentials-file (owner-only, aws_access_key_id and "
                    + "aws_secret_access_key) or the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); never from the command line. "
                    + "Refused while the node runs: ask it with bulwark request site-add."})
    static final class SiteAdd implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Mixin SiteOptions site;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            run(() -> {
                StorageAdmin.add(h, site.config());
                return null;
            });
            spec.commandLine().getOut().println("site " + site.id + " added " + site.summary() + "; it is used from the next start");
            return ExitCode.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the storage sites.")
    static final class SiteList implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            PrintWriter out = spec.commandLine().getOut();
            for (StorageAdmin.SiteView s : run(() -> StorageAdmin.list(h))) {
                out.printf(Locale.ROOT, "%-16s %-12s %-4s %-4s %-10s %s%s%n", s.id(), s.provider(), s.jurisdiction(), s.operator(), s.kind(),
                        s.where(), s.closed() ? "  (provider closed to writes)" : "");
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a site that holds no replica (evacuate its provider first) from a stopped node. "
                    + "Refused while the node runs: ask it with bulwark request site-remove.")
    static final class SiteRemove implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Parameters(index = "0", paramLabel = "ID", description = "The site's id (bulwark site list).") String id;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            run(() -> {
                StorageAdmin.remove(h, id);
                return null;
            });
            spec.commandLine().getOut().println("site " + id + " removed");
            return ExitCode.OK;
        }
    }

    @Command(name = "storage", mixinStandardHelpOptions = true, description = "The node's storage.", subcommands = Status.class)
    static final class StorageGroup {
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Sites with health (asked now), blobs and bytes held, and records under their minimum: of a stopped node "
                    + "(--home), or of a running one through its API (--url, an operator's or officer's token).")
    static final class Status implements Callable<Integer> {
        @Option(names = "--home", paramLabel = "DIR", description = "The home directory of a stopped node (made by bulwark init).") Path home;
        @Option(names = "--url", paramLabel = "URL", description = "A running node's client API, e.g. http://127.0.0.1:8080.") String url;
        @Option(names = "--token", paramLabel = "TOKEN", description = "With --url: bearer token; default: the BULWARK_TOKEN environment "
                + "variable, which is better: a command line is visible to every local user (ps).") String token;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if ((home == null) == (url == null)) {
                throw new UserError(ExitCode.BAD_INPUT, "give --home DIR (a stopped node) or --url URL (a running one), not "
                        + (home == null ? "neither" : "both"));
            }
            PrintWriter out = spec.commandLine().getOut();
            long under;
            java.util.List<String> examples;
            if (home != null) {
                NodeHome h = home(home);
                var status = run(() -> StorageAdmin.status(h));
                status.sites().forEach(s -> print(out, s));
                under = status.underReplicated();
                examples = status.examples();
            } else {
                ClientCommands.Connection c = new ClientCommands.Connection();
                c.url = url;
                c.token = token;
                var response = c.send(c.request("/api/v1/storage").GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) throw ClientCommands.Connection.failure(response.statusCode(), response.body());
                var body = ClientCommands.Connection.json(response.body());
                body.path("sites").forEach(s -> print(out, new StorageAdmin.SiteStatus(s.path("id").asText(), s.path("provider").asText(),
                        s.path("jurisdiction").asText(), s.path("operator").asText(), s.path("kind").asText(), s.path("up").asBoolean(),
                        s.path("acceptsWrites").asBoolean(), s.path("blobs").asLong(), s.path("bytes").asLong())));
                examples = new java.util.ArrayList<>();
                for (var u : body.path("underReplicated")) examples.add(u.asText());
                // A node from before the count listed every one.
                under = body.has("underReplicatedCount") ? body.path("underReplicatedCount").asLong() : examples.size();
            }
            out.println(under == 0 ? "every record has its minimum of replicas"
                    : under + " under-replicated" + (under > examples.size() ? ", the first " + examples.size() + ":" : ":"));
            examples.forEach(u -> out.println("  " + u));
            return ExitCode.OK;
        }

        private static void print(PrintWriter out, StorageAdmin.SiteStatus s) {
            out.printf(Locale.ROOT, "%-16s %-12s %-4s %-4s %-10s %-5s %-16s %8d blobs %12d bytes%n", s.id(), s.provider(), s.jurisdiction(),
                    s.operator(), s.kind(), s.up() ? "up" : "DOWN", s.acceptsWrites() ? "accepts writes" : "closed to writes", s.blobs(), s.bytes());
        }
    }

    @Command(name = "provider", mixinStandardHelpOptions = true, description = "The providers that run the node's sites.", subcommands = Evacuate.class)
    static final class ProviderGroup {
    }

    @Command(name = "evacuate", mixinStandardHelpOptions = true,
            description = {"Move every replica off a provider onto other compliant sites, verified by SHA-256 before the source "
                    + "is deleted; the provider takes no new writes from now on. Resumes where it stopped after Ctrl-C or a crash. "
                    + "A stopped node only: a running one evacuates on an approved request (bulwark request provider-evacuate)."})
    static final class Evacuate implements Callable<Integer> {
        @Option(names = "--home", required = true, paramLabel = "DIR", description = NodeCommands.HOME) Path home;
        @Parameters(index = "0", paramLabel = "PROVIDER", description = "The storage provider, as the sites name it (bulwark site list).") String provider;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeHome h = home(home);
            PrintWriter err = spec.commandLine().getErr();
            ProgressBar bar = new ProgressBar(err);
            Evacuation.Report r = run(() -> StorageAdmin.evacuate(h, provider, bar::show));
            bar.done();
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "provider %s: %d moved (%s), %d already elsewhere, %d impossible%n", r.provider(), r.moved(),
                    ProgressBar.bytes(r.bytesMoved()), r.alreadyElsewhere(), r.impossible().size());
            r.impossible().forEach(d -> out.println("  impossible: " + d.recordId() + ": " + d.reason()));
            r.failed().forEach(f -> out.println("  not done now: " + f));
            if (!r.complete()) {
                throw new UserError(ExitCode.UNREACHABLE, r.failed().size() + " record(s) could not be moved now; run the same command again to resume");
            }
            return r.impossible().isEmpty() ? ExitCode.OK : ExitCode.DENIED_OR_NOT_FOUND;
        }
    }

    /** One line on stderr, redrawn at most every 200 ms: records, bytes, rate, ETA. */
    static final class ProgressBar {
        private final PrintWriter err;
        private long lastDrawn;
        private boolean drawn;

        ProgressBar(PrintWriter err) {
            this.err = err;
        }

        synchronized void show(Evacuation.Progress p) {
            long now = System.nanoTime();
            if (drawn && now - lastDrawn < 200_000_000L && p.records() < p.totalRecords()) return;
            lastDrawn = now;
            drawn = true;
            int width = 24;
            int filled = p.totalRecords() == 0 ? width : (int) (width * p.records() / p.totalRecords());
            err.printf(Locale.ROOT, "\r[%s%s] %d/%d records  %s/%s  %s/s  ETA %s ", "#".repeat(filled), " ".repeat(width - filled),
                    p.records(), p.totalRecords(), bytes(p.bytes()), bytes(p.totalBytes()), bytes((long) p.bytesPerSecond()),
                    p.eta().map(ProgressBar::duration).orElse("--"));
            err.flush();
        }

        synchronized void done() {
            if (drawn) err.println();
        }

        static String bytes(long b) {
            return b < 1024 * 1024 ? String.format(Locale.ROOT, "%.1f KiB", b / 1024.0) : String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }

        static String duration(Duration d) {
            return String.format(Locale.ROOT, "%d:%02d", d.toMinutes(), d.toSecondsPart());
        }
    }
}
