package io.bulwark.federation;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The peers this node trusts, as SHA-256 fingerprints of their TLS leaf certificates (lowercase hex of
 * the DER encoding, the value {@code NodeHome.tlsFingerprint()} prints).
 *
 * <p>The set is read from the caller's supplier on every check, never cached: a peer removed from the
 * node's peer list is refused at the very next handshake (and, by handlers that call
 * {@link FederationTls#peerFingerprint}, at the next request of an open connection).
 *
 * <p><b>Security guarantees.</b> A certificate is trusted iff its exact fingerprint is in the set the
 * supplier returns at that moment. If the supplier fails, nothing is trusted.
 */
public final class PeerPins {

    private final Supplier<? extends Set<String>> current;

    private PeerPins(Supplier<? extends Set<String>> current) {
        this.current = current;
    }

    /** Pins whatever {@code current} returns when asked; it is asked on every handshake and check. */
    public static PeerPins of(Supplier<? extends Set<String>> current) {
        return new PeerPins(Objects.requireNonNull(current, "current"));
    }

    /** Whether this fingerprint is pinned right now (hex compared without regard to case). */
    public boolean isPinned(String fingerprint) {
        Set<String> pins = Objects.requireNonNull(current.get(), "the pin supplier returned null");
        return pins.stream().anyMatch(fingerprint::equalsIgnoreCase);
    }

    /** Lowercase hex SHA-256 of the certificate's DER encoding. */
    public static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint a certificate", e); // SHA-256 is mandatory; a parsed certificate encodes
        }
    }
}
