package io.bulwark.federation;

import io.bulwark.federation.internal.PinningTrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PinningTrustManagerTest {

    @TempDir
    Path dir;

    @Test
    void acceptsAPinnedCertificateOnBothSidesAndReadsThePinsAtEveryCheck() throws Exception {
        TestIdentity peer = TestIdentity.create(dir, "peer");
        Set<String> pins = ConcurrentHashMap.newKeySet();
        pins.add(peer.fingerprint().toUpperCase()); // hex compares without regard to case
        var trust = new PinningTrustManager(PeerPins.of(() -> pins), false);
        X509Certificate[] chain = {peer.certificate()};

        assertThatCode(() -> trust.checkClientTrusted(chain, "EC")).doesNotThrowAnyException();
        assertThatCode(() -> trust.checkServerTrusted(chain, "EC")).doesNotThrowAnyException();

        pins.clear();
        assertThatThrownBy(() -> trust.checkServerTrusted(chain, "EC")).isInstanceOf(CertificateException.class);
    }

    @Test
    void refusesAnUnpinnedCertificateNamingItsFingerprint() throws Exception {
        TestIdentity pinned = TestIdentity.create(dir, "pinned");
        TestIdentity stranger = TestIdentity.create(dir, "stranger");
        var trust = new PinningTrustManager(PeerPins.of(() -> Set.of(pinned.fingerprint())), false);

        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {stranger.certificate()}, "EC"))
                .isInstanceOf(CertificateException.class)
                .hasMessage("client certificate " + stranger.fingerprint() + " is not pinned");
        // Only the leaf counts: a pinned certificate further down the chain does not help.
        assertThatThrownBy(() -> trust.checkServerTrusted(
                new X509Certificate[] {stranger.certificate(), pinned.certificate()}, "EC"))
                .hasMessageContaining(stranger.fingerprint());
    }

    @Test
    void aCertificateValidAtTheHandshakeIsCheckedAgainOnEachRequestOnceItsPeriodEnds() throws Exception {
        Instant now = Instant.now();
        TestIdentity peer = TestIdentity.create(dir, "peer", now.minus(Duration.ofDays(1)), now.plus(Duration.ofHours(1)));
        X509Certificate c = peer.certificate();
        assertThat(FederationTls.outsideValidity(c, now)).isEmpty();
        assertThat(FederationTls.outsideValidity(c, now.plus(Duration.ofHours(2))))
                .hasValue("the certificate expired at " + c.getNotAfter().toInstant());
        assertThat(FederationTls.outsideValidity(c, now.minus(Duration.ofDays(2))))
                .hasValue("the certificate is valid only from " + c.getNotBefore().toInstant());
    }

    @Test
    void refusesAPinnedCertificateOutsideItsValidityPeriod() throws Exception {
        Instant now = Instant.now();
        TestIdentity expired = TestIdentity.create(dir, "expired", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
        TestIdentity future = TestIdentity.create(dir, "future", now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(2)));
        var trust = new PinningTrustManager(PeerPins.of(() -> Set.of(expired.fingerprint(), future.fingerprint())), false);

        assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {expired.certificate()}, "EC"))
                .hasMessageStartingWith("server certificate " + expired.fingerprint() + " is pinned but not valid now");
        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {future.certificate()}, "EC"))
                .hasMessageStartingWith("client certificate " + future.fingerprint() + " is pinned but not valid now");
    }

    @Test
    void anUnreadablePeerListTrustsNobody() throws Exception {
        TestIdentity peer = TestIdentity.create(dir, "peer");
        var trust = new PinningTrustManager(PeerPins.of(() -> {
            throw new IllegalStateException("peers.json: unreadable");
        }), false);

        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {peer.certificate()}, "EC"))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining(peer.fingerprint())
                .hasRootCauseMessage("peers.json: unreadable");
        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[0], "EC"))
                .hasMessage("the client sent no certificate");
    }
}
