package io.bulwark.node.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/** What the verifiers share: parsing, the checks on times, reading claims, quoting untrusted text. */
final class Jwts {

    /** Longer bearer tokens are refused before parsing. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;
    static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    private static final int MAX_QUOTED = 100;
    /** Header {@code typ} values accepted (besides none): a JWT, or an OAuth access token (RFC 9068). */
    private static final Set<String> TYPES = Set.of("jwt", "application/jwt", "at+jwt", "application/at+jwt");

    static final String MALFORMED = "malformed token";
    static final String BAD_SIGNATURE = "bad signature";
    static final String NOT_YET_VALID = "token not yet valid";
    static final String WRONG_AUDIENCE = "wrong audience";

    private Jwts() {
    }

    /** A failed check; carries the reason of {@link AuthResult.Rejected}. No stack trace: it is a verdict. */
    static final class Rejection extends Exception {
        Rejection(String reason) {
            super(reason, null, false, false);
        }

        String reason() {
            return getMessage();
        }
    }

    /** A signed JWT and its claims, parsed but not verified. */
    record Parsed(SignedJWT jwt, JWTClaimsSet claims) {
    }

    /** Parses a compact signed JWT; its signature and claims are not checked yet. */
    static Parsed parse(String bearer) throws Rejection {
        if (bearer == null || bearer.isEmpty() || bearer.length() > MAX_TOKEN_CHARS) {
            throw new Rejection(MALFORMED);
        }
        try {
            JWT jwt = JWTParser.parse(bearer);
            if (jwt instanceof PlainJWT) {
                throw new Rejection(BAD_SIGNATURE); // alg "none": no signature at all
            }
            if (!(jwt instanceof SignedJWT signed)) {
                throw new Rejection(MALFORMED); // an encrypted JWT
            }
            JOSEObjectType typ = signed.getHeader().getType();
            if (typ != null && !TYPES.contains(typ.getType().toLowerCase(java.util.Locale.ROOT))) {
                throw new Rejection(MALFORMED);
            }
            return new Parsed(signed, signed.getJWTClaimsSet());
        } catch (ParseException e) {
            throw new Rejection(MALFORMED);
        } catch (RuntimeException e) {
            // Defence in depth: a parser bug must still end as a verdict, never a crash.
            throw new Rejection(MALFORMED);
        }
    }

    /** The {@code iss} claim of an unverified token. */
    static String issuer(Parsed token) throws Rejection {
        String iss = token.claims().getIssuer();
        if (iss == null) {
            throw missing("iss");
        }
        return iss;
    }

    static Rejection unknownIssuer(String iss) {
        return new Rejection("unknown issuer " + quote(iss));
    }

    static Rejection missing(String claim) {
        return new Rejection("missing claim '" + claim + "'");
    }

    static Rejection invalid(String claim, String rule) {
        return new Rejection("invalid claim '" + claim + "': " + rule);
    }

    /** Checks {@code exp} (required), {@code nbf} and {@code iat} against {@code now}, with {@link #CLOCK_SKEW}. */
    static Validity checkTimes(JWTClaimsSet claims, Instant now) throws Rejection {
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw missing("exp");
        }
        Date nbf = claims.getNotBeforeTime();
        Date iat = claims.getIssueTime();
        Validity validity = new Validity(exp.toInstant(), nbf == null ? null : nbf.toInstant(), iat == null ? null : iat.toInstant());
        validity.check(now);
        return validity;
    }

    /**
     * A token's validity period, kept with a cached verdict so it is checked again on every use.
     *
     * @param expires    {@code exp}
     * @param notBefore  {@code nbf}, or null
     * @param issued     {@code iat}, or null
     */
    record Validity(Instant expires, Instant notBefore, Instant issued) {

        /** Refuses the token if it has expired or is not yet valid at {@code now}, with {@link #CLOCK_SKEW}. */
        void check(Instant now) throws Rejection {
            if (now.isAfter(expires.plus(CLOCK_SKEW))) {
                throw new Rejection("token expired at " + expires);
            }
            Instant latest = now.plus(CLOCK_SKEW);
            if ((notBefore != null && notBefore.isAfter(latest)) || (issued != null && issued.isAfter(latest))) {
                throw new Rejection(NOT_YET_VALID);
            }
        }
    }

    /**
     * One verifier's verdict: from its cache if it verified {@code bearer} before (and the cache still
     * holds it), else from a full verification, which caches a valid token under the same digest.
     */
    static AuthResult cachedOrVerified(String bearer, Function<TokenDigest, Optional<AuthResult>> cached,
                                       BiFunction<String, TokenDigest, AuthResult> verify) {
        TokenDigest digest = TokenDigest.cacheable(bearer) ? TokenDigest.of(bearer) : null;
        Optional<AuthResult> hit = digest == null ? Optional.empty() : cached.apply(digest);
        return hit.orElseGet(() -> verify.apply(bearer, digest));
    }

    /**
     * The SHA-256 digest of a bearer token: the key under which its verdict is cached, so that no
     * token (a secret) is kept as a map key, and looking one up compares digests, never the token.
     */
    record TokenDigest(long w0, long w1, long w2, long w3) {

        /** The digest of a token of at most {@link #MAX_TOKEN_CHARS} characters. */
        static TokenDigest of(String bearer) {
            byte[] d = sha256().digest(bearer.getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.wrap(d);
            return new TokenDigest(b.getLong(), b.getLong(), b.getLong(), b.getLong());
        }

        /** Cloned per token: a provider look-up per request showed in profiles. */
        private static final MessageDigest SHA_256 = digest();

        private static MessageDigest sha256() {
            try {
                return (MessageDigest) SHA_256.clone();
            } catch (CloneNotSupportedException e) {
                return digest();
            }
        }

        private static MessageDigest digest() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from the JDK", e);
            }
        }

        /** Whether a token may have a cached verdict at all: one that parsing would not refuse for its size. */
        static boolean cacheable(String bearer) {
            return bearer != null && !bearer.isEmpty() && bearer.length() <= MAX_TOKEN_CHARS;
        }

        @Override
        public String toString() {
            return "TokenDigest"; // a digest of a secret is still not for logs
        }
    }

    /**
     * A claim by name: the top-level claim of exactly that name if there is one (claim names may
     * contain dots, e.g. URLs), else the dotted path through nested objects
     * ({@code realm_access.roles}). Null if absent.
     */
    static Object claim(Map<String, Object> claims, String name) {
        if (claims.containsKey(name)) {
            return claims.get(name);
        }
        Object at = claims;
        for (String step : name.split("\\.", -1)) {
            if (!(at instanceof Map<?, ?> object)) {
                return null;
            }
            at = object.get(step);
        }
        return at;
    }

    /** A claim that is a string or an array of strings, as a list. */
    static List<String> strings(Object value, String claim) throws Rejection {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (!(value instanceof List<?> list)) {
            throw invalid(claim, "a string or an array of strings is required");
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw invalid(claim, "a string or an array of strings is required");
            }
            out.add(s);
        }
        return out;
    }

    /** Untrusted text for a reason or a log line: quoted, at most 100 characters, no control characters. */
    static String quote(String untrusted) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(untrusted.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = untrusted.charAt(i);
            b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (untrusted.length() > MAX_QUOTED) {
            b.append("...");
        }
        return b.append('\'').toString();
    }
}
