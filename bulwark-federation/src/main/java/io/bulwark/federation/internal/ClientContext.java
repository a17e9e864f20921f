package io.bulwark.federation.internal;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.security.SecureRandom;
import java.util.List;

/**
 * A BCJSSE client context whose engines keep the federation's named groups and send an early
 * X25519MLKEM768 key share, whatever {@code java.net.http.HttpClient} does to their parameters
 * (see {@link ClientEngine}). Per connection, so nothing leaks into other TLS users of the JVM —
 * unlike the {@code jdk.tls.namedGroups} and {@code org.bouncycastle.jsse.client.earlyKeyShares}
 * system properties, which would also change the JDK's own TLS (OIDC, S3) or every BCJSSE client.
 *
 * <p>Engines only: federation clients are {@code java.net.http} clients. Socket factories are refused
 * rather than silently handing out sockets with BCJSSE's default groups.
 */
public final class ClientContext extends SSLContext {

    public ClientContext(SSLContext bcjsse, List<String> namedGroups, List<String> earlyKeyShares) {
        super(new Spi(bcjsse, namedGroups.toArray(String[]::new), earlyKeyShares.toArray(String[]::new)),
                bcjsse.getProvider(), bcjsse.getProtocol());
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext bcjsse;
        private final String[] namedGroups;
        private final String[] earlyKeyShares;

        Spi(SSLContext bcjsse, String[] namedGroups, String[] earlyKeyShares) {
            this.bcjsse = bcjsse;
            this.namedGroups = namedGroups;
            this.earlyKeyShares = earlyKeyShares;
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return new ClientEngine(bcjsse.createSSLEngine(), namedGroups, earlyKeyShares);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return new ClientEngine(bcjsse.createSSLEngine(host, port), namedGroups, earlyKeyShares);
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
            throw new UnsupportedOperationException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("federation clients use SSLEngine (java.net.http.HttpClient), not sockets");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("this is a client context");
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return bcjsse.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return bcjsse.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return bcjsse.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return bcjsse.getSupportedSSLParameters();
        }
    }
}
