package io.bulwark.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** README's first command: the table it prints is what the nodes actually hold, nation by nation. */
class DemoCommandTest {

    @Test
    void theTableShowsWhoHoldsAndReadsWhat(@TempDir Path dir) {
        Cli demo = Cli.run("demo", "--once", "--dir", dir.toString()).succeeds();
        String[] rows = demo.out().lines().filter(l -> l.matches("^[1-5] .*")).toArray(String[]::new);
        assertThat(rows).hasSize(5);
        // DEU, FRA, USA columns, as the labels release each record (and COIs decide reading)
        assertThat(rows[0]).contains("REL TO DEU, FRA, USA ").matches(".*origin, readable\\s+readable \\d+ ms\\s+readable \\d+ ms\\s*");
        assertThat(rows[1]).matches(".*origin, readable\\s+readable \\d+ ms\\s+— not held\\s*");
        assertThat(rows[2]).matches(".*origin, readable\\s+— not held\\s+— not held\\s*");
        assertThat(rows[3]).contains("COI ISR").matches(".*held \\(COI only\\) \\d+ ms\\s+held \\(COI only\\) \\d+ ms\\s+origin, readable\\s*");
        assertThat(rows[4]).matches(".*— not held\\s+origin, readable\\s+readable \\d+ ms\\s*");
    }
}
