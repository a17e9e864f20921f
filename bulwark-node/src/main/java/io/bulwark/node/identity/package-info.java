/**
 * Identities: who asks a node, and how it knows. Local users ({@link io.bulwark.node.identity.LocalUsers})
 * with node-signed tokens ({@link io.bulwark.node.identity.LocalTokens}), and the bearer tokens of an
 * external OpenID Connect provider ({@link io.bulwark.node.identity.OidcTokenVerifier}), routed by
 * issuer ({@link io.bulwark.node.identity.Verifiers}) to a {@link io.bulwark.node.identity.Principal}.
 * See {@code docs/identities.md}.
 */
package io.bulwark.node.identity;
