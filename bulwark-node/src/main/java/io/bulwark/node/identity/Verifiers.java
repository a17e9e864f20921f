package io.bulwark.node.identity;

import io.bulwark.node.identity.Jwts.Rejection;
import io.bulwark.node.identity.Jwts.TokenDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every issuer a node trusts: routes each token to the verifier of its issuer, read from the
 * token's unverified {@code iss} claim, and rejects a token of any other issuer. The chosen verifier
 * then checks everything, the issuer included.
 */
public final class Verifiers implements TokenVerifier {

    private static final Logger log = LoggerFactory.getLogger(Verifiers.class);
    private final Map<String, TokenVerifier> byIssuer;
    private final List<TokenVerifier> verifiers;

    private Verifiers(Map<String, TokenVerifier> byIssuer) {
        this.byIssuer = byIssuer;
        this.verifiers = List.copyOf(byIssuer.values());
    }

    /**
     * The verifiers of a node: its {@link LocalTokens} and an {@link OidcTokenVerifier} per trusted
     * provider, each for a different issuer.
     *
     * @throws InvalidIdentityException if two verifiers have one issuer, or one is itself a {@code Verifiers}
     */
    public static Verifiers of(List<? extends TokenVerifier> verifiers) {
        Map<String, TokenVerifier> byIssuer = new LinkedHashMap<>();
        for (TokenVerifier v : verifiers) {
            String issuer = switch (v) {
                case LocalTokens local -> local.issuer();
                case OidcTokenVerifier oidc -> oidc.issuer();
                case Verifiers nested -> throw new InvalidIdentityException("verifiers", "",
                        "a verifier of every issuer cannot be one of the verifiers");
            };
            if (byIssuer.putIfAbsent(issuer, v) != null) {
                throw new InvalidIdentityException("verifiers", "", "two verifiers for issuer '" + issuer + "'");
            }
        }
        return new Verifiers(Map.copyOf(byIssuer));
    }

    /**
     * {@inheritDoc} A token one of the verifiers has verified before is answered from its cache,
     * checked again as that verifier says, without parsing; any other token is parsed, routed by its
     * issuer and verified in full.
     */
    @Override
    public AuthResult verify(String bearer) {
        TokenDigest digest = TokenDigest.cacheable(bearer) ? TokenDigest.of(bearer) : null;
        try {
            if (digest != null) {
                for (TokenVerifier v : verifiers) {
                    Optional<AuthResult> hit = switch (v) {
                        case LocalTokens local -> local.cached(digest);
                        case OidcTokenVerifier oidc -> oidc.cached(digest);
                        case Verifiers nested -> Optional.empty(); // never one of them (of)
                    };
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
            String iss = Jwts.issuer(Jwts.parse(bearer));
            TokenVerifier verifier = byIssuer.get(iss);
            if (verifier == null) {
                throw Jwts.unknownIssuer(iss);
            }
            return switch (verifier) {
                case LocalTokens local -> local.verify(bearer, digest);
                case OidcTokenVerifier oidc -> oidc.verify(bearer, digest);
                case Verifiers nested -> nested.verify(bearer);
            };
        } catch (Rejection r) {
            log.debug("token rejected: {}", r.reason());
            return new AuthResult.Rejected(r.reason());
        }
    }

    @Override
    public String toString() {
        return "Verifiers" + byIssuer.keySet();
    }
}
