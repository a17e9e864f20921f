package io.bulwark.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the command line in-process and captures what it prints. */
record Cli(int exit, String out, String err) {

    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out, true);
        PrintWriter e = new PrintWriter(err, true);
        int exit = Bulwark.run(args, o, e);
        o.flush();
        e.flush();
        return new Cli(exit, out.toString(), err.toString());
    }

    /** The command failed with this exit code and one line on stderr, without a stack trace. */
    Cli failsWith(int code) {
        assertThat(exit).as("exit code; out=%s err=%s", out, err).isEqualTo(code);
        assertThat(out).isEmpty();
        assertThat(err).startsWith("bulwark: ").endsWith(System.lineSeparator());
        assertThat(err.strip().lines()).as("one line: %s", err).hasSize(1);
        assertNoStackTrace();
        return this;
    }

    Cli succeeds() {
        assertThat(exit).as("exit code; err=%s", err).isZero();
        assertThat(err).isEmpty();
        return this;
    }

    void assertNoStackTrace() {
        assertThat(err).doesNotContain("Exception").doesNotContainPattern("(?m)^\\s+at ").doesNotContain("\tat ");
        assertThat(out).doesNotContain("Exception").doesNotContainPattern("(?m)^\\s+at ");
    }

    /** The single line printed on stdout. */
    String line() {
        assertThat(out.lines()).as(out).hasSize(1);
        return out.strip();
    }
}
