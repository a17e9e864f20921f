package io.bulwark.federation.internal;

import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;

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
 * A BCJSSE client context whose engines send an early key share for the given groups.
 *
 * <p>Why: {@link SSLParameters} can name the groups a client offers but not which of them get a key
 * share in the first ClientHello; BCJSSE's own default shares x25519 when it is offered, and a server
 * that accepts x25519 then never gets to pick the hybrid group. BCJSSE takes early key shares per
 * connection ({@link BCSSLParameters#setEarlyKeyShares}) or JVM-wide (a system property); per connection
 * is the one that cannot leak into other code, and {@code java.net.http.HttpClient} only ever asks the
 * context for an engine, so this context sets them on each engine it makes. HttpClient's later
 * {@code setSSLParameters} leaves them in place (it carries no such field).
 *
 * <p>Engines only: federation clients are {@code java.net.http} clients. Socket factories are refused
 * rather than silently handing out sockets without the early share.
 */
public final class EarlyKeySharesContext extends SSLContext {

    public EarlyKeySharesContext(SSLContext bcjsse, List<String> earlyKeyShares) {
        super(new Spi(bcjsse, earlyKeyShares.toArray(String[]::new)), bcjsse.getProvider(), bcjsse.getProtocol());
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext bcjsse;
        private final String[] earlyKeyShares;

        Spi(SSLContext bcjsse, String[] earlyKeyShares) {
            this.bcjsse = bcjsse;
            this.earlyKeyShares = earlyKeyShares;
        }

        private SSLEngine withEarlyKeyShares(SSLEngine engine) {
            if (!(engine instanceof BCSSLEngine bc)) {
                throw new IllegalStateException("not a BCJSSE engine: " + engine.getClass().getName());
            }
            BCSSLParameters parameters = bc.getParameters();
            parameters.setEarlyKeyShares(earlyKeyShares);
            bc.setParameters(parameters);
            return engine;
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return withEarlyKeyShares(bcjsse.createSSLEngine());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return withEarlyKeyShares(bcjsse.createSSLEngine(host, port));
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
