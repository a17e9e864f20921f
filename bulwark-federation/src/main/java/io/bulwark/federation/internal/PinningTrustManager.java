package io.bulwark.federation.internal;

import io.bulwark.federation.PeerPins;
import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLSocket;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
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
 *
 * <p>With {@code hybridOnly} it also refuses a handshake whose key exchange was not X25519MLKEM768
 * (see {@link NegotiatedGroup} for why that check lives here).
 */
public final class PinningTrustManager extends X509ExtendedTrustManager {

    private final PeerPins pins;
    private final boolean hybridOnly;

    public PinningTrustManager(PeerPins pins, boolean hybridOnly) {
        this.pins = pins;
        this.hybridOnly = hybridOnly;
    }

    private void check(X509Certificate[] chain, String side, SSLSession handshake) throws CertificateException {
        String fingerprint = checkPinned(chain, side);
        if (hybridOnly) NegotiatedGroup.requireHybrid(handshake, side + " certificate " + fingerprint);
    }

    // BCJSSE's own session object: getHandshakeSession() returns an export wrapper.
    private static SSLSession handshake(Socket socket) {
        return socket instanceof BCSSLSocket bc ? bc.getBCHandshakeSession() : null;
    }

    private static SSLSession handshake(SSLEngine engine) {
        return engine instanceof BCSSLEngine bc ? bc.getBCHandshakeSession() : null;
    }

    private String checkPinned(X509Certificate[] chain, String side) throws CertificateException {
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
        return fingerprint;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "client", null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "client", handshake(socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, "client", handshake(engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "server", null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "server", handshake(socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, "server", handshake(engine));
    }

    /** None: no CA list is sent, so a client offers its one certificate whoever issued it. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
