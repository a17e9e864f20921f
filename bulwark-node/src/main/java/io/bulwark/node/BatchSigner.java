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
 * Signs concurrent publishes together: each caller prepares its record (encryption, key access)
 * through {@link #seal} and waits; one thread takes whatever is queued (up to {@value #MAX_BATCH})
 * and signs it with one hybrid signature. Alone, a record is signed at once — also for a client
 * publishing one record after another. Under load — records still being prepared, or the last batch,
 * signed within {@value #BUSY_NANOS} ns, held more than one — the signer first waits (at most
 * {@value #LINGER_MICROS} µs after the batch's first record, only while records keep arriving within
 * {@value #QUIET_NANOS} ns of each other or are being prepared, and only while the batch's payloads
 * are smaller than {@value #LINGER_UNTIL_BYTES} bytes) for more: without the wait each signature
 * covered only the records that happened to queue while the last one ran, and signing at the origin
 * and verifying at each peer took a third of the Java CPU samples of three nodes sharing records at 1,000/s
 * (docs/BENCHMARKS.md, "A longer signing linger": batches of 7–9 instead of 4–5 at that rate). The
 * wait is a latency a record may pay at moderate rates, for fewer signatures to make and to check.
 */
final class BatchSigner implements AutoCloseable {

    static final int MAX_BATCH = 512;
    static final long LINGER_MICROS = 4000;

    /**
     * A batch whose payloads reach this size is signed without waiting for more: a signature is then a
     * small part of the records' own cost (a 1 MiB record takes milliseconds to seal), and the wait
     * would only delay them.
     */
    static final long LINGER_UNTIL_BYTES = 256 * 1024;

    /** With no record arriving for this long (and none being prepared), the signer stops waiting for more. */
    static final long QUIET_NANOS = 2_000_000;

    /** The payload bytes of the batch's records from index {@code from} on. */
    private static long payloadBytes(List<Job> batch, int from) {
        long bytes = 0;
        for (int i = from; i < batch.size(); i++) bytes += batch.get(i).prepared().header().payloadSize();
        return bytes;
    }

    /** Work that yields a record ready to sign. */
    @FunctionalInterface
    interface Preparation {
        RecordSealer.Prepared prepare() throws GeneralSecurityException;
    }

    private record Job(RecordSealer.Prepared prepared, CompletableFuture<SealedRecord> done) {}

    private final RecordSealer sealer;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    /** Callers inside {@link Preparation#prepare}: records the signer may wait for. */
    private final java.util.concurrent.atomic.AtomicInteger preparing = new java.util.concurrent.atomic.AtomicInteger();
    /** A batch of more than one that follows the last one within this time means steady load. */
    static final long BUSY_NANOS = 20_000_000;
    private long lastSigned = Long.MIN_VALUE / 2;
    private int lastBatch;
    private final Thread worker;
    private volatile boolean running = true;

    private final io.micrometer.core.instrument.DistributionSummary batchSizes;

    BatchSigner(RecordSealer sealer, io.micrometer.core.instrument.MeterRegistry meters) {
        this.sealer = sealer;
        this.batchSizes = io.micrometer.core.instrument.DistributionSummary.builder("bulwark_sign_batch_size")
                .description("records per batch signature").register(meters);
        this.worker = Thread.ofPlatform().name("bulwark-batch-signer").daemon().start(this::run);
    }

    /** Prepares a record and signs it with whatever else is ready. */
    SealedRecord seal(Preparation preparation) throws GeneralSecurityException, InterruptedException {
        RecordSealer.Prepared prepared;
        preparing.incrementAndGet();
        try {
            prepared = preparation.prepare();
        } finally {
            preparing.decrementAndGet();
        }
        Job job = new Job(prepared, new CompletableFuture<>());
        if (!running) throw new IllegalStateException("the node is closing");
        queue.add(job);
        if (!running) failQueued(); // closed meanwhile: the signer may be gone, so nobody else would
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
                long now = System.nanoTime();
                long deadline = now + LINGER_MICROS * 1000;
                // Concurrent publishes keep coming: more will follow. One client's next record will not.
                boolean busy = lastBatch > 1 && now - lastSigned < BUSY_NANOS;
                long bytes = payloadBytes(batch, 0);
                while (batch.size() < MAX_BATCH && bytes < LINGER_UNTIL_BYTES && (busy || preparing.get() > 0)) {
                    long left = deadline - System.nanoTime();
                    // A record being prepared is waited for; otherwise only while records keep coming: a few
                    // clients that each wait for their own record have all sent theirs once a gap opens.
                    long wait = preparing.get() > 0 ? left : Math.min(left, QUIET_NANOS);
                    Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : null;
                    if (next == null) {
                        if (preparing.get() > 0 && deadline - System.nanoTime() > 0) continue;
                        break;
                    }
                    int from = batch.size();
                    batch.add(next);
                    queue.drainTo(batch, MAX_BATCH - batch.size());
                    bytes += payloadBytes(batch, from);
                }
                List<SealedRecord> sealed = sealer.sign(batch.stream().map(Job::prepared).toList());
                lastSigned = System.nanoTime();
                lastBatch = batch.size();
                batchSizes.record(batch.size());
                for (int i = 0; i < batch.size(); i++) batch.get(i).done.complete(sealed.get(i));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception | Error e) {
                // Whatever failed, no caller may wait for ever: each gets the failure.
                batch.forEach(j -> j.done.completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    /** Stops the signer; records queued and not yet signed fail rather than wait for ever. */
    @Override
    public void close() {
        running = false;
        worker.interrupt();
        try {
            worker.join(java.time.Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued();
    }

    private void failQueued() {
        List<Job> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(j -> j.done.completeExceptionally(new IllegalStateException("the node is closing")));
    }
}
