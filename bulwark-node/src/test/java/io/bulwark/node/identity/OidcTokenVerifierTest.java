package io.bulwark.node.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.bulwark.node.identity.AuthResult.Authenticated;
import io.bulwark.node.identity.AuthResult.Rejected;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against a real JWKS endpoint on loopback, with keys made here and tokens signed by Nimbus. */
class OidcTokenVerifierTest {

    static final String ISSUER = "https://idp.example/realms/bulwark";
    static final Instant NOW = Instant.parse("2026-11-26T08:00:00Z");
    static final RSAKey RSA = rsa("rsa-1");
    static final ECKey EC = ec("ec-1");
    static final RSAKey ROTATED = rsa("rsa-2");
    /** Not served: the attacker's keys, one under an unknown key id, one under a served key id. */
    static final RSAKey FOREIGN = rsa("rsa-x");
    static final RSAKey IMPOSTOR = rsa("rsa-1");

    JwksServer jwks;

    @BeforeEach
    void start() {
        jwks = new JwksServer(List.of(RSA, EC));
    }

    @AfterEach
    void stop() {
        jwks.close();
    }

    static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    OidcSettings settings(Optional<String> audience) {
        return new OidcSettings(ISSUER, jwks.uri(), audience, "nationality", "clearances", "cois", "realm_access.roles");
    }

    OidcTokenVerifier verifier() {
        return new OidcTokenVerifier(settings(Optional.of("bulwark")), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** The claims of a Keycloak access token with Bulwark's attribute mappers. */
    static JWTClaimsSet.Builder keycloakClaims() {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject("5f0c2b9e-0d7a-4a43-9a38-1f1c1e7f2c11")
                .audience(List.of("bulwark", "account"))
                .issueTime(Date.from(NOW.minusSeconds(60)))
                .expirationTime(Date.from(NOW.plusSeconds(300)))
                .jwtID("d2c6e1a0")
                .claim("azp", "bulwark-console")
                .claim("typ", "Bearer")
                .claim("preferred_username", "amelie")
                .claim("realm_access", Map.of("roles", List.of("default-roles-bulwark", "offline_access", "analyst", "Officer")))
                .claim("nationality", "FRA")
                .claim("clearances", List.of("NATO SECRET", "FRA SECRET"))
                .claim("cois", "ISR");
    }

    static Principal expected() {
        return new Principal("5f0c2b9e-0d7a-4a43-9a38-1f1c1e7f2c11", "FRA", List.of("NATO SECRET", "FRA SECRET"),
                Set.of("ISR"), Set.of(Role.ANALYST, Role.OFFICER), ISSUER);
    }

    static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
        try {
            JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String rs256(JWTClaimsSet claims) {
        return sign(RSA, JWSAlgorithm.RS256, claims);
    }

    @Test
    void aValidRs256TokenMapsItsClaimsToAPrincipal() {
        assertThat(verifier().verify(rs256(keycloakClaims().build()))).isEqualTo(new Authenticated(expected()));
    }

    @Test
    void es256AndPs256AreAcceptedToo() {
        OidcTokenVerifier v = verifier();
        assertThat(v.verify(sign(EC, JWSAlgorithm.ES256, keycloakClaims().build()))).isEqualTo(new Authenticated(expected()));
        assertThat(v.verify(sign(RSA, JWSAlgorithm.PS256, keycloakClaims().build()))).isEqualTo(new Authenticated(expected()));
    }

    @Test
    void theKeySetIsFetchedOnceAndCached() {
        OidcTokenVerifier v = verifier();
        assertThat(jwks.fetches()).isZero();
        assertThat(v.verify(rs256(keycloakClaims().build()))).isInstanceOf(Authenticated.class);
        assertThat(v.verify(sign(EC, JWSAlgorithm.ES256, keycloakClaims().build()))).isInstanceOf(Authenticated.class);
        assertThat(jwks.fetches()).isEqualTo(1);
    }

    @Test
    void expired() {
        Instant exp = NOW.minusSeconds(61);
        assertThat(verifier().verify(rs256(keycloakClaims().issueTime(Date.from(exp.minusSeconds(300)))
                .expirationTime(Date.from(exp)).build())))
                .isEqualTo(new Rejected("token expired at 2026-11-26T07:58:59Z"));
    }

    @Test
    void expiredWithinTheClockSkewIsStillValid() {
        assertThat(verifier().verify(rs256(keycloakClaims().expirationTime(Date.from(NOW.minusSeconds(60))).build())))
                .isInstanceOf(Authenticated.class);
    }

    @Test
    void notYetValid() {
        assertThat(verifier().verify(rs256(keycloakClaims().notBeforeTime(Date.from(NOW.plusSeconds(61))).build())))
                .isEqualTo(new Rejected("token not yet valid"));
    }

    @Test
    void unknownIssuer() {
        assertThat(verifier().verify(rs256(keycloakClaims().issuer("https://evil.example/realms/bulwark").build())))
                .isEqualTo(new Rejected("unknown issuer 'https://evil.example/realms/bulwark'"));
        assertThat(jwks.fetches()).isZero();
    }

    @Test
    void signedByAKeyNotInTheKeySet() {
        assertThat(verifier().verify(sign(FOREIGN, JWSAlgorithm.RS256, keycloakClaims().build())))
                .isEqualTo(new Rejected("bad signature"));
        assertThat(jwks.fetches()).as("an unknown key id makes the set be fetched again, once").isEqualTo(2);
    }

    @Test
    void signedByAnotherKeyUnderAKeyIdOfTheSet() {
        assertThat(verifier().verify(sign(IMPOSTOR, JWSAlgorithm.RS256, keycloakClaims().build())))
                .isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void aMacKeyedWithThePublicKeyIsRefused() throws Exception {
        // The classic algorithm confusion: HS256 with the provider's public key as the secret.
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                keycloakClaims().build());
        jwt.sign(new MACSigner(RSA.toPublicJWK().toRSAPublicKey().getEncoded()));
        assertThat(verifier().verify(jwt.serialize())).isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void aTamperedPayloadIsRefused() {
        String[] parts = rs256(keycloakClaims().build()).split("\\.");
        String other = rs256(keycloakClaims().claim("nationality", "USA").build()).split("\\.")[1];
        assertThat(verifier().verify(parts[0] + "." + other + "." + parts[2])).isEqualTo(new Rejected("bad signature"));
    }

    @Test
    void missingNationality() {
        assertThat(verifier().verify(rs256(keycloakClaims().claim("nationality", null).build())))
                .isEqualTo(new Rejected("missing claim 'nationality'"));
    }

    @Test
    void aNationalityThatIsNotAlpha3() {
        assertThat(verifier().verify(rs256(keycloakClaims().claim("nationality", "France").build())))
                .isEqualTo(new Rejected("invalid claim 'nationality': an ISO 3166-1 alpha-3 code (e.g. DEU) is required"));
    }

    @Test
    void missingRoles() {
        assertThat(verifier().verify(rs256(keycloakClaims().claim("realm_access", Map.of()).build())))
                .isEqualTo(new Rejected("missing claim 'realm_access.roles'"));
    }

    @Test
    void rolesWithoutABulwarkRole() {
        assertThat(verifier().verify(rs256(keycloakClaims()
                .claim("realm_access", Map.of("roles", List.of("offline_access", "uma_authorization"))).build())))
                .isEqualTo(new Rejected("invalid claim 'realm_access.roles': no Bulwark role (analyst, operator, officer)"));
    }

    @Test
    void absentClearancesAndCoisMeanNone() {
        assertThat(verifier().verify(rs256(keycloakClaims().claim("clearances", null).claim("cois", null).build())))
                .isEqualTo(new Authenticated(new Principal(expected().name(), "FRA", List.of(), Set.of(),
                        expected().roles(), ISSUER)));
    }

    @Test
    void wrongAudience() {
        assertThat(verifier().verify(rs256(keycloakClaims().audience("account").build())))
                .isEqualTo(new Rejected("wrong audience"));
    }

    @Test
    void missingAudience() {
        assertThat(verifier().verify(rs256(keycloakClaims().audience((String) null).build())))
                .isEqualTo(new Rejected("missing claim 'aud'"));
    }

    @Test
    void noAudienceConfiguredAcceptsAny() {
        OidcTokenVerifier v = new OidcTokenVerifier(settings(Optional.empty()), Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(v.verify(rs256(keycloakClaims().audience((String) null).build()))).isInstanceOf(Authenticated.class);
    }

    @Test
    void aKeyAddedToTheSetIsPickedUpOnRefresh() {
        OidcTokenVerifier v = verifier();
        assertThat(v.verify(rs256(keycloakClaims().build()))).isInstanceOf(Authenticated.class);
        assertThat(jwks.fetches()).isEqualTo(1);
        jwks.serve(List.of(RSA, EC, ROTATED)); // the provider rotates: a new key id appears
        assertThat(v.verify(sign(ROTATED, JWSAlgorithm.RS256, keycloakClaims().build())))
                .isEqualTo(new Authenticated(expected()));
        assertThat(jwks.fetches()).isEqualTo(2);
        assertThat(v.verify(rs256(keycloakClaims().build()))).isInstanceOf(Authenticated.class);
        assertThat(jwks.fetches()).isEqualTo(2);
    }

    @Test
    void nestedAndLiteralDottedClaimNames() {
        // Keycloak client roles sit at resource_access.<client>.roles; a claim may also be named by a URL.
        OidcSettings s = new OidcSettings(ISSUER, jwks.uri(), Optional.empty(), "https://bulwark.example/nat",
                "clearances", "cois", "resource_access.bulwark.roles");
        OidcTokenVerifier v = new OidcTokenVerifier(s, Clock.fixed(NOW, ZoneOffset.UTC));
        JWTClaimsSet claims = keycloakClaims().claim("nationality", null).claim("https://bulwark.example/nat", "FRA")
                .claim("resource_access", Map.of("bulwark", Map.of("roles", List.of("ANALYST", "officer")))).build();
        assertThat(v.verify(rs256(claims))).isEqualTo(new Authenticated(expected()));
    }

    @Test
    void anUnreachableProviderIsAFaultNotARejection() {
        OidcTokenVerifier v = verifier();
        URI uri = jwks.uri();
        jwks.close();
        assertThatThrownBy(() -> v.verify(rs256(keycloakClaims().build())))
                .isInstanceOf(IdentityProviderException.class)
                .hasMessageStartingWith("the keys of identity provider " + ISSUER + " cannot be fetched from " + uri + ": ");
    }
}
