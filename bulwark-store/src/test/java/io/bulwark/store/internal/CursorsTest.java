package io.bulwark.store.internal;

import io.bulwark.store.InvalidQueryException;
import io.bulwark.store.TestRecords;
import io.bulwark.store.internal.Cursors.Position;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CursorsTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    @Property
    void everyPositionRoundTrips(@ForAll @LongRange(min = 0, max = 253_402_300_799_999L) long millis, @ForAll long seed) {
        Position p = new Position(millis, TestRecords.uuid7(millis, new Random(seed)));
        String cursor = Cursors.encode(p);
        assertThat(cursor).matches("[A-Za-z0-9_-]{39}");
        assertThat(Cursors.decode(cursor)).isEqualTo(p);
    }

    @Test
    void everySingleCharacterChangeIsRejectedWithAPreciseError() {
        String cursor = Cursors.encode(new Position(1_795_000_000_000L, TestRecords.uuid7(1_795_000_000_000L, new Random(1))));
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < cursor.length(); i++) {
            for (char c : ALPHABET.toCharArray()) {
                if (c == cursor.charAt(i)) {
                    continue;
                }
                String tampered = cursor.substring(0, i) + c + cursor.substring(i + 1);
                try {
                    Cursors.decode(tampered);
                    accepted.add(tampered);
                } catch (InvalidQueryException e) {
                    assertThat(e.input()).startsWith("cursor \"");
                }
            }
        }
        assertThat(accepted).as("altered cursors accepted").isEmpty();
    }

    @Test
    void malformedCursorsNameTheCursorThePositionAndTheRule() {
        assertThatThrownBy(() -> Cursors.decode("abc!def"))
                .isInstanceOf(InvalidQueryException.class)
                .hasMessage("cursor \"abc!def\" at offset 3: a cursor is base64url without padding (A-Z, a-z, 0-9, '-', '_')");
        assertThatThrownBy(() -> Cursors.decode("abcd"))
                .isInstanceOf(InvalidQueryException.class)
                .hasMessage("cursor \"abcd\": is not a cursor issued by this store: 4 characters, a cursor has 39");
        assertThatThrownBy(() -> Cursors.decode(""))
                .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("cursor \"\": must not be empty");
    }

    @Test
    void aWellFormedCursorOfAnotherVersionIsRejected() {
        byte[] bytes = Base64.getUrlDecoder().decode(Cursors.encode(new Position(5, TestRecords.uuid7(5, new Random(2)))));
        bytes[0] = 2;
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, 25);
        java.nio.ByteBuffer.wrap(bytes).putInt(25, (int) crc.getValue());
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        assertThatThrownBy(() -> Cursors.decode(forged))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("unknown cursor version 2");
    }
}
