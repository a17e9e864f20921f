package io.bulwark.node.identity;

/**
 * An infrastructure fault, not a verdict on a token: the keys of an identity provider cannot be
 * fetched (the JWKS endpoint is down, unreachable or serves no valid key set). A node answers it
 * with "service unavailable", never with "unauthorized".
 */
public final class IdentityProviderException extends RuntimeException {

    public IdentityProviderException(String message, Throwable cause) {
        super(message, cause);
    }
}
