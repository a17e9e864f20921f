package io.bulwark.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** README's first command: the table it prints is what the nodes actually hold, nation by nation. */
class DemoCommandTest {

    @Test
    void theTableShowsWhoHoldsAndReadsWhat() throws IOException {
        Set<Path> before = demoHomes();
        Cli demo = Cli.run("demo", "--once").succeeds(); // as README runs it: homes in a new temporary directory
        assertThat(demoHomes()).as("the temporary homes (keys included) are removed on exit").isEqualTo(before);
        String[] rows = demo.out().lines().filter(l -> l.matches("^[1-5] .*")).toArray(String[]::new);
        assertThat(rows).hasSize(5);
        // DEU, FRA, USA columns, as the labels release each record (and COIs decide reading)
        assertThat(rows[0]).contains("REL TO DEU, FRA, USA ").matches(".*origin, readable\\s+readable \\d+ ms\\s+readable \\d+ ms\\s*");
        assertThat(rows[1]).matches(".*origin, readable\\s+readable \\d+ ms\\s+— not held\\s*");
        assertThat(rows[2]).matches(".*origin, readable\\s+— not held\\s+— not held\\s*");
        assertThat(rows[3]).contains("COI ISR").matches(".*held \\(COI only\\) \\d+ ms\\s+held \\(COI only\\) \\d+ ms\\s+origin, readable\\s*");
        assertThat(rows[4]).matches(".*— not held\\s+origin, readable\\s+readable \\d+ ms\\s*");
    }

    private static Set<Path> demoHomes() throws IOException {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith("bulwark-demo")).collect(Collectors.toSet());
        }
    }
}
