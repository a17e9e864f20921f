package io.bulwark.node;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The batch signer: one client's records are each signed alone, concurrent ones together, and none waits for ever. */
@Timeout(120) // a guard against a hang, not a performance threshold
class BatchSignerTest {

    private static final PolicySet POLICIES = PolicySet.defaults();
    private static RecordSealer sealer;
    private static ConfidentialityLabel label;

    @BeforeAll
    static void keys() throws Exception {
        SigningKeyset signing = SigningKeyset.generate();
        KemKeyset kem = KemKeyset.generate();
        EpochKeyring epochs = new EpochKeyring(signing, "DEU", "deu-1", n -> n.equals("DEU") ? Optional.of(kem.primary()) : Optional.empty(),
                Duration.ofHours(1), Clock.systemUTC());
        sealer = new RecordSealer(POLICIES, signing, epochs, "DEU", "deu-1", Clock.systemUTC());
        label = POLICIES.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU");
    }

    private static BatchSigner.Preparation record(int i) {
        byte[] payload = ("record " + i).getBytes();
        return () -> sealer.prepare(new RecordDraft(label, "", "text/plain", payload.length), payload);
    }

    @Test
    void aClientPublishingOneRecordAfterAnotherHasEachSignedAlone() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (BatchSigner signer = new BatchSigner(sealer, meters)) {
            for (int i = 0; i < 20; i++) {
                assertThat(signer.seal(record(i)).binding().batchSize()).isEqualTo(1);
            }
        }
        DistributionSummary sizes = meters.get("bulwark_sign_batch_size").summary();
        assertThat(sizes.count()).isEqualTo(20);
        assertThat(sizes.max()).isEqualTo(1);
    }

    @Test
    void concurrentRecordsAreAllSignedAndShareSignatures() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<SealedRecord> sealed = new ArrayList<>();
        try (BatchSigner signer = new BatchSigner(sealer, meters); ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<SealedRecord>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                futures.add(threads.submit(() -> signer.seal(record(n))));
            }
            for (Future<SealedRecord> f : futures) sealed.add(f.get());
        }
        assertThat(sealed).hasSize(200).extracting(r -> r.id().toString()).doesNotHaveDuplicates();
        DistributionSummary sizes = meters.get("bulwark_sign_batch_size").summary();
        assertThat(sizes.totalAmount()).isEqualTo(200);
        assertThat(sizes.count()).as("signatures").isLessThan(200);
    }

    @Test
    void afterCloseASealIsRefusedRatherThanLeftWaiting() {
        BatchSigner signer = new BatchSigner(sealer, new SimpleMeterRegistry());
        signer.close();
        assertThatThrownBy(() -> signer.seal(record(0))).isInstanceOf(IllegalStateException.class).hasMessage("the node is closing");
    }
}
