package io.bulwark.federation.internal;

import io.bulwark.federation.PeerPins;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;

/**
 * Trusts a peer's chain iff its leaf certificate is pinned right now and within its validity period.
 * There is no CA and no PKIX path validation: the pin is the trust. Extra certificates in the chain are
 * ignored, and the TLS handshake itself proves the peer holds the leaf's private key.
 *
 * <p>It is an {@link X509ExtendedTrustManager} on purpose: JSSE then hands the endpoint identification
 * algorithm (HTTPS hostname check, which {@code java.net.http.HttpClient} always requests) to this class
 * instead of running it itself, and this class ignores it. A pin names one certificate; a hostname
 * check could only add a weaker condition, and peers are addressed by IP as often as by name.
 */
public final class PinningTrustManager extends X509ExtendedTrustManager {

    private final PeerPins pins;

    public PinningTrustManager(PeerPins pins) {
        this.pins = pins;
    }

    private void check(X509Certificate[] chain, String side) throws CertificateException {
        if (chain == null || chain.length == 0) throw new CertificateException("the " + side + " sent no certificate");
        X509Certificate leaf = chain[0];
        String fingerprint = PeerPins.fingerprint(leaf);
        boolean pinned;
        try {
            pinned = pins.isPinned(fingerprint);
        } catch (RuntimeException e) { // an unreadable peer list trusts nobody
            throw new CertificateException("cannot read the pinned peers to check " + side + " certificate " + fingerprint, e);
        }
        if (!pinned) throw new CertificateException(side + " certificate " + fingerprint + " is not pinned");
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new CertificateException(side + " certificate " + fingerprint + " is pinned but not valid now: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, "server");
    }

    /** None: no CA list is sent, so a client offers its one certificate whoever issued it. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
