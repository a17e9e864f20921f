package io.bulwark.record;

import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TombstoneTest {

    private static final SigningKeyset KEYS = SigningKeyset.generate();
    private static final OriginKeys PINNED = (nation, node) -> nation.equals("DEU") && node.equals("deu-1") ? KEYS.publicKeys() : List.of();

    @Test
    void roundTripsAndVerifiesAgainstThePinnedKey() throws Exception {
        RecordId id = RecordId.generate(Instant.parse("2026-11-27T10:00:00Z"));
        Tombstone t = Tombstone.sign(KEYS, "DEU", "deu-1", id, Instant.parse("2026-11-27T11:00:00.123456Z"), "anna müller");

        Tombstone back = Tombstone.decode(t.encode());

        assertThat(back).isEqualTo(t);
        assertThat(back.at()).isEqualTo(Instant.parse("2026-11-27T11:00:00.123Z"));
        assertThat(back.by()).isEqualTo("anna müller");
        back.verify(PINNED);
    }

    @Test
    void everyFlippedByteIsRefused() throws Exception {
        byte[] bytes = Tombstone.sign(KEYS, "DEU", "deu-1", RecordId.generate(Instant.now()), Instant.now(), "anna").encode();
        for (int i = 0; i < bytes.length; i++) {
            byte[] bad = bytes.clone();
            bad[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> Tombstone.decode(bad).verify(PINNED)).as("flip at %d", at).isInstanceOf(InvalidRecordException.class);
        }
    }

    @Test
    void anotherOriginsKeyDoesNotVerify() throws Exception {
        Tombstone forged = Tombstone.sign(SigningKeyset.generate(), "DEU", "deu-1", RecordId.generate(Instant.now()), Instant.now(), "mallory");
        assertThatThrownBy(() -> forged.verify(PINNED)).isInstanceOf(InvalidRecordException.class).hasMessageContaining("pinned");
        Tombstone unpinned = Tombstone.sign(KEYS, "FRA", "fra-1", RecordId.generate(Instant.now()), Instant.now(), "anna");
        assertThatThrownBy(() -> unpinned.verify(PINNED)).isInstanceOf(InvalidRecordException.class).hasMessageContaining("not pinned");
    }

    @Test
    void truncationIsRefusedWithTheField() throws Exception {
        byte[] bytes = Tombstone.sign(KEYS, "DEU", "deu-1", RecordId.generate(Instant.now()), Instant.now(), "anna").encode();
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> Tombstone.decode(cut)).isInstanceOf(InvalidRecordException.class).hasMessageContaining("tombstone");
        }
    }
}
