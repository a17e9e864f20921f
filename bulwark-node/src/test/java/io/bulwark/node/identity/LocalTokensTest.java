package io.bulwark.node.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.bulwark.node.identity.AuthResult.Authenticated;
import io.bulwark.node.identity.AuthResult.Rejected;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalTokensTest {

    static final byte[] SECRET = LocalTokens.generateSecret();
    static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");
    static final String ISSUER = "bulwark:DEU:node1";

    static LocalTokens tokensAt(Instant now) {
        return new LocalTokens("DEU", "node1", SECRET, Clock.fixed(now, ZoneOffset.UTC));
    }

    static Principal alice() {
        return new Principal("alice", "DEU", List.of("NATO SECRET", "GEHEIM"), Set.of("ISR", "OPS"),
                Set.of(Role.ANALYST, Role.OFFICER), ISSUER);
    }

    static Principal aliceOf(String issuer) {
        Principal a = alice();
        return new Principal(a.name(), a.nationality(), a.clearances(), a.cois(), a.roles(), issuer);
    }

    static String issued() {
        return tokensAt(T0).issue(alice(), Duration.ofHours(8));
    }

    /** A token signed with the node's secret, with these claims. */
    static String signed(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    static JWTClaimsSet.Builder validClaims() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).subject("alice").claim("nat", "DEU")
                .claim("clr", List.of("NATO SECRET")).claim("coi", List.of()).claim("roles", List.of("analyst"))
                .issueTime(Date.from(T0)).expirationTime(Date.from(T0.plusSeconds(3600))).jwtID("j1");
    }

    static AuthResult verifyAt(Instant now, String token) {
        return tokensAt(now).verify(token);
    }

    @Nested
    class RoundTrip {

        @Test
        void anIssuedTokenAuthenticatesItsPrincipal() {
            assertThat(verifyAt(T0.plusSeconds(60), issued())).isEqualTo(new Authenticated(alice(), java.util.Optional.of(T0)));
        }

        @Test
        void theTokenCarriesTheDocumentedClaims() throws Exception {
            JWTClaimsSet c = SignedJWT.parse(issued()).getJWTClaimsSet();
            assertThat(c.getClaims().keySet())
                    .containsExactlyInAnyOrder("iss", "sub", "nat", "clr", "coi", "roles", "iat", "exp", "jti");
            assertThat(c.getIssuer()).isEqualTo(ISSUER);
            assertThat(c.getSubject()).isEqualTo("alice");
            assertThat(c.getClaim("nat")).isEqualTo("DEU");
            assertThat(c.getStringListClaim("clr")).containsExactly("NATO SECRET", "GEHEIM");
            assertThat(c.getStringListClaim("coi")).containsExactly("ISR", "OPS");
            assertThat(c.getStringListClaim("roles")).containsExactly("analyst", "officer");
            assertThat(c.getIssueTime().toInstant()).isEqualTo(T0);
            assertThat(c.getExpirationTime().toInstant()).isEqualTo(T0.plus(Duration.ofHours(8)));
            assertThat(SignedJWT.parse(issued()).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
        }

        @Test
        void everyTokenHasItsOwnId() throws Exception {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                ids.add(SignedJWT.parse(issued()).getJWTClaimsSet().getJWTID());
            }
            assertThat(ids).hasSize(20);
        }

        @Test
        void aTokenIsValidUpToItsExpiryPlusTheClockSkew() {
            Instant exp = T0.plus(Duration.ofHours(8));
            assertThat(verifyAt(exp.plusSeconds(60), issued())).isInstanceOf(Authenticated.class);
        }

        @Test
        void secretsAreThirtyTwoRandomBytes() {
            byte[] a = LocalTokens.generateSecret();
            assertThat(a).hasSize(32).isNotEqualTo(LocalTokens.generateSecret());
        }
    }

    @Nested
    class Rejections {

        @Test
        void expired() {
            Instant exp = T0.plus(Duration.ofHours(8));
            assertThat(verifyAt(exp.plusSeconds(61), issued()))
                    .isEqualTo(new Rejected("token expired at 2026-11-26T16:00:00Z"));
        }

        @Test
        void notYetValid() {
            assertThat(verifyAt(T0.minusSeconds(61), issued())).isEqualTo(new Rejected("token not yet valid"));
        }

        @Test
        void tamperedPayload() throws Exception {
            String[] parts = issued().split("\\.");
            String payload = new Base64URL(parts[1]).decodeToString().replace("\"DEU\"", "\"USA\"");
            String tampered = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];
            assertThat(verifyAt(T0, tampered)).isEqualTo(new Rejected("bad signature"));
        }

        @Test
        void tamperedSignature() {
            String token = issued();
            char last = token.charAt(token.length() - 2);
            String tampered = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
            assertThat(verifyAt(T0, tampered)).isEqualTo(new Rejected("bad signature"));
        }

        @Test
        void signedWithAnotherSecret() {
            LocalTokens other = new LocalTokens("DEU", "node1", LocalTokens.generateSecret(), Clock.fixed(T0, ZoneOffset.UTC));
            assertThat(verifyAt(T0, other.issue(alice(), Duration.ofHours(1)))).isEqualTo(new Rejected("bad signature"));
        }

        @Test
        void unsignedAlgNone() {
            String none = new PlainJWT(validClaims().build()).serialize();
            assertThat(verifyAt(T0, none)).isEqualTo(new Rejected("bad signature"));
        }

        @Test
        void anotherAlgorithmThanHs256() throws Exception {
            var rsa = new RSAKeyGenerator(2048).generate();
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), validClaims().build());
            jwt.sign(new RSASSASigner(rsa));
            assertThat(verifyAt(T0, jwt.serialize())).isEqualTo(new Rejected("bad signature"));
        }

        @Test
        void wrongIssuer() {
            LocalTokens otherNode = new LocalTokens("DEU", "node2", SECRET, Clock.fixed(T0, ZoneOffset.UTC));
            String token = otherNode.issue(aliceOf("bulwark:DEU:node2"), Duration.ofHours(1));
            assertThat(verifyAt(T0, token)).isEqualTo(new Rejected("unknown issuer 'bulwark:DEU:node2'"));
        }

        @Test
        void missingIssuer() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().issuer(null).build())))
                    .isEqualTo(new Rejected("missing claim 'iss'"));
        }

        @Test
        void missingNationality() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().claim("nat", null).build())))
                    .isEqualTo(new Rejected("missing claim 'nat'"));
        }

        @Test
        void missingExpiry() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().expirationTime(null).build())))
                    .isEqualTo(new Rejected("missing claim 'exp'"));
        }

        @Test
        void anUnknownRole() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().claim("roles", List.of("root")).build())))
                    .isEqualTo(new Rejected("invalid claim 'roles': 'root' is not a role"));
        }

        @Test
        void aNationalityThatIsNotAlpha3() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().claim("nat", "de").build())))
                    .isEqualTo(new Rejected("invalid claim 'nat': 'de' is not an ISO 3166-1 alpha-3 code (e.g. DEU)"));
        }

        @Test
        void clearancesOfTheWrongType() throws Exception {
            assertThat(verifyAt(T0, signed(validClaims().claim("clr", Map.of("a", 1)).build())))
                    .isEqualTo(new Rejected("invalid claim 'clr': a string or an array of strings is required"));
        }

        @Test
        void malformed() {
            LocalTokens tokens = tokensAt(T0);
            for (String bad : new String[] {null, "", "abc", "a.b.c", "Bearer " + issued(), issued() + ".x.y",
                    "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "x".repeat(20_000)}) {
                assertThat(tokens.verify(bad)).as("%s", bad).isEqualTo(new Rejected("malformed token"));
            }
        }

        @Test
        void anUnacceptedTokenType() throws Exception {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("logout+jwt"))
                    .build(), validClaims().build());
            jwt.sign(new MACSigner(SECRET));
            assertThat(verifyAt(T0, jwt.serialize())).isEqualTo(new Rejected("malformed token"));
        }
    }

    @Nested
    class Issuing {

        @Test
        void onlyForPrincipalsOfThisNode() {
            assertThatThrownBy(() -> tokensAt(T0).issue(aliceOf("https://idp.example"), Duration.ofHours(1)))
                    .isInstanceOf(InvalidIdentityException.class)
                    .hasMessage("principal 'alice' at issuer: issued by https://idp.example, not by this node"
                            + " (bulwark:DEU:node1); only local users get local tokens");
        }

        @Test
        void atMostSevenDays() {
            assertThat(verifyAt(T0, tokensAt(T0).issue(alice(), Duration.ofDays(7)))).isInstanceOf(Authenticated.class);
            assertThatThrownBy(() -> tokensAt(T0).issue(alice(), Duration.ofDays(7).plusSeconds(1)))
                    .hasMessage("ttl PT168H1S: longer than the maximum lifetime of 7d");
            assertThatThrownBy(() -> tokensAt(T0).issue(alice(), Duration.ZERO))
                    .hasMessage("ttl PT0S: a lifetime is more than zero");
        }

        @Test
        void nodeSettingsAreValidated() {
            assertThatThrownBy(() -> new LocalTokens("DEU", "node1", new byte[16]))
                    .hasMessage("local tokens at secret: the secret is 32 bytes, not 16 (use LocalTokens.generateSecret())");
            assertThatThrownBy(() -> new LocalTokens("deu", "node1", SECRET))
                    .hasMessage("local tokens at nation: 'deu' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
            assertThatThrownBy(() -> new LocalTokens("DEU", "node:1", SECRET))
                    .hasMessage("local tokens at node: 'node:1' is not a node name: a letter or digit, then up to 62"
                            + " letters, digits, '.', '_' or '-'");
            assertThat(new LocalTokens("DEU", "node1", SECRET).issuer()).isEqualTo("bulwark:DEU:node1");
            assertThat(new LocalTokens("DEU", "node1", SECRET).toString()).isEqualTo("LocalTokens[bulwark:DEU:node1]");
        }
    }

    @Nested
    class Ttl {

        @ParameterizedTest
        @CsvSource({"45s, PT45S", "30m, PT30M", "8h, PT8H", "1d, PT24H", "7d, PT168H", "168h, PT168H"})
        void parses(String text, Duration expected) {
            assertThat(LocalTokens.parseTtl(text)).isEqualTo(expected);
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "8x | ttl '8x': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "8 | ttl '8': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "h | ttl 'h': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "-1h | ttl '-1h': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "8H | ttl '8H': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "1h30m | ttl '1h30m': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "9999999999d | ttl '9999999999d': a lifetime is a whole number followed by s, m, h or d (e.g. 30m, 8h, 1d)",
                "0m | ttl '0m': a lifetime is more than zero",
                "8d | ttl '8d': longer than the maximum lifetime of 7d",
                "169h | ttl '169h': longer than the maximum lifetime of 7d",
        })
        void refuses(String text, String message) {
            assertThatThrownBy(() -> LocalTokens.parseTtl(text)).isInstanceOf(InvalidIdentityException.class)
                    .hasMessage(message);
        }

        @Test
        void refusesNothing() {
            assertThatThrownBy(() -> LocalTokens.parseTtl("")).hasMessage("ttl '': a lifetime is a whole number"
                    + " followed by s, m, h or d (e.g. 30m, 8h, 1d)");
        }
    }
}
