package io.bulwark.federation;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeIdentityTest {

    private static final String FP = "8de3bc5b30040b8a10ee963ca21a4c62083bf2e5ce455ce5b30923469001d848";
    private static final SigningKeyset SIGNING = SigningKeyset.generate();
    private static final NodeIdentity FRA = new NodeIdentity("FRA", "fra-1", FP, SIGNING.publicKeys(), KemKeyset.generate().primary(),
            List.of(new NodeIdentity.StorageSite("default", "local", "FRA", "FRA")));

    private static Peer peer(String nation, String fp) {
        return new Peer(nation, Peer.url("https://127.0.0.1:7444"), fp, Instant.now());
    }

    @Test
    void aSignedIdentityVerifiesForThePeerItWasAddedAs() throws Exception {
        NodeIdentity back = NodeIdentity.verify(FRA.sign(SIGNING), peer("FRA", FP));
        assertThat(back).isEqualTo(FRA);
    }

    @Test
    void anotherNationACertificateNotPinnedOrAForeignSignatureIsRefused() throws Exception {
        byte[] wire = FRA.sign(SIGNING);
        assertThatThrownBy(() -> NodeIdentity.verify(wire, peer("USA", FP))).hasMessageContaining("says it is FRA; it was added as USA");
        assertThatThrownBy(() -> NodeIdentity.verify(wire, peer("FRA", FP.replace('8', '9'))))
                .hasMessageContaining("not the pinned");
        byte[] forged = FRA.sign(SigningKeyset.generate()); // lists SIGNING's keys, signed by another key
        assertThatThrownBy(() -> NodeIdentity.verify(forged, peer("FRA", FP))).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> NodeIdentity.verify("nope".getBytes(StandardCharsets.UTF_8), peer("FRA", FP)))
                .isInstanceOf(InvalidPeerException.class).hasMessageContaining("identity: not JSON");
    }
}
