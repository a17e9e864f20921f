package io.bulwark.audit;

import io.bulwark.audit.internal.LeafCodec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeafCodecTest {

    @Provide
    Arbitrary<AuditEvent> events() {
        Arbitrary<String> text = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40)
                .filter(s -> s.codePoints().noneMatch(Character::isISOControl) && s.chars().noneMatch(c -> Character.isSurrogate((char) c)));
        Arbitrary<String> keys = Arbitraries.strings().withCharRange('a', 'z').withChars("0._-").ofMinLength(1).ofMaxLength(10)
                .filter(k -> Character.isLetter(k.charAt(0)));
        return Combinators.combine(
                Arbitraries.of(AuditEvent.Type.class),
                Arbitraries.longs().between(0, 253_402_300_799_999L).map(Instant::ofEpochMilli),
                text,
                text.optional(),
                Arbitraries.of(AuditEvent.Outcome.class),
                Arbitraries.maps(keys, text).ofMaxSize(5)
        ).as(AuditEvent::new);
    }

    @Property(tries = 300)
    void roundTripsAndIsCanonical(@ForAll("events") AuditEvent event, @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long index) {
        byte[] leaf = LeafCodec.encode(index, event);
        LeafCodec.Leaf decoded = LeafCodec.decode(leaf);
        assertThat(decoded.event()).isEqualTo(event);
        assertThat(decoded.index()).isEqualTo(index);
    }

    @Test
    void refusesLeavesThatAreNotCanonical() {
        String canonical = new String(LeafCodec.encode(4, AuditEvent.of(AuditEvent.Type.READ, Instant.EPOCH, "alice",
                AuditEvent.Outcome.SUCCESS)), StandardCharsets.UTF_8);
        assertThat(canonical).isEqualTo("{\"actor\":\"alice\",\"details\":{},\"index\":4,\"outcome\":\"success\",\"time\":0,\"type\":\"record.read\",\"v\":1}");
        assertThatThrownBy(() -> LeafCodec.decode(canonical.replace(",\"index\"", ", \"index\"").getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("is not in canonical form");
        assertThatThrownBy(() -> LeafCodec.decode(canonical.replace("\"v\":1", "\"v\":2").getBytes(StandardCharsets.UTF_8)))
                .hasMessage("audit event v: must be 1");
        assertThatThrownBy(() -> LeafCodec.decode(canonical.replace("record.read", "record.eat").getBytes(StandardCharsets.UTF_8)))
                .hasMessage("audit event type: unknown type \"record.eat\"");
        assertThatThrownBy(() -> LeafCodec.decode("{\"actor\":".getBytes(StandardCharsets.UTF_8)))
                .hasMessageStartingWith("audit event leaf: is not valid JSON");
        assertThat(LeafCodec.decode(canonical.getBytes(StandardCharsets.UTF_8)).event().subject()).isEqualTo(Optional.empty());
    }
}
