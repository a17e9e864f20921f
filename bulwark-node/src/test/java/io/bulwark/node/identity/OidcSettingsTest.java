package io.bulwark.node.identity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OidcSettingsTest {

    static OidcSettings with(String issuer, String jwks, String rolesClaim) {
        return new OidcSettings(issuer, URI.create(jwks), Optional.of("bulwark"), "nationality", "clearances", "cois",
                rolesClaim);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://idp.example/realms/bulwark/protocol/openid-connect/certs",
            "http://127.0.0.1:8080/certs", "http://localhost:8080/certs", "http://[::1]:8080/certs"})
    void acceptsHttpsAndLoopbackHttp(String uri) {
        assertThat(with("https://idp.example/realms/bulwark", uri, "realm_access.roles").jwksUri()).isEqualTo(URI.create(uri));
    }

    @Test
    void refusesPlainHttpToAnotherMachine() {
        assertThatThrownBy(() -> with("https://idp.example", "http://idp.example/certs", "roles"))
                .isInstanceOf(InvalidIdentityException.class)
                .hasMessage("OIDC settings at jwksUri: 'http://idp.example/certs' is plain http to another machine:"
                        + " anyone on the way could swap the keys; use https (plain http is for loopback addresses only)");
        assertThatThrownBy(() -> with("https://idp.example", "http://127.0.0.1.evil.example/certs", "roles"))
                .hasMessageContaining("is plain http to another machine");
    }

    @Test
    void refusesAUriThatIsNotAnAbsoluteHttpUrl() {
        assertThatThrownBy(() -> with("https://idp.example", "file:///etc/keys.json", "roles"))
                .hasMessage("OIDC settings at jwksUri: 'file:///etc/keys.json' is not an absolute http(s) URL with a host");
        assertThatThrownBy(() -> with("https://idp.example", "/certs", "roles"))
                .hasMessage("OIDC settings at jwksUri: '/certs' is not an absolute http(s) URL with a host");
        assertThatThrownBy(() -> with("https://idp.example", "https://user:pw@idp.example/certs", "roles"))
                .hasMessage("OIDC settings at jwksUri: 'https://user:pw@idp.example/certs' carries user info; a JWK set is public");
    }

    @Test
    void refusesABlankIssuer() {
        assertThatThrownBy(() -> with(" ", "https://idp.example/certs", "roles"))
                .hasMessage("OIDC settings at issuer: 1 to 1024 characters, without spaces or control characters");
    }

    @Test
    void refusesAClaimPathWithAnEmptyStep() {
        assertThatThrownBy(() -> with("https://idp.example", "https://idp.example/certs", "realm_access..roles"))
                .hasMessage("OIDC settings at rolesClaim: 'realm_access..roles' is not a claim name or a dotted path"
                        + " of claim names (e.g. realm_access.roles): no empty step");
        assertThatThrownBy(() -> with("https://idp.example", "https://idp.example/certs", ".roles"))
                .hasMessageContaining("at rolesClaim: '.roles' is not a claim name");
    }

    @Test
    void refusesABlankAudience() {
        assertThatThrownBy(() -> new OidcSettings("https://idp.example", URI.create("https://idp.example/certs"),
                Optional.of(""), "nationality", "clearances", "cois", "roles"))
                .hasMessage("OIDC settings at audience: 1 to 1024 characters, without spaces or control characters");
    }
}
