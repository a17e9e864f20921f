package io.bulwark.node.identity;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.bulwark.node.identity.AuthResult.Authenticated;
import io.bulwark.node.identity.AuthResult.Rejected;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static io.bulwark.node.identity.OidcTokenVerifierTest.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Routing by issuer, and what every {@link TokenVerifier} must do with bad input. */
class VerifiersTest {

    static final JwksServer JWKS = new JwksServer(List.of(OidcTokenVerifierTest.RSA));
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final LocalTokens LOCAL = new LocalTokens("DEU", "node1", LocalTokens.generateSecret(), CLOCK);
    static final OidcTokenVerifier OIDC = new OidcTokenVerifier(new OidcSettings(OidcTokenVerifierTest.ISSUER,
            JWKS.uri(), Optional.of("bulwark"), "nationality", "clearances", "cois", "realm_access.roles"), CLOCK);
    static final Verifiers ALL = Verifiers.of(List.of(LOCAL, OIDC));

    @AfterAll
    static void stop() {
        JWKS.close();
    }

    static Principal localAlice() {
        return new User("alice", "DEU", List.of("NATO SECRET"), java.util.Set.of()).toPrincipal(LOCAL.issuer());
    }

    @Test
    void routesALocalTokenToTheNode() {
        assertThat(ALL.verify(LOCAL.issue(localAlice(), Duration.ofHours(1)))).isInstanceOfSatisfying(Authenticated.class,
                a -> assertThat(a.principal()).isEqualTo(localAlice()));
    }

    @Test
    void routesAnOidcTokenToItsProvider() {
        String token = OidcTokenVerifierTest.rs256(OidcTokenVerifierTest.keycloakClaims().build());
        assertThat(ALL.verify(token)).isEqualTo(new Authenticated(OidcTokenVerifierTest.expected()));
    }

    @Test
    void theChosenVerifierStillChecksEverything() {
        String token = OidcTokenVerifierTest.sign(OidcTokenVerifierTest.IMPOSTOR, JWSAlgorithm.RS256,
                OidcTokenVerifierTest.keycloakClaims().build());
        assertThat(ALL.verify(token)).isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void anIssuerNoVerifierIsConfiguredFor() {
        LocalTokens other = new LocalTokens("FRA", "paris", LocalTokens.generateSecret(), CLOCK);
        String token = other.issue(new User("bob", "FRA", List.of(), java.util.Set.of()).toPrincipal(other.issuer()),
                Duration.ofHours(1));
        assertThat(ALL.verify(token)).isEqualTo(new Rejected("unknown issuer 'bulwark:FRA:paris'"));
    }

    @Test
    void anIssuerIsQuotedSafely() {
        String token = OidcTokenVerifierTest.rs256(OidcTokenVerifierTest.keycloakClaims()
                .issuer("evil\n2026-11-26 INFO forged log line" + "x".repeat(200)).build());
        assertThat(ALL.verify(token)).isEqualTo(new Rejected("unknown issuer 'evil?2026-11-26 INFO forged log line"
                + "x".repeat(64) + "...'"));
    }

    @Test
    void aTokenWithoutIssuer() {
        String token = OidcTokenVerifierTest.rs256(OidcTokenVerifierTest.keycloakClaims().issuer(null).build());
        assertThat(ALL.verify(token)).isEqualTo(new Rejected("missing claim 'iss'"));
    }

    @Test
    void twoVerifiersForOneIssuerAreRefused() {
        assertThatThrownBy(() -> Verifiers.of(List.of(LOCAL, OIDC, LOCAL)))
                .isInstanceOf(InvalidIdentityException.class)
                .hasMessage("verifiers: two verifiers for issuer 'bulwark:DEU:node1'");
        assertThatThrownBy(() -> Verifiers.of(List.of(ALL)))
                .hasMessage("verifiers: a verifier of every issuer cannot be one of the verifiers");
    }

    // === what every verifier does =================================================================

    static Stream<TokenVerifier> everyVerifier() {
        return Stream.of(LOCAL, OIDC, ALL);
    }

    @ParameterizedTest
    @MethodSource("everyVerifier")
    void malformedInputIsAVerdictNeverAnException(TokenVerifier verifier) {
        for (String bad : new String[] {null, "", " ", "abc", "a.b", "a.b.c", "....", "%%%.%%%.%%%",
                "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2ln", // iss of the wrong type
                "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", // an encrypted JWT
                "x".repeat(Jwts.MAX_TOKEN_CHARS + 1)}) {
            assertThat(verifier.verify(bad)).as("%s", bad).isEqualTo(new Rejected("malformed token"));
        }
    }

    @ParameterizedTest
    @MethodSource("everyVerifier")
    void anUnsignedTokenIsABadSignature(TokenVerifier verifier) {
        String issuer = verifier == LOCAL ? LOCAL.issuer() : OidcTokenVerifierTest.ISSUER;
        JWTClaimsSet claims = OidcTokenVerifierTest.keycloakClaims().issuer(issuer).build();
        assertThat(verifier.verify(new PlainJWT(claims).serialize())).isEqualTo(new Rejected("bad signature"));
    }
}
