package io.bulwark.node.identity;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How to trust an external OpenID Connect provider (e.g. a Keycloak realm) and read its tokens.
 *
 * @param issuer           the {@code iss} of its tokens, exactly, e.g. {@code https://idp.example/realms/bulwark}
 * @param jwksUri          where its public keys are served (a JWK set): {@code https}, or {@code http}
 *                         on a loopback address only
 * @param audience         if present, a token's {@code aud} must contain it
 * @param nationalityClaim the claim holding the alpha-3 nationality
 * @param clearanceClaim   the claim holding the clearances (a string or an array of strings)
 * @param coiClaim         the claim holding the communities of interest (a string or an array)
 * @param rolesClaim       the claim holding the roles, e.g. Keycloak's {@code realm_access.roles}
 *
 * <p>A claim name is looked up first as a top-level claim of exactly that name, then as a dotted
 * path through nested objects ({@code realm_access.roles}, {@code resource_access.bulwark.roles}).
 */
public record OidcSettings(String issuer, URI jwksUri, Optional<String> audience, String nationalityClaim,
                           String clearanceClaim, String coiClaim, String rolesClaim) {

    private static final int MAX_TEXT = 1024;

    /** @throws InvalidIdentityException naming the setting and the rule it breaks */
    public OidcSettings {
        Objects.requireNonNull(jwksUri, "jwksUri");
        Objects.requireNonNull(audience, "audience");
        text(issuer, "issuer");
        audience.ifPresent(a -> text(a, "audience"));
        claim(nationalityClaim, "nationalityClaim");
        claim(clearanceClaim, "clearanceClaim");
        claim(coiClaim, "coiClaim");
        claim(rolesClaim, "rolesClaim");
        checkJwksUri(jwksUri);
    }

    private static void text(String value, String setting) {
        if (value == null || value.isBlank() || value.length() > MAX_TEXT
                || value.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw invalid(setting, "1 to " + MAX_TEXT + " characters, without spaces or control characters");
        }
    }

    private static void claim(String name, String setting) {
        text(name, setting);
        if (name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
            throw invalid(setting, "'" + name + "' is not a claim name or a dotted path of claim names"
                    + " (e.g. realm_access.roles): no empty step");
        }
    }

    private static void checkJwksUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            throw invalid("jwksUri", "'" + uri + "' is not an absolute http(s) URL with a host");
        }
        if (uri.getUserInfo() != null) {
            throw invalid("jwksUri", "'" + uri + "' carries user info; a JWK set is public");
        }
        if (scheme.equals("http") && !isLoopback(uri.getHost())) {
            throw invalid("jwksUri", "'" + uri + "' is plain http to another machine: anyone on the way could"
                    + " swap the keys; use https (plain http is for loopback addresses only)");
        }
    }

    private static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        // A literal address only: a name is never resolved here, so DNS cannot make it "loopback".
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static InvalidIdentityException invalid(String setting, String rule) {
        return new InvalidIdentityException("OIDC settings", setting, rule);
    }
}
