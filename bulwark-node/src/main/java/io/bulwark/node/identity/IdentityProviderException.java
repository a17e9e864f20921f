package io.bulwark.node.identity;

/**
 * An infrastructure fault, not a verdict on a token: the keys of an identity provider cannot be
 * fetched (the JWKS endpoint is down, unreachable or serves no valid key set). A node answers it
 * with "service unavailable", never with "unauthorized".
 */
public final class IdentityProviderException extends RuntimeException {

    private final String issuer;

    public IdentityProviderException(String issuer, String message, Throwable cause) {
        super(message, cause);
        this.issuer = issuer;
    }

    /**
     * What a caller is told: the issuer (it is in the caller's own token) and nothing of where its
     * keys are fetched from or why that failed — internal hosts and network errors stay in the log.
     */
    public String publicDetail() {
        return "the keys of identity provider " + issuer + " cannot be fetched now; try again later";
    }
}
