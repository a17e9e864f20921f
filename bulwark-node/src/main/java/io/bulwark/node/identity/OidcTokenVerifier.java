package io.bulwark.node.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import io.bulwark.node.identity.Jwts.Rejection;
import io.bulwark.node.identity.Jwts.TokenDigest;
import io.bulwark.node.internal.BoundedCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.MalformedURLException;
import java.security.Key;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies the bearer tokens of an external OpenID Connect provider, such as a Keycloak realm,
 * against its public keys (JWK set), and maps their claims to a {@link Principal} as
 * {@link OidcSettings} say: {@code sub} is the name, the configured claims give nationality
 * (required), clearances and communities of interest (absent = none), and roles (required; role
 * names the provider has besides {@code analyst}, {@code operator} and {@code officer}, matched
 * case-insensitively, are ignored, but at least one must be there).
 *
 * <p>Accepted algorithms: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512. Not
 * EdDSA: Nimbus verifies it only through Google Tink, which Bulwark does not ship.
 *
 * <p>Keys: fetched over HTTP(S) when first needed and cached for 5 minutes; a token whose key id
 * ({@code kid}) is not in the cached set makes the set be fetched again at once (key rotation), at
 * most twice in 30 s, so tokens with made-up key ids cannot flood the provider. Each fetch has
 * 2-second connect and read timeouts, a 256 KiB limit and one retry.
 *
 * <p><b>Security guarantees.</b> Checks, in order: the token parses; its issuer is the configured
 * one; its algorithm is one above (so never {@code none} nor a MAC keyed with a public key); its
 * signature verifies under a key of the provider's set whose type, id and use match; it has not
 * expired and is already valid (60 s of clock skew); its audience contains the configured one;
 * then the claims map. Tokens are never logged.
 *
 * <p><b>Cache.</b> A token that passes every check is cached (at most {@link LocalTokens#CACHED_TOKENS})
 * under the SHA-256 digest of its text, with the key that verified it; a token that fails is not.
 * On each later use the cached verdict stands only if the key set, as now cached or fetched by the
 * rules above, still offers that key for the token's header, and the token is still within its
 * validity period: a key the provider withdraws stops its tokens as soon as the node sees the new
 * set, exactly as without the cache; only the signature computation is saved.
 */
public final class OidcTokenVerifier implements TokenVerifier {

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    private static final Duration CACHE_TTL = Duration.ofMinutes(5);
    private static final Duration CACHE_REFRESH_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);
    private static final int HTTP_TIMEOUT_MILLIS = 2_000;
    private static final int HTTP_SIZE_LIMIT = 256 * 1024;
    private static final Logger log = LoggerFactory.getLogger(OidcTokenVerifier.class);

    private final OidcSettings settings;
    private final Clock clock;
    private final JWSVerificationKeySelector<SecurityContext> keys;
    private final DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();
    /** Tokens verified before, by digest (never by the token itself). */
    private final BoundedCache<TokenDigest, Verified> verified = new BoundedCache<>(LocalTokens.CACHED_TOKENS);

    /** A verifier for this provider, under the system clock. */
    public OidcTokenVerifier(OidcSettings settings) {
        this(settings, Clock.systemUTC());
    }

    /** A verifier for this provider; {@code clock} times the tokens (the key cache uses the system clock). */
    public OidcTokenVerifier(OidcSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        JWKSource<SecurityContext> source;
        try {
            source = JWKSourceBuilder.<SecurityContext>create(settings.jwksUri().toURL(),
                            new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, HTTP_SIZE_LIMIT))
                    .cache(CACHE_TTL.toMillis(), CACHE_REFRESH_TIMEOUT.toMillis())
                    .refreshAheadCache(false) // no background threads; a refresh happens on the caller's
                    .rateLimited(MIN_REFETCH_INTERVAL.toMillis())
                    .retrying(true)
                    .build();
        } catch (MalformedURLException e) {
            throw new InvalidIdentityException("OIDC settings", "jwksUri", "not a URL: " + e.getMessage(), e);
        }
        this.keys = new JWSVerificationKeySelector<>(ALGORITHMS, source);
    }

    public OidcSettings settings() {
        return settings;
    }

    /** The issuer whose tokens this verifies. */
    public String issuer() {
        return settings.issuer();
    }

    @Override
    public AuthResult verify(String bearer) {
        return Jwts.cachedOrVerified(bearer, this::cached, this::verify);
    }

    /**
     * The verdict on a token verified before, if it is still cached under {@code digest}; empty if
     * not. What can change since the token was verified is checked again, in the order of a full
     * verification: the key that verified its signature must still be one the provider's key set
     * (as cached and refreshed by the rules above) offers for its header, and the token must be
     * within its validity period. Claims, issuer and audience are fixed by the signed text and the
     * settings.
     *
     * @throws IdentityProviderException as {@link #verify} does
     */
    Optional<AuthResult> cached(TokenDigest digest) {
        Verified v = verified.get(digest);
        if (v == null) {
            return Optional.empty();
        }
        try {
            if (!keysFor(v.header()).contains(v.key())) {
                throw new Rejection(Jwts.BAD_SIGNATURE); // the provider no longer offers that key
            }
            v.validity().check(clock.instant());
            return Optional.of(v.result());
        } catch (Rejection r) {
            verified.remove(digest, v);
            log.debug("OIDC token rejected: {}", r.reason());
            return Optional.of(new AuthResult.Rejected(r.reason()));
        }
    }

    /** Verifies {@code bearer} in full, and caches the verdict under {@code digest} (null: not cacheable) if it is valid. */
    AuthResult verify(String bearer, TokenDigest digest) {
        try {
            Verified v = check(bearer);
            if (digest != null) {
                verified.put(digest, v);
            }
            return v.result();
        } catch (Rejection r) {
            log.debug("OIDC token rejected: {}", r.reason());
            return new AuthResult.Rejected(r.reason());
        }
    }

    /** A token that passed every check: its verdict, what to check again on each use. */
    private record Verified(AuthResult.Authenticated result, Jwts.Validity validity, JWSHeader header, Key key) {
    }

    private Verified check(String bearer) throws Rejection {
        Jwts.Parsed token = Jwts.parse(bearer);
        String iss = Jwts.issuer(token);
        if (!iss.equals(settings.issuer())) {
            throw Jwts.unknownIssuer(iss);
        }
        Key key = checkSignature(token);
        JWTClaimsSet claims = token.claims();
        Jwts.Validity validity = Jwts.checkTimes(claims, clock.instant());
        if (settings.audience().isPresent()) {
            List<String> aud = claims.getAudience();
            if (aud.isEmpty()) {
                throw Jwts.missing("aud");
            }
            if (!aud.contains(settings.audience().get())) {
                throw new Rejection(Jwts.WRONG_AUDIENCE);
            }
        }
        return new Verified(new AuthResult.Authenticated(principal(claims)), validity, token.jwt().getHeader(), key);
    }

    /** Checks the signature; returns the provider's key that verified it. */
    private Key checkSignature(Jwts.Parsed token) throws Rejection {
        JWSHeader header = token.jwt().getHeader();
        if (!ALGORITHMS.contains(header.getAlgorithm())) {
            throw new Rejection(Jwts.BAD_SIGNATURE);
        }
        for (Key key : keysFor(header)) {
            try {
                JWSVerifier verifier = verifiers.createJWSVerifier(header, key);
                if (token.jwt().verify(verifier)) {
                    return key;
                }
            } catch (JOSEException e) {
                // a key that cannot verify this algorithm: try the next
            }
        }
        throw new Rejection(Jwts.BAD_SIGNATURE);
    }

    /** The provider's keys that match the header (type, id, use), fetching the set as the rules above say. */
    private List<Key> keysFor(JWSHeader header) throws Rejection {
        try {
            return keys.selectJWSKeys(header, null);
        } catch (RateLimitReachedException e) {
            log.debug("JWK set of {} not fetched again: fetched twice in the last {} s",
                    settings.issuer(), MIN_REFETCH_INTERVAL.toSeconds());
            throw new Rejection(Jwts.BAD_SIGNATURE); // no key of that id, as far as we may know
        } catch (KeySourceException e) {
            log.warn("cannot fetch the JWK set of {} from {}: {}", settings.issuer(), settings.jwksUri(), e.getMessage());
            throw new IdentityProviderException(settings.issuer(), "the keys of identity provider " + settings.issuer()
                    + " cannot be fetched from " + settings.jwksUri() + ": " + e.getMessage(), e);
        }
    }

    private Principal principal(JWTClaimsSet claims) throws Rejection {
        Map<String, Object> all = claims.getClaims();
        String sub = claims.getSubject();
        if (sub == null) {
            throw Jwts.missing("sub");
        }
        String natClaim = settings.nationalityClaim();
        Object nat = Jwts.claim(all, natClaim);
        if (nat == null) {
            throw Jwts.missing(natClaim);
        }
        if (!(nat instanceof String nationality) || !Principal.NATION.matcher(nationality).matches()) {
            throw Jwts.invalid(natClaim, "an ISO 3166-1 alpha-3 code (e.g. DEU) is required");
        }
        Object rolesValue = Jwts.claim(all, settings.rolesClaim());
        if (rolesValue == null) {
            throw Jwts.missing(settings.rolesClaim());
        }
        Set<Role> roles = new LinkedHashSet<>();
        for (String r : Jwts.strings(rolesValue, settings.rolesClaim())) {
            Role.find(r).ifPresent(roles::add); // the provider's other roles are not Bulwark's business
        }
        if (roles.isEmpty()) {
            throw Jwts.invalid(settings.rolesClaim(), "no Bulwark role (" + Role.ALL + ")");
        }
        List<String> clearances = optionalStrings(all, settings.clearanceClaim());
        Set<String> cois = new LinkedHashSet<>(optionalStrings(all, settings.coiClaim()));
        try {
            return new Principal(sub, nationality, clearances, cois, roles, settings.issuer());
        } catch (InvalidIdentityException e) {
            String claim = switch (e.position().orElse("")) {
                case "name" -> "sub";
                case String p when p.startsWith("clearances") -> settings.clearanceClaim();
                default -> settings.coiClaim();
            };
            throw Jwts.invalid(claim, e.rule());
        }
    }

    private static List<String> optionalStrings(Map<String, Object> claims, String name) throws Rejection {
        Object value = Jwts.claim(claims, name);
        return value == null ? List.of() : Jwts.strings(value, name);
    }

    @Override
    public String toString() {
        return "OidcTokenVerifier[" + settings.issuer() + "]";
    }
}
