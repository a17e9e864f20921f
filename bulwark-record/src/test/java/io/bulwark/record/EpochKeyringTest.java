package io.bulwark.record;

import io.bulwark.crypto.AeadKey;
import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EpochKeyringTest {

    @Test
    void aNewEpochStartsAtOnceWhenTheNationsKemKeyChanges() throws Exception {
        KemKeyset first = KemKeyset.generate();
        KemKeyset rotated = first.rotate();
        AtomicReference<HybridPublicKemKey> fraKey = new AtomicReference<>(first.primary());
        EpochKeyring ring = new EpochKeyring(SigningKeyset::generate, "DEU", "deu-1", n -> Optional.of(fraKey.get()),
                Duration.ofHours(1), Clock.systemUTC(), s -> { });

        EpochKeyring.Epoch before = ring.epoch("FRA").orElseThrow();
        assertThat(ring.epoch("FRA").orElseThrow()).isSameAs(before); // the same key: the epoch holds
        fraKey.set(rotated.primary());
        EpochKeyring.Epoch after = ring.epoch("FRA").orElseThrow();

        assertThat(after).isNotSameAs(before);
        assertThat(AeadKey.fromSharedSecret(rotated.decapsulate(after.statement().encapsulation())).keyId()).isEqualTo(after.key().keyId());
        // Only the new key opens the new epoch; the rotated keyset still opens the old one.
        assertThatThrownBy(() -> AeadKey.fromSharedSecret(first.decapsulate(after.statement().encapsulation())));
        assertThat(AeadKey.fromSharedSecret(rotated.decapsulate(before.statement().encapsulation())).keyId()).isEqualTo(before.key().keyId());
    }
}
