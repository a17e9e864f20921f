package io.bulwark.store.internal;

import java.util.Optional;

/**
 * Format rules shared by the API types and every implementation, so that SQLite, PostgreSQL,
 * filesystem and S3 accept exactly the same inputs. Each check returns the first violation (its
 * position and rule) or empty; the caller raises its own precise exception type.
 */
public final class Checks {

    /** Longest blob key: leaves room for a temp-file prefix and suffix within a 255-byte file name. */
    public static final int MAX_BLOB_KEY_LENGTH = 200;
    /** Longest label value token. */
    public static final int MAX_TOKEN_LENGTH = 128;
    /** Longest short text field (origin node, content type, policy, classification). */
    public static final int MAX_TEXT_LENGTH = 255;

    /** A rule broken at a position (empty if the whole input is at fault). */
    public record Violation(String position, String rule) {
        static Optional<Violation> at(int offset, String rule) {
            return Optional.of(new Violation("offset " + offset, rule));
        }

        static Optional<Violation> whole(String rule) {
            return Optional.of(new Violation("", rule));
        }
    }

    private Checks() {
    }

    /** A UUIDv7 in canonical lowercase form, e.g. {@code 0192f3a4-5b6c-7d8e-9f01-23456789abcd}. */
    public static Optional<Violation> uuid7(String s) {
        final String rule = "must be a UUIDv7 in canonical lowercase form (8-4-4-4-12 hex digits, version 7, variant 10)";
        if (s.length() != 36) {
            return Violation.whole(rule + "; length is " + s.length() + ", not 36");
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean ok = switch (i) {
                case 8, 13, 18, 23 -> c == '-';
                case 14 -> c == '7';
                case 19 -> c == '8' || c == '9' || c == 'a' || c == 'b';
                default -> isLowerHex(c);
            };
            if (!ok) {
                return Violation.at(i, rule);
            }
        }
        return Optional.empty();
    }

    /** An ISO 3166-1 alpha-3 code: three letters A-Z. */
    public static Optional<Violation> nation(String s) {
        if (s.length() != 3) {
            return Violation.whole("must be an ISO 3166-1 alpha-3 code (three letters A-Z); length is " + s.length());
        }
        for (int i = 0; i < 3; i++) {
            char c = s.charAt(i);
            if (c < 'A' || c > 'Z') {
                return Violation.at(i, "must be an ISO 3166-1 alpha-3 code (three letters A-Z)");
            }
        }
        return Optional.empty();
    }

    /** For {@code BlobStore.putKnown}: the bytes are as long as the blob they are said to be. */
    public static void knownSize(io.bulwark.store.BlobRef ref, byte[] bytes) {
        if (bytes.length != ref.size()) {
            throw new IllegalArgumentException("blob " + quote(ref.key()) + ": " + bytes.length + " bytes given for a blob of " + ref.size());
        }
    }

    /** A SHA-256 digest as 64 lowercase hex digits. */
    public static Optional<Violation> sha256Hex(String s) {
        if (s.length() != 64) {
            return Violation.whole("must be a SHA-256 digest as 64 lowercase hex digits; length is " + s.length());
        }
        for (int i = 0; i < 64; i++) {
            if (!isLowerHex(s.charAt(i))) {
                return Violation.at(i, "must be a SHA-256 digest as 64 lowercase hex digits");
            }
        }
        return Optional.empty();
    }

    /** A non-empty line of text without control characters, at most {@link #MAX_TEXT_LENGTH} long. */
    public static Optional<Violation> text(String s) {
        if (s.isEmpty()) {
            return Violation.whole("must not be empty");
        }
        if (s.length() > MAX_TEXT_LENGTH) {
            return Violation.whole("must be at most " + MAX_TEXT_LENGTH + " characters; length is " + s.length());
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return Violation.at(i, "must not contain control characters");
            }
        }
        return Optional.empty();
    }

    /**
     * A label value token for filtering: 1 to {@link #MAX_TOKEN_LENGTH} characters, no whitespace
     * or control characters (tokens are stored space-separated, so a space would split one).
     */
    public static Optional<Violation> token(String s) {
        if (s.isEmpty() || s.length() > MAX_TOKEN_LENGTH) {
            return Violation.whole("a label value must be 1 to " + MAX_TOKEN_LENGTH + " characters; length is " + s.length());
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                return Violation.at(i, "a label value must not contain whitespace or control characters");
            }
        }
        return Optional.empty();
    }

    /**
     * A blob key: only {@code [A-Za-z0-9._-]}, 1 to {@link #MAX_BLOB_KEY_LENGTH} characters, not
     * starting with a dot. Such a key is a safe file name on every filesystem we support and a safe
     * S3 object name: no separator, so no path traversal; no leading dot, so no {@code .}, {@code ..}
     * and no clash with the store's own temporary files, which all start with a dot.
     */
    public static Optional<Violation> blobKey(String s) {
        if (s.isEmpty() || s.length() > MAX_BLOB_KEY_LENGTH) {
            return Violation.whole("a key must be 1 to " + MAX_BLOB_KEY_LENGTH + " characters; length is " + s.length());
        }
        if (s.charAt(0) == '.') {
            return Violation.at(0, "a key must not start with '.'");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return Violation.at(i, "a key may contain only A-Z, a-z, 0-9, '.', '_' and '-'");
            }
        }
        return Optional.empty();
    }

    /** The input quoted for an error message: escaped, and cut at 80 characters. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(s.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
        if (s.length() > n) {
            b.append("… (").append(s.length()).append(" characters)");
        }
        return b.toString();
    }

    private static boolean isLowerHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
