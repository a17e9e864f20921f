package io.bulwark.federation.internal;

import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.SecurityParameters;

import javax.net.ssl.SSLSession;
import java.lang.reflect.Field;
import java.security.cert.CertificateException;

/**
 * Reads the key exchange group of a BCJSSE handshake in progress.
 *
 * <p>Why: BCJSSE 1.84 only uses an ECDSA P-256 certificate in TLS 1.3 if secp256r1 is among the
 * connection's named groups (it ties the signature scheme to the key exchange list, which RFC 8446
 * does not), so a hybrid-only node must list secp256r1 too, and a peer offering only secp256r1 could
 * then negotiate a classical key exchange. Neither JSSE nor BCJSSE exposes the negotiated group, but
 * BCJSSE's handshake session holds it; the peer's certificate is checked after the key exchange, so
 * the trust manager can refuse the handshake there. Reflection on a provider internal: if a BC upgrade
 * moves it, every hybrid-only handshake fails with this class's message — never silently passes.
 */
final class NegotiatedGroup {

    private static final Field SECURITY_PARAMETERS = securityParameters();

    private NegotiatedGroup() {}

    private static Field securityParameters() {
        try {
            Field f = Class.forName("org.bouncycastle.jsse.provider.ProvSSLSessionHandshake").getDeclaredField("securityParameters");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Refuses unless the handshake session negotiated X25519MLKEM768. */
    static void requireHybrid(SSLSession handshake, String fingerprint) throws CertificateException {
        int group = read(handshake);
        if (group != NamedGroup.X25519MLKEM768) {
            throw new CertificateException("handshake with " + fingerprint + " negotiated key exchange "
                    + NamedGroup.getText(group) + ", not X25519MLKEM768");
        }
    }

    private static int read(SSLSession handshake) throws CertificateException {
        if (SECURITY_PARAMETERS == null || handshake == null
                || !SECURITY_PARAMETERS.getDeclaringClass().isInstance(handshake)) {
            throw new CertificateException("cannot read the negotiated key exchange group from "
                    + (handshake == null ? "no handshake session" : handshake.getClass().getName())
                    + "; hybrid-only needs BCJSSE 1.84's handshake session");
        }
        try {
            return ((SecurityParameters) SECURITY_PARAMETERS.get(handshake)).getNegotiatedGroup();
        } catch (IllegalAccessException e) {
            throw new CertificateException("cannot read the negotiated key exchange group", e);
        }
    }
}
