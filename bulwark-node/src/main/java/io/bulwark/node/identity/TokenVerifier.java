package io.bulwark.node.identity;

/**
 * Verifies bearer tokens (JWTs) and maps them to principals.
 *
 * <p>Implementations: {@link LocalTokens} (tokens a node signs itself), {@link OidcTokenVerifier}
 * (tokens of an external OpenID Connect provider such as Keycloak), and {@link Verifiers} (routes a
 * token to one of those by its issuer).
 *
 * <p><b>Security guarantees.</b> A token is {@link AuthResult.Authenticated} only if its issuer is
 * the verifier's, its signature verifies under a key of that issuer with an algorithm the verifier
 * accepts (never {@code none}, never a MAC under a public key), it is within its validity period
 * (60 s of clock skew allowed), its audience matches where one is configured, and it carries every
 * claim a principal needs. Tokens and secrets are never logged.
 */
public sealed interface TokenVerifier permits LocalTokens, OidcTokenVerifier, Verifiers {

    /**
     * The verdict on a bearer token: the compact JWT, without the {@code Bearer } prefix of the
     * HTTP header. Whatever the input (null, empty, garbage, oversized), the answer is a verdict,
     * never an exception, with one exception below.
     *
     * @throws IdentityProviderException if the verdict needs an identity provider's keys and they
     *                                   cannot be fetched: a fault, not a rejection
     */
    AuthResult verify(String bearer);
}
