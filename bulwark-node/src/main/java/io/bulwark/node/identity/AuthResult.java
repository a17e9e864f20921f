package io.bulwark.node.identity;

import java.util.Objects;

/** The verdict on a bearer token: who it authenticates, or which check it failed. */
public sealed interface AuthResult {

    /**
     * The token is valid: it authenticates this principal.
     *
     * @param issuedAt when the token was issued, if it says (a node's own tokens always do): a local
     *                 user's token issued before the user was added was issued to an earlier user of
     *                 the same name
     */
    record Authenticated(Principal principal, java.util.Optional<java.time.Instant> issuedAt) implements AuthResult {
        public Authenticated {
            Objects.requireNonNull(principal, "principal");
            Objects.requireNonNull(issuedAt, "issuedAt");
        }

        public Authenticated(Principal principal) {
            this(principal, java.util.Optional.empty());
        }
    }

    /**
     * The token is refused. {@code reason} says which check failed, e.g. {@code "bad signature"} or
     * {@code "token expired at 2026-11-26T08:00:00Z"}; the complete list is in
     * {@code docs/identities.md}. It never contains the token, and values taken from an unverified
     * token are quoted, cut to 100 characters and stripped of control characters.
     */
    record Rejected(String reason) implements AuthResult {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
