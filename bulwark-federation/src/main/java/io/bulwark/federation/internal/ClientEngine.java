package io.bulwark.federation.internal;

import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A BCJSSE client engine that re-applies the federation's named groups and early key shares after
 * every {@link #setSSLParameters}.
 *
 * <p>Why: {@code java.net.http.HttpClient} (JDK 25) copies the builder's {@link SSLParameters}
 * field by field without the named groups, then calls {@code setSSLParameters} on the engine; BCJSSE
 * imports the missing value as "default groups". Early key shares have no {@code SSLParameters} field
 * at all, only BCJSSE's {@link BCSSLParameters#setEarlyKeyShares}.
 */
final class ClientEngine extends SSLEngine {

    private final SSLEngine bc;
    private final String[] namedGroups;
    private final String[] earlyKeyShares;

    ClientEngine(SSLEngine bc, String[] namedGroups, String[] earlyKeyShares) {
        super(bc.getPeerHost(), bc.getPeerPort());
        this.bc = bc;
        this.namedGroups = namedGroups;
        this.earlyKeyShares = earlyKeyShares;
        applyGroups();
    }

    private void applyGroups() {
        if (!(bc instanceof BCSSLEngine engine)) throw new IllegalStateException("not a BCJSSE engine: " + bc.getClass().getName());
        BCSSLParameters parameters = engine.getParameters();
        parameters.setNamedGroups(namedGroups);
        parameters.setEarlyKeyShares(earlyKeyShares);
        engine.setParameters(parameters);
    }

    @Override
    public void setSSLParameters(SSLParameters parameters) {
        bc.setSSLParameters(parameters);
        applyGroups();
    }

    @Override
    public SSLParameters getSSLParameters() {
        return bc.getSSLParameters();
    }

    // Everything else is plain delegation.

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        return bc.wrap(srcs, offset, length, dst);
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        return bc.unwrap(src, dsts, offset, length);
    }

    @Override
    public Runnable getDelegatedTask() {
        return bc.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
        bc.closeInbound();
    }

    @Override
    public boolean isInboundDone() {
        return bc.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        bc.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
        return bc.isOutboundDone();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return bc.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return bc.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        bc.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return bc.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return bc.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        bc.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
        return bc.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return bc.getHandshakeSession();
    }

    @Override
    public void beginHandshake() throws SSLException {
        bc.beginHandshake();
    }

    @Override
    public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
        return bc.getHandshakeStatus();
    }

    @Override
    public void setUseClientMode(boolean mode) {
        bc.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return bc.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        bc.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return bc.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        bc.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return bc.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        bc.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return bc.getEnableSessionCreation();
    }

    @Override
    public String getApplicationProtocol() {
        return bc.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return bc.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        bc.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return bc.getHandshakeApplicationProtocolSelector();
    }
}
