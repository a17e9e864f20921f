package io.bulwark.crypto;

import java.security.GeneralSecurityException;

/**
 * Bytes that do not follow one of the encodings of {@code docs/formats/crypto.md}: wrong length, unknown
 * or unexpected algorithm identifier, bad magic bytes, unsupported version, a component the JDK refuses.
 *
 * <p>It is a {@link GeneralSecurityException} so that one {@code catch (GeneralSecurityException e)}
 * covers every way untrusted bytes can be rejected; catch this subclass to tell "malformed" from "failed
 * a cryptographic check". The message names the input, the byte offset and the rule, e.g.
 * {@code "hybrid public signing key at byte 0: unknown algorithm id 0x0999"}.
 *
 * <p>These checks depend only on public bytes (lengths, identifiers), never on a key, so reporting them
 * precisely gives nothing away. Checks that involve a key are reported tersely by the operation instead
 * (see the package documentation).
 */
public final class InvalidEncodingException extends GeneralSecurityException {

    private final String input;
    private final long offset;
    private final String rule;

    /**
     * @param input  what was being parsed, in words ("hybrid signature", "keystore file")
     * @param offset the byte offset in that input where the rule is broken
     * @param rule   the rule that is broken, in words
     */
    public InvalidEncodingException(String input, long offset, String rule) {
        super(input + " at byte " + offset + ": " + rule);
        this.input = input;
        this.offset = offset;
        this.rule = rule;
    }

    /** What was being parsed, e.g. {@code "hybrid signature"}. */
    public String input() {
        return input;
    }

    /** The byte offset in the input where the rule is broken. */
    public long offset() {
        return offset;
    }

    /** The broken rule, in words. */
    public String rule() {
        return rule;
    }
}
