package io.bulwark.record;

import io.bulwark.label.LabelFormat;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 100,000 random byte mutations of sealed records: every one is refused, none opens. Mutations
 * land anywhere — header, label, key access, ciphertext, proof, signature — with the record's own
 * share of each region (a 1 KiB payload makes the 3.4 KB hybrid signature the largest target).
 */
class RecordMutationTest {

    static final int MUTATIONS = 100_000;

    @Test
    void noMutationOpens() throws Exception {
        Federation f = new Federation(List.of("DEU", "FRA", "GBR", "USA"));
        List<byte[]> records = new ArrayList<>();
        String[] labels = {"NATO SECRET//REL TO DEU, FRA//COI ISR", "NATO RESTRICTED//REL TO DEU, FRA, GBR, USA", "NATO CONFIDENTIAL"};
        for (int i = 0; i < 6; i++) {
            byte[] payload = new byte[i % 2 == 0 ? 1024 : 100];
            new Random(i).nextBytes(payload);
            var label = Federation.POLICIES.decode(LabelFormat.COMPACT, labels[i % labels.length]);
            records.add(f.sealer.seal(new RecordDraft(label, "in=NATO", "application/octet-stream", payload.length), payload).encode());
        }
        RecordOpener fra = f.opener("FRA");
        records.forEach(fra::verify); // every original verifies (and FRA is released to by all three labels)
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger unexpected = new AtomicInteger();
        IntStream.range(0, MUTATIONS).parallel().forEach(i -> {
            Random random = new Random(31L * i + 7);
            byte[] original = records.get(i % records.size());
            byte[] m = original.clone();
            int kind = random.nextInt(10);
            if (kind < 8) { // replace one byte with a different value
                int at = random.nextInt(m.length);
                m[at] = (byte) (m[at] ^ (1 + random.nextInt(255)));
            } else if (kind == 8) { // flip several bytes at once
                for (int k = 0; k < 2 + random.nextInt(8); k++) m[random.nextInt(m.length)] ^= (byte) (1 + random.nextInt(255));
            } else { // swap two different bytes
                int a = random.nextInt(m.length);
                int b = random.nextInt(m.length);
                byte t = m[a];
                m[a] = m[b];
                m[b] = t;
                if (m[a] == m[b]) m[a] ^= 1;
            }
            try {
                fra.openAll(fra.verify(m));
                opened.incrementAndGet();
            } catch (InvalidRecordException expected) {
                // refused, as it must be
            } catch (RuntimeException e) {
                unexpected.incrementAndGet();
            }
        });
        assertThat(opened.get()).as("mutated records that opened").isZero();
        assertThat(unexpected.get()).as("mutations refused with something other than InvalidRecordException").isZero();
    }
}
