package io.bulwark.node.identity;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import io.bulwark.node.identity.AuthResult.Authenticated;
import io.bulwark.node.identity.AuthResult.Rejected;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache of verified tokens never keeps a verdict that the checks would now reverse: each test
 * gets a token accepted (and so cached), changes what can change, and asks again at once.
 */
class VerifiedTokenCacheTest {

    static final Instant T0 = LocalTokensTest.T0;
    /** The token below is issued at T0 + 60 s for an hour. */
    static final Instant EXP = T0.plusSeconds(60).plus(Duration.ofHours(1));

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        private volatile Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    final MovingClock clock = new MovingClock(T0.plusSeconds(60));
    final LocalTokens tokens = new LocalTokens("DEU", "node1", LocalTokensTest.SECRET, clock);
    final String token = tokens.issue(LocalTokensTest.alice(), Duration.ofHours(1));
    JwksServer jwks;

    /** What the token authenticates: alice, issued when the clock stood at the token's issue. */
    private Authenticated aliceAuthenticated() {
        return new Authenticated(LocalTokensTest.alice(), ((Authenticated) tokens.verify(token)).issuedAt());
    }

    @AfterEach
    void stop() {
        if (jwks != null) jwks.close();
    }

    @Test
    void aCachedTokenIsRefusedOnceItExpires() {
        assertThat(tokens.verify(token)).isEqualTo(aliceAuthenticated());
        assertThat(tokens.verify(token)).isEqualTo(aliceAuthenticated());
        clock.set(EXP.plusSeconds(60));
        assertThat(tokens.verify(token)).isInstanceOf(Authenticated.class); // within the clock skew
        clock.set(EXP.plusSeconds(61));
        AuthResult expired = new Rejected("token expired at " + EXP);
        assertThat(tokens.verify(token)).isEqualTo(expired);
        // The same verdict as a verifier that never saw the token, and the same again after eviction.
        assertThat(new LocalTokens("DEU", "node1", LocalTokensTest.SECRET, clock).verify(token)).isEqualTo(expired);
        assertThat(tokens.verify(token)).isEqualTo(expired);
    }

    @Test
    void aCachedTokenIsRefusedWhenTheClockIsBeforeItsValidity() {
        assertThat(tokens.verify(token)).isInstanceOf(Authenticated.class);
        clock.set(T0.minusSeconds(61));
        assertThat(tokens.verify(token)).isEqualTo(new Rejected("token not yet valid"));
    }

    @Test
    void aTamperedCopyOfACachedTokenIsRefused() {
        assertThat(tokens.verify(token)).isInstanceOf(Authenticated.class);
        String[] parts = token.split("\\.");
        char last = parts[2].charAt(parts[2].length() - 2);
        String badMac = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 2)
                + (last == 'A' ? 'B' : 'A') + parts[2].charAt(parts[2].length() - 1);
        assertThat(tokens.verify(badMac)).isEqualTo(new Rejected("bad signature"));
        String otherPayload = parts[0] + "." + parts[1].substring(0, parts[1].length() - 1)
                + (parts[1].endsWith("A") ? "B" : "A") + "." + parts[2];
        assertThat(tokens.verify(otherPayload)).isInstanceOf(Rejected.class);
        assertThat(tokens.verify(token)).isInstanceOf(Authenticated.class); // the original is unharmed
    }

    @Test
    void aNewSecretRevokesCachedTokens() {
        assertThat(tokens.verify(token)).isInstanceOf(Authenticated.class);
        LocalTokens rotated = new LocalTokens("DEU", "node1", LocalTokens.generateSecret(), clock);
        assertThat(rotated.verify(token)).isEqualTo(new Rejected("bad signature"));
        assertThat(Verifiers.of(List.of(rotated)).verify(token)).isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void throughVerifiersACachedTokenKeepsItsVerdicts() {
        Verifiers verifiers = Verifiers.of(List.of(tokens));
        assertThat(verifiers.verify(token)).isEqualTo(aliceAuthenticated());
        assertThat(verifiers.verify(token)).isEqualTo(aliceAuthenticated());
        assertThat(verifiers.verify(token + "x")).isInstanceOf(Rejected.class);
        clock.set(T0.plus(Duration.ofHours(2)));
        assertThat(verifiers.verify(token)).isEqualTo(new Rejected("token expired at " + EXP));
    }

    @Test
    void aFailedTokenIsNotCachedAndGarbageStaysAVerdict() {
        Verifiers verifiers = Verifiers.of(List.of(tokens));
        for (String bad : new String[]{null, "", "x".repeat(Jwts.MAX_TOKEN_CHARS + 1), "a.b.c"}) {
            assertThat(verifiers.verify(bad)).isEqualTo(new Rejected("malformed token"));
            assertThat(verifiers.verify(bad)).isEqualTo(new Rejected("malformed token"));
        }
    }

    @Test
    void aCachedOidcTokenIsRefusedOnceItsKeyLeavesTheKeySet() {
        jwks = new JwksServer(List.<JWK>of(OidcTokenVerifierTest.RSA));
        OidcTokenVerifier oidc = new OidcTokenVerifier(new OidcSettings(OidcTokenVerifierTest.ISSUER, jwks.uri(), Optional.of("bulwark"),
                "nationality", "clearances", "cois", "realm_access.roles"), Clock.fixed(OidcTokenVerifierTest.NOW, ZoneOffset.UTC));
        Verifiers verifiers = Verifiers.of(List.of(tokens, oidc));
        String old = OidcTokenVerifierTest.rs256(OidcTokenVerifierTest.keycloakClaims().build());
        assertThat(verifiers.verify(old)).isEqualTo(new Authenticated(OidcTokenVerifierTest.expected()));
        assertThat(verifiers.verify(old)).isEqualTo(new Authenticated(OidcTokenVerifierTest.expected()));
        assertThat(jwks.fetches()).isEqualTo(1);

        // The provider withdraws rsa-1 for rsa-2; a token under rsa-2 makes the node fetch the new set.
        jwks.serve(List.of(OidcTokenVerifierTest.ROTATED));
        String fresh = OidcTokenVerifierTest.sign(OidcTokenVerifierTest.ROTATED, JWSAlgorithm.RS256,
                OidcTokenVerifierTest.keycloakClaims().build());
        assertThat(verifiers.verify(fresh)).isInstanceOf(Authenticated.class);
        assertThat(jwks.fetches()).isEqualTo(2);

        assertThat(verifiers.verify(old)).isEqualTo(new Rejected("bad signature"));
        assertThat(verifiers.verify(old)).isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void aCachedOidcTokenIsRefusedOnceItExpires() {
        jwks = new JwksServer(List.<JWK>of(OidcTokenVerifierTest.RSA));
        MovingClock idpClock = new MovingClock(OidcTokenVerifierTest.NOW);
        OidcTokenVerifier oidc = new OidcTokenVerifier(new OidcSettings(OidcTokenVerifierTest.ISSUER, jwks.uri(), Optional.of("bulwark"),
                "nationality", "clearances", "cois", "realm_access.roles"), idpClock);
        String token = OidcTokenVerifierTest.rs256(OidcTokenVerifierTest.keycloakClaims().build());
        assertThat(oidc.verify(token)).isInstanceOf(Authenticated.class);
        idpClock.set(OidcTokenVerifierTest.NOW.plusSeconds(300 + 61));
        assertThat(oidc.verify(token)).isEqualTo(new Rejected("token expired at " + OidcTokenVerifierTest.NOW.plusSeconds(300)));
    }
}
