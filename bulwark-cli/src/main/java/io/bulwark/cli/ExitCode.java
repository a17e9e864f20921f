package io.bulwark.cli;

/** The exit codes of every command (documented in {@code bulwark --help}, README.md and docs/node.md). */
public final class ExitCode {
    public static final int OK = 0;
    public static final int OTHER = 1;
    public static final int BAD_INPUT = 2;
    public static final int DENIED_OR_NOT_FOUND = 3;
    public static final int UNREACHABLE = 4;
    /** {@code bulwark audit verify}: the audit log is not intact. */
    public static final int TAMPERED = 5;

    private ExitCode() {}
}
