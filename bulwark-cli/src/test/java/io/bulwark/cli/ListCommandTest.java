package io.bulwark.cli;

import io.bulwark.node.Node;
import io.bulwark.node.NodeConfig;
import io.bulwark.node.NodeHome;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bulwark list} against a node whose listing reads a small window a page: it asks on with the
 * cursor until its page is full, so a user who may see little gets full pages all the same.
 */
class ListCommandTest {

    @Test
    void listAsksOnUntilItsPageIsFull(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("deu");
        Cli.run("init", "--home", home.toString(), "--nation", "DEU", "--node", "deu-1").succeeds();
        NodeConfig c = NodeConfig.load(home.resolve("bulwark.yaml"));
        NodeConfig.Limits l = c.limits();
        new NodeConfig(c.nation(), c.node(), c.listen(), c.tls(), c.policies(),
                new NodeConfig.Limits(l.maxPayloadBytes(), l.maxConcurrentRequests(), l.requestTimeoutSeconds(), l.maxHeaderBytes(), 1000, l.maxBufferedBytes()),
                c.oidc(), c.residency(), c.federation(), c.mode(), c.approvals()).save(home.resolve("bulwark.yaml"));
        Cli.run("user", "add", "--home", home.toString(), "rita", "--nationality", "DEU", "--clearance", "NATO RESTRICTED").succeeds();
        Principal ana = new Principal("ana", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "bulwark:DEU:deu-1");
        List<String> readable = new ArrayList<>(); // newest first
        try (Node node = Node.start(NodeHome.open(home))) {
            // 2,500 records, newest first in windows of 1,000: rita may read one in each window.
            for (int filler : new int[] {100, 1099, 1199, 99}) {
                try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < filler; i++) {
                        pool.submit(() -> node.records().publish(ana, "NATO SECRET//REL TO DEU", "", "text/plain", new byte[1]));
                    }
                }
                if (filler != 99) {
                    readable.addFirst(node.records().publish(ana, "NATO RESTRICTED", "", "text/plain",
                            "x".getBytes(StandardCharsets.UTF_8)).id());
                }
            }
            String rita = Cli.run("token", "--home", home.toString(), "rita").succeeds().line();

            String first = Cli.run("list", "--url", node.url(), "--token", rita, "--limit", "2").succeeds().out();
            assertThat(lines(first)).hasSize(3);
            assertThat(lines(first).get(0)).startsWith(readable.get(0));
            assertThat(lines(first).get(1)).startsWith(readable.get(1));
            assertThat(lines(first).get(2)).startsWith("more: --cursor ");
            String cursor = lines(first).get(2).substring("more: --cursor ".length());

            String rest = Cli.run("list", "--url", node.url(), "--token", rita, "--limit", "2", "--cursor", cursor).succeeds().out();
            assertThat(lines(rest)).singleElement().satisfies(line -> assertThat(line).startsWith(readable.get(2)));
        }
    }

    private static List<String> lines(String out) {
        return out.lines().toList();
    }
}
