package io.bulwark.node.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeyLengthException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.bulwark.node.identity.Jwts.Rejection;
import io.bulwark.node.identity.Jwts.TokenDigest;
import io.bulwark.node.internal.BoundedCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tokens a node signs for its local users, and their verification: JWTs with HS256 under a 32-byte
 * secret that only the node holds. Issuer {@code bulwark:<nation>:<node>}; claims {@code iss},
 * {@code sub} (user name), {@code nat}, {@code clr} (clearances as written in markings), {@code coi},
 * {@code roles} (lower case), {@code iat}, {@code exp}, {@code jti}.
 *
 * <p><b>Security guarantees.</b> Only HS256 is accepted, so a token cannot choose a weaker or a
 * public-key algorithm. The MAC is compared in constant time: Nimbus's {@code MACVerifier} computes
 * the expected HMAC and compares it with {@code ConstantTimeUtils.areEqual} (an XOR-accumulate over
 * every byte; checked in nimbus-jose-jwt 10.10). The issuer is checked before the MAC, every other
 * claim after it. Lifetimes are at most {@link #MAX_TTL}; a token stays valid until it expires,
 * even if its user is removed (so a node also looks the user up in {@link LocalUsers} on use);
 * rotating the secret revokes every token. The secret is never logged and never kept outside Nimbus's signer and
 * verifier.
 *
 * <p><b>Cache.</b> A token that passes every check is cached (at most {@link #CACHED_TOKENS}) under
 * the SHA-256 digest of its text, never the text; a token that fails is not. On each later use the
 * cached verdict stands only if the token is still within its validity period by the clock; a
 * tampered token has another digest, so it is verified in full (and refused). The secret is fixed
 * for an object's life, so a new secret, which means a new {@code LocalTokens}, starts with an
 * empty cache.
 */
public final class LocalTokens implements TokenVerifier {

    /** The secret's length: 256 bits, as HS256 needs. */
    public static final int SECRET_BYTES = 32;
    /** The longest lifetime of a token. */
    public static final Duration MAX_TTL = Duration.ofDays(7);
    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern TTL = Pattern.compile("([0-9]{1,9})([smhd])");
    private static final List<String> REQUIRED = List.of("sub", "nat", "clr", "coi", "roles", "iat", "jti");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How many verified tokens are cached: a node's active sessions, with room to spare. */
    static final int CACHED_TOKENS = 4096;
    private static final Logger log = LoggerFactory.getLogger(LocalTokens.class);

    private final String issuer;
    private final MACSigner signer;
    private final MACVerifier verifier;
    private final Clock clock;
    /** Tokens verified before, by digest (never by the token itself). */
    private final BoundedCache<TokenDigest, Verified> verified = new BoundedCache<>(CACHED_TOKENS);

    /** Tokens of node {@code node} of nation {@code nation}, under the system clock. */
    public LocalTokens(String nation, String node, byte[] secret) {
        this(nation, node, secret, Clock.systemUTC());
    }

    /**
     * Tokens of node {@code node} of nation {@code nation} (alpha-3), signed and verified with
     * {@code secret} ({@link #SECRET_BYTES} bytes, from {@link #generateSecret()}; copied, so the
     * caller may wipe its array), timed by {@code clock}.
     *
     * @throws InvalidIdentityException if the nation, the node name or the secret's length is wrong
     */
    public LocalTokens(String nation, String node, byte[] secret, Clock clock) {
        if (!Principal.NATION.matcher(nation).matches()) {
            throw new InvalidIdentityException("local tokens", "nation", "'" + nation
                    + "' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        }
        if (!NODE.matcher(node).matches()) {
            throw new InvalidIdentityException("local tokens", "node", "'" + node + "' is not a node name:"
                    + " a letter or digit, then up to 62 letters, digits, '.', '_' or '-'");
        }
        if (secret.length != SECRET_BYTES) {
            throw new InvalidIdentityException("local tokens", "secret", "the secret is " + SECRET_BYTES
                    + " bytes, not " + secret.length + " (use LocalTokens.generateSecret())");
        }
        this.issuer = "bulwark:" + nation + ":" + node;
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.signer = new MACSigner(secret.clone());
            this.verifier = new MACVerifier(secret.clone());
        } catch (KeyLengthException e) {
            throw new IllegalStateException("HS256 refused a " + SECRET_BYTES + "-byte secret", e);
        } catch (JOSEException e) {
            throw new IllegalStateException("the HMAC verifier cannot be made", e);
        }
    }

    /** A fresh secret of {@link #SECRET_BYTES} bytes from {@link SecureRandom}; the caller stores it. */
    public static byte[] generateSecret() {
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        return secret;
    }

    /**
     * A token lifetime written as a whole number and a unit: {@code 45s}, {@code 30m}, {@code 8h},
     * {@code 1d}; more than zero and at most {@link #MAX_TTL}.
     *
     * @throws InvalidIdentityException naming the text and the rule it breaks
     */
    public static Duration parseTtl(String text) {
        String input = "ttl '" + text + "'";
        Matcher m = TTL.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new InvalidIdentityException(input, "", "a lifetime is a whole number followed by s, m, h or d"
                    + " (e.g. 30m, 8h, 1d)");
        }
        long n = Long.parseLong(m.group(1));
        ChronoUnit unit = switch (m.group(2)) {
            case "s" -> ChronoUnit.SECONDS;
            case "m" -> ChronoUnit.MINUTES;
            case "h" -> ChronoUnit.HOURS;
            default -> ChronoUnit.DAYS;
        };
        Duration ttl = Duration.of(n, unit);
        checkTtl(ttl, input);
        return ttl;
    }

    private static void checkTtl(Duration ttl, String input) {
        if (ttl.isZero() || ttl.isNegative()) {
            throw new InvalidIdentityException(input, "", "a lifetime is more than zero");
        }
        if (ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidIdentityException(input, "", "longer than the maximum lifetime of 7d");
        }
    }

    /** {@code bulwark:<nation>:<node>}: the {@code iss} of every token of this node. */
    public String issuer() {
        return issuer;
    }

    /**
     * A token for {@code principal}, valid from now for {@code ttl}.
     *
     * @throws InvalidIdentityException if the principal is not of this node's issuer (an external
     *                                  identity is not turned into a local one), or the lifetime is
     *                                  not more than zero and at most {@link #MAX_TTL}
     */
    public String issue(Principal principal, Duration ttl) {
        if (!principal.issuer().equals(issuer)) {
            throw new InvalidIdentityException("principal '" + principal.name() + "'", "issuer", "issued by "
                    + principal.issuer() + ", not by this node (" + issuer + "); only local users get local tokens");
        }
        checkTtl(ttl, "ttl " + ttl);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(principal.name())
                .claim("nat", principal.nationality())
                .claim("clr", principal.clearances())
                .claim("coi", List.copyOf(principal.cois()))
                .claim("roles", principal.roles().stream().map(Role::id).toList())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 signing failed", e);
        }
        return jwt.serialize();
    }

    /**
     * Verifies a token this node issued. Checks, in order: the token parses, its issuer is this
     * node's, its algorithm is HS256 and its MAC verifies, it has not expired and is already valid,
     * and it carries {@code sub, nat, clr, coi, roles, iat, jti} with valid values.
     */
    @Override
    public AuthResult verify(String bearer) {
        return Jwts.cachedOrVerified(bearer, this::cached, this::verify);
    }

    /**
     * The verdict on a token verified before, if it is still cached under {@code digest}; empty if
     * not. A cached token passed every check when it was first verified, and only its validity
     * period can change the verdict since (the secret is fixed for this object's life), so that is
     * checked again here, against the clock, on every use.
     */
    Optional<AuthResult> cached(TokenDigest digest) {
        Verified v = verified.get(digest);
        if (v == null) {
            return Optional.empty();
        }
        try {
            v.validity().check(clock.instant());
            return Optional.of(v.result());
        } catch (Rejection r) {
            verified.remove(digest, v); // expired: it will never be valid again
            log.debug("local token rejected: {}", r.reason());
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
            log.debug("local token rejected: {}", r.reason());
            return new AuthResult.Rejected(r.reason());
        }
    }

    /** A token that passed every check: its verdict, and its validity period to check on each use. */
    private record Verified(AuthResult.Authenticated result, Jwts.Validity validity) {
    }

    private Verified check(String bearer) throws Rejection {
        Jwts.Parsed token = Jwts.parse(bearer);
        String iss = Jwts.issuer(token);
        if (!iss.equals(issuer)) {
            throw Jwts.unknownIssuer(iss);
        }
        if (!JWSAlgorithm.HS256.equals(token.jwt().getHeader().getAlgorithm())) {
            throw new Rejection(Jwts.BAD_SIGNATURE);
        }
        try {
            if (!token.jwt().verify(verifier)) {
                throw new Rejection(Jwts.BAD_SIGNATURE);
            }
        } catch (JOSEException e) {
            throw new Rejection(Jwts.BAD_SIGNATURE);
        }
        JWTClaimsSet claims = token.claims();
        Jwts.Validity validity = Jwts.checkTimes(claims, clock.instant());
        for (String name : REQUIRED) {
            if (claims.getClaim(name) == null) {
                throw Jwts.missing(name);
            }
        }
        if (!(claims.getClaim("nat") instanceof String nat)) {
            throw Jwts.invalid("nat", "a string is required");
        }
        List<String> clearances = Jwts.strings(claims.getClaim("clr"), "clr");
        Set<String> cois = new LinkedHashSet<>(Jwts.strings(claims.getClaim("coi"), "coi"));
        Set<Role> roles = new LinkedHashSet<>();
        for (String r : Jwts.strings(claims.getClaim("roles"), "roles")) {
            roles.add(Role.find(r).orElseThrow(() -> Jwts.invalid("roles", Jwts.quote(r) + " is not a role")));
        }
        try {
            return new Verified(new AuthResult.Authenticated(new Principal(claims.getSubject(), nat, clearances, cois, roles, issuer),
                    java.util.Optional.ofNullable(claims.getIssueTime()).map(java.util.Date::toInstant)), validity);
        } catch (InvalidIdentityException e) {
            String claim = switch (e.position().orElse("")) {
                case "name" -> "sub";
                case "nationality" -> "nat";
                case "roles" -> "roles";
                case String p when p.startsWith("clearances") -> "clr";
                default -> "coi";
            };
            throw Jwts.invalid(claim, e.rule());
        }
    }

    @Override
    public String toString() {
        return "LocalTokens[" + issuer + "]"; // never the secret
    }
}
