package io.bulwark.federation;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyRotationTest {

    private static final Instant T = Instant.parse("2026-11-27T10:00:00Z");

    @Test
    void aChainFromThePinnedKeyIsAcceptedAndRoundTrips() throws Exception {
        SigningKeyset k0 = SigningKeyset.generate();
        SigningKeyset k1 = k0.rotate();
        SigningKeyset k2 = k1.rotate();
        KeyRotation r1 = KeyRotation.sign(k0, k1, KemKeyset.generate().primary(), "FRA", "fra-1", T);
        KeyRotation r2 = KeyRotation.sign(k1, k2, KemKeyset.generate().primary(), "FRA", "fra-1", T.plusSeconds(60));

        assertThat(KeyRotation.decode(r2.encode())).isEqualTo(r2);
        assertThat(KeyRotation.accepted(List.of(k0.primary()), List.of(r1, r2), "FRA", "fra-1"))
                .containsExactly(k0.primary(), k1.primary(), k2.primary());
        // A peer that pinned only k1 (introduced after the first rotation) follows from there.
        assertThat(KeyRotation.accepted(List.of(k1.primary()), List.of(r1, r2), "FRA", "fra-1"))
                .containsExactly(k1.primary(), k2.primary());
    }

    @Test
    void aRotationNotChainedToAPinnedKeyIsNeverTrusted() throws Exception {
        SigningKeyset pinned = SigningKeyset.generate();
        SigningKeyset attacker = SigningKeyset.generate();
        SigningKeyset attackerNext = attacker.rotate();
        KeyRotation forged = KeyRotation.sign(attacker, attackerNext, KemKeyset.generate().primary(), "FRA", "fra-1", T);

        assertThat(KeyRotation.accepted(List.of(pinned.primary()), List.of(forged), "FRA", "fra-1")).containsExactly(pinned.primary());
        // Another node's or nation's statement does not move this node's keys either.
        KeyRotation elsewhere = KeyRotation.sign(pinned, pinned.rotate(), KemKeyset.generate().primary(), "USA", "usa-1", T);
        assertThat(KeyRotation.accepted(List.of(pinned.primary()), List.of(elsewhere), "FRA", "fra-1")).containsExactly(pinned.primary());
    }

    @Test
    void aChainWithAMissingLinkReachesNothingBeyondTheGap() throws Exception {
        SigningKeyset k0 = SigningKeyset.generate();
        SigningKeyset k1 = k0.rotate();
        SigningKeyset k2 = k1.rotate();
        SigningKeyset k3 = k2.rotate();
        KeyRotation r1 = KeyRotation.sign(k0, k1, KemKeyset.generate().primary(), "FRA", "fra-1", T);
        KeyRotation r3 = KeyRotation.sign(k2, k3, KemKeyset.generate().primary(), "FRA", "fra-1", T.plusSeconds(120));
        // k1 -> k2 is left out: k2 and k3 are not reached from the pinned k0, so a peer refuses an identity listing them.
        assertThat(KeyRotation.accepted(List.of(k0.primary()), List.of(r1, r3), "FRA", "fra-1")).containsExactly(k0.primary(), k1.primary());
    }

    @Test
    void aStatementWhoseSignaturesDoNotVerifyIsRefused() throws Exception {
        SigningKeyset k0 = SigningKeyset.generate();
        SigningKeyset k1 = k0.rotate();
        KeyRotation good = KeyRotation.sign(k0, k1, KemKeyset.generate().primary(), "FRA", "fra-1", T);
        // Claims k0 as previous but is signed by someone else: refused, naming which signature.
        KeyRotation notByPrevious = new KeyRotation(good.nation(), good.node(), good.at(), good.previous(), good.next(), good.nextKem(),
                good.byNext(), good.byNext());
        assertThatThrownBy(() -> KeyRotation.accepted(List.of(k0.primary()), List.of(notByPrevious), "FRA", "fra-1"))
                .isInstanceOf(InvalidPeerException.class).hasMessageContaining("not signed by the previous key");
        KeyRotation noPossession = new KeyRotation(good.nation(), good.node(), good.at(), good.previous(), good.next(), good.nextKem(),
                good.byPrevious(), good.byPrevious());
        assertThatThrownBy(noPossession::verify).hasMessageContaining("not signed by the new key itself");
        byte[] bytes = good.encode();
        for (int n = 0; n < bytes.length; n += 97) {
            byte[] cut = java.util.Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> KeyRotation.decode(cut)).isInstanceOf(InvalidPeerException.class);
        }
    }

    @Test
    void anIdentityCarriesItsRotations() throws Exception {
        SigningKeyset k0 = SigningKeyset.generate();
        SigningKeyset k1 = k0.rotate();
        KemKeyset kem = KemKeyset.generate();
        KeyRotation r = KeyRotation.sign(k0, k1, kem.primary(), "FRA", "fra-1", T);
        String fp = "8de3bc5b30040b8a10ee963ca21a4c62083bf2e5ce455ce5b30923469001d848";
        NodeIdentity id = new NodeIdentity("FRA", "fra-1", fp, k1.publicKeys(), kem.primary(), List.of(), List.of(r));
        NodeIdentity back = NodeIdentity.verify(id.sign(k1), new Peer("FRA", Peer.url("https://h:1"), fp, T));
        assertThat(back.rotations()).containsExactly(r);
        assertThat(back.signingKeys()).containsExactly(k0.primary(), k1.primary());
    }
}
