package io.bulwark.node;

import io.bulwark.record.RecordSealer;
import io.bulwark.record.SealedRecord;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Signs concurrent publishes together: each caller hands in a prepared record and waits; one thread
 * takes whatever is queued (up to {@value #MAX_BATCH}) and signs it with one hybrid signature. Under
 * load a batch grows by itself; alone, a record is signed at once.
 */
final class BatchSigner implements AutoCloseable {

    static final int MAX_BATCH = 512;

    private record Job(RecordSealer.Prepared prepared, CompletableFuture<SealedRecord> done) {}

    private final RecordSealer sealer;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;

    private final io.micrometer.core.instrument.DistributionSummary batchSizes;

    BatchSigner(RecordSealer sealer, io.micrometer.core.instrument.MeterRegistry meters) {
        this.sealer = sealer;
        this.batchSizes = io.micrometer.core.instrument.DistributionSummary.builder("bulwark_sign_batch_size")
                .description("records per batch signature").register(meters);
        this.worker = Thread.ofPlatform().name("bulwark-batch-signer").daemon().start(this::run);
    }

    SealedRecord sign(RecordSealer.Prepared prepared) throws GeneralSecurityException, InterruptedException {
        Job job = new Job(prepared, new CompletableFuture<>());
        queue.add(job);
        try {
            return job.done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof GeneralSecurityException g) throw g;
            throw new IllegalStateException("batch signing failed", e.getCause());
        }
    }

    private void run() {
        List<Job> batch = new ArrayList<>();
        while (running) {
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                List<SealedRecord> sealed = sealer.sign(batch.stream().map(Job::prepared).toList());
                batchSizes.record(batch.size());
                for (int i = 0; i < batch.size(); i++) batch.get(i).done.complete(sealed.get(i));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                batch.forEach(j -> j.done.completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
