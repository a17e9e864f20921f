package io.bulwark.audit.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class GroupCommitterTest {

    @Test
    void aWriterThatIsBehindCommitsFullBatchesWithoutLingering() throws Exception {
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        CountDownLatch firstBatch = new CountDownLatch(1);
        CountDownLatch hold = new CountDownLatch(1);
        // A linger of an hour: a writer that waited it out for any batch would never finish here.
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test-writer", 8, 64, Duration.ofHours(1), batch -> {
            if (batchSizes.isEmpty()) {
                firstBatch.countDown();
                hold.await();
            }
            batchSizes.add(batch.size());
        })) {
            List<CompletableFuture<Object>> done = new ArrayList<>();
            // The writer holds the first batch while 3 full batches queue behind it.
            for (int i = 0; i < 8; i++) done.add(committer.submit(i));
            assertThat(firstBatch.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 24; i++) done.add(committer.submit(i));
            hold.countDown();
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // The first batch: the writer lingered until submit woke it with a full batch waiting.
            assertThat(batchSizes).containsExactly(8, 8, 8, 8);
        }
    }

    @Test
    void submitWaitsForRoomOnceMaxQueuedWritesAreUncommitted() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test-writer", 2, 4, Duration.ZERO, batch -> hold.await())) {
            List<CompletableFuture<Object>> done = new ArrayList<>();
            for (int i = 0; i < 4; i++) done.add(committer.submit(i));
            CompletableFuture<CompletableFuture<Object>> fifth = CompletableFuture.supplyAsync(() -> committer.submit(5));
            Thread.sleep(300); // gives the fifth submit time to return, which it must not
            assertThat(fifth).as("a fifth write waits while four are uncommitted").isNotDone();
            hold.countDown();
            fifth.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
    }
}
