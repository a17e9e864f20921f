package io.bulwark.bench;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.EpochKeyring;
import io.bulwark.record.RecordDraft;
import io.bulwark.record.RecordOpener;
import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Sealing and opening records of 1 KiB and 1 MiB released to 1, 3 and 32 nations, beside the floor:
 * plain AES-256-GCM of the same payload. Sealing is measured as a node does it: each record
 * prepared (fresh data key, streaming encryption, one key wrap per released nation) and a batch of
 * {@value #BATCH} signed once; {@code prepare} alone shows the per-record part.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class SealedRecordBenchmark {

    static final int BATCH = 64;

    @Param({"1024", "1048576"})
    int payloadSize;

    @Param({"1", "3", "32"})
    int nations;

    PolicySet policies;
    RecordSealer sealer;
    RecordOpener opener;
    RecordDraft draft;
    byte[] payload;
    byte[] sealed;
    SecretKeySpec floorKey;
    Cipher floorCipher;
    long nonceCounter;
    int batch;

    @Setup
    public void setUp() throws Exception {
        policies = PolicySet.defaults();
        List<String> nato = List.copyOf(policies.groups().get("NATO"));
        Map<String, KemKeyset> kem = new HashMap<>();
        nato.forEach(n -> kem.put(n, KemKeyset.generate()));
        SigningKeyset signer = SigningKeyset.generate();
        EpochKeyring epochs = new EpochKeyring(signer, "DEU", "deu-1",
                n -> Optional.ofNullable(kem.get(n)).map(KemKeyset::primary), Duration.ofDays(1), Clock.systemUTC());
        sealer = new RecordSealer(policies, signer, epochs, "DEU", "deu-1", Clock.systemUTC());
        String marking = switch (nations) {
            case 1 -> "NATO SECRET//REL TO DEU";
            case 3 -> "NATO SECRET//REL TO DEU, FRA, USA";
            case 32 -> "NATO SECRET"; // default release: the 32 NATO members
            default -> throw new IllegalArgumentException("nations");
        };
        ConfidentialityLabel label = policies.decode(LabelFormat.COMPACT, marking);
        payload = new byte[payloadSize];
        new Random(42).nextBytes(payload);
        draft = new RecordDraft(label, "in=NATO", "application/octet-stream", payloadSize);
        SealedRecord record = sealer.seal(draft, payload);
        if (record.keyAccess().size() != nations) throw new IllegalStateException("expected " + nations + " key access entries");
        sealed = record.encode();
        var keys = signer.publicKeys();
        opener = new RecordOpener(policies, "DEU", kem.get("DEU"), (n, node) -> keys);
        for (EpochKeyStatement s : epochs.statements()) {
            if (s.recipientNation().equals("DEU")) opener.accept(s);
        }
        floorKey = new SecretKeySpec(new byte[32], "AES");
        floorCipher = Cipher.getInstance("AES/GCM/NoPadding");
        // The JDK's AES-GCM intrinsics apply only once its code is C2-compiled: prime them (see BENCHMARKS.md).
        byte[] small = new byte[1024];
        for (int i = 0; i < 20_000; i++) {
            floorAesGcm(small);
            sealer.prepare(new RecordDraft(label, "", "application/octet-stream", small.length), small);
        }
        batch = payloadSize > 65536 ? 8 : BATCH; // keep a 1 MiB batch's memory small
    }

    /** Floor: the JDK's AES-256-GCM of the same payload, one call, a fresh 96-bit nonce from a counter. */
    @Benchmark
    public byte[] floorAesGcm() throws Exception {
        return floorAesGcm(payload);
    }

    private byte[] floorAesGcm(byte[] data) throws Exception {
        byte[] nonce = new byte[12];
        long n = ++nonceCounter;
        for (int i = 0; i < 8; i++) nonce[4 + i] = (byte) (n >>> (56 - 8 * i));
        floorCipher.init(Cipher.ENCRYPT_MODE, floorKey, new GCMParameterSpec(128, nonce));
        return floorCipher.doFinal(data);
    }

    /** The per-record part of sealing: data key, encryption, key wraps, prefix. */
    @Benchmark
    public Object prepare() throws Exception {
        return sealer.prepare(draft, payload);
    }

    /** Sealing as a node does it, per record: a batch prepared and signed once. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object sealInBatches() throws Exception {
        // A 1 MiB batch is 8 records; scale so that every invocation counts BATCH records.
        List<SealedRecord> out = new ArrayList<>(BATCH);
        for (int done = 0; done < BATCH; done += batch) {
            List<RecordSealer.Prepared> prepared = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) prepared.add(sealer.prepare(draft, payload));
            out.addAll(sealer.sign(prepared));
        }
        return out;
    }

    /** Decode, verify (batch signature cached after the first) and decrypt. */
    @Benchmark
    public byte[] open() {
        return opener.openAll(opener.verify(sealed));
    }

    /** Decode and verify (batch signature cached after the first): what {@link #open} costs before decrypting. */
    @Benchmark
    public SealedRecord verify() {
        return opener.verify(sealed);
    }
}
