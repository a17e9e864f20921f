package io.bulwark.federation;

import java.net.URI;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A peer as its operator declared it: the nation, where its federation API listens, and the
 * SHA-256 fingerprint of its TLS certificate — exchanged out of band and the only trust there is.
 *
 * @param nation      the peer's nation, ISO 3166-1 alpha-3
 * @param url         the peer's federation API, {@code https://host:port}
 * @param fingerprint lower-case hex SHA-256 of the peer's TLS certificate (what {@code bulwark node info} prints)
 * @param added       when it was added
 */
public record Peer(String nation, URI url, String fingerprint, Instant added) {

    public Peer {
        Objects.requireNonNull(added, "added");
        if (nation == null || !nation.matches("[A-Z]{3}")) {
            throw new InvalidPeerException("nation: an ISO 3166-1 alpha-3 code such as FRA, not '" + nation + "'");
        }
        if (url == null || !"https".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 1
                || !(url.getRawPath() == null || url.getRawPath().isEmpty() || url.getRawPath().equals("/"))
                || url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw new InvalidPeerException("url: https://HOST:PORT of the peer's federation API (no path, query or user), not '" + url + "'");
        }
        url = URI.create("https://" + url.getRawAuthority());
        if (fingerprint == null) {
            throw new InvalidPeerException("fingerprint: required");
        }
        fingerprint = fingerprint.replace(":", "").strip().toLowerCase(Locale.ROOT);
        if (!fingerprint.matches("[0-9a-f]{64}")) {
            throw new InvalidPeerException("fingerprint: 64 hex digits (SHA-256 of the peer's TLS certificate, from its "
                    + "'bulwark node info'), not '" + fingerprint + "'");
        }
    }

    /** Parses the operator's URL text; the message names the rule. */
    public static URI url(String text) {
        try {
            return new URI(text.strip());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new InvalidPeerException("url: https://HOST:PORT, not '" + text + "'");
        }
    }
}
