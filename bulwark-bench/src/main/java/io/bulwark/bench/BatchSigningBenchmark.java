package io.bulwark.bench;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The signing half of sealing, alone: {@link RecordSealer#sign} of a batch of N records already
 * prepared (1 KiB, released to DEU, FRA, USA) — the Merkle tree, its inclusion proofs and one hybrid
 * ML-DSA-65 + Ed25519 signature. Time per batch; divide by N for the share of each record. The node's
 * batch signer makes batches of a few records under load ({@code bulwark_sign_batch_size}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class BatchSigningBenchmark {

    @Param({"1", "6", "16", "64"})
    int batchSize;

    RecordSealer sealer;
    List<RecordSealer.Prepared> batch;

    @Setup
    public void setUp() throws Exception {
        PolicySet policies = PolicySet.defaults();
        Map<String, KemKeyset> kem = Map.of("DEU", KemKeyset.generate(), "FRA", KemKeyset.generate(),
                "USA", KemKeyset.generate());
        SigningKeyset signer = SigningKeyset.generate();
        EpochKeyring epochs = new EpochKeyring(signer, "DEU", "deu-1",
                n -> Optional.ofNullable(kem.get(n)).map(KemKeyset::primary), Duration.ofDays(1), Clock.systemUTC());
        sealer = new RecordSealer(policies, signer, epochs, "DEU", "deu-1", Clock.systemUTC());
        ConfidentialityLabel label = policies.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU, FRA, USA");
        byte[] payload = new byte[1024];
        new Random(42).nextBytes(payload);
        RecordDraft draft = new RecordDraft(label, "in=NATO", "application/octet-stream", payload.length);
        batch = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) batch.add(sealer.prepare(draft, payload));
    }

    /** One batch signed: Merkle root, proofs, one hybrid signature. */
    @Benchmark
    public List<SealedRecord> signBatch() throws Exception {
        return sealer.sign(batch);
    }
}
