package io.bulwark.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Group commit, deterministically: the handler holds the first batch until the rest are queued. */
@Timeout(60) // a guard against a hang, not a performance threshold
class GroupCommitterTest {

    @Test
    void everythingQueuedWhileACommitRunsGoesIntoTheNextSingleCommit() throws Exception {
        CountDownLatch firstBatchEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        GroupCommitter<Integer> committer = new GroupCommitter<>("test", 512, batch -> {
            batchSizes.add(batch.size());
            firstBatchEntered.countDown();
            await(release);
            batch.forEach(p -> p.succeed(p.item() * 2));
        });
        try (committer; ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<Object> first = committer.submit(0);
            firstBatchEntered.await();
            List<CompletableFuture<Object>> rest = new ArrayList<>();
            List<java.util.concurrent.Future<CompletableFuture<Object>>> submitted = new ArrayList<>();
            for (int i = 1; i < 200; i++) {
                int n = i;
                submitted.add(threads.submit(() -> committer.submit(n)));
            }
            for (var f : submitted) {
                rest.add(f.get());
            }
            while (committer.queued() < 199) {
                Thread.onSpinWait();
            }
            assertThat(first).isNotDone(); // not acknowledged before its commit
            release.countDown();

            assertThat(first.join()).isEqualTo(0);
            for (int i = 0; i < rest.size(); i++) {
                assertThat(rest.get(i).join()).isEqualTo((i + 1) * 2);
            }
            assertThat(batchSizes).containsExactly(1, 199);
        }
    }

    @Test
    void aLoneWriteAtRestDoesNotLinger() throws Exception {
        // An hour's linger: were a write at rest to wait for company, the test's timeout would end it.
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test", 8, java.time.Duration.ofHours(1),
                batch -> batch.forEach(p -> p.succeed(p.item())))) {
            for (int i = 0; i < 3; i++) {
                assertThat(committer.submit(i).join()).isEqualTo(i);
            }
        }
    }

    @Test
    void underLoadABatchWaitsForMoreUntilItIsFullOrTheCommitterCloses() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        GroupCommitter<Integer> committer = new GroupCommitter<>("test", 3, java.time.Duration.ofHours(1), batch -> {
            batchSizes.add(batch.size());
            entered.countDown();
            await(release);
            batch.forEach(p -> p.succeed(p.item()));
        });
        CompletableFuture<Object> first = committer.submit(0);
        entered.await();
        CompletableFuture<Object> second = committer.submit(1);
        CompletableFuture<Object> third = committer.submit(2);
        release.countDown();
        second.join(); // batch [1, 2]: more than one write, so the writer now counts itself under load
        third.join();
        CompletableFuture<Object> a = committer.submit(3);
        CompletableFuture<Object> b = committer.submit(4);
        CompletableFuture<Object> c = committer.submit(5);
        // [3, 4, 5] fills the batch, so it commits without waiting out the linger.
        assertThat(List.of(a.join(), b.join(), c.join())).containsExactly(3, 4, 5);
        CompletableFuture<Object> lone = committer.submit(6);
        Thread.sleep(200);
        assertThat(lone).isNotDone(); // lingering for company that does not come
        committer.close(); // the stop marker ends the linger; what was queued still commits
        assertThat(lone.join()).isEqualTo(6);
        assertThat(first.join()).isEqualTo(0);
        assertThat(batchSizes).containsExactly(1, 2, 3, 1);
    }

    @Test
    void aBatchIsCappedAtMaxBatch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test", 10, batch -> {
            batchSizes.add(batch.size());
            entered.countDown();
            await(release);
            batch.forEach(p -> p.succeed(p.item()));
        })) {
            List<CompletableFuture<Object>> all = new ArrayList<>();
            all.add(committer.submit(0));
            entered.await();
            for (int i = 1; i <= 25; i++) {
                all.add(committer.submit(i));
            }
            release.countDown();
            all.forEach(CompletableFuture::join);
            assertThat(batchSizes).containsExactly(1, 10, 10, 5);
        }
    }

    @Test
    void aWriteStagedAsFailedFailsAloneAndTheOthersSucceed() {
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test", 512, batch -> batch.forEach(p -> {
            if (p.item() == 13) {
                p.fail(new StoreException("unlucky"));
            } else {
                p.succeed(p.item());
            }
        }))) {
            assertThatThrownBy(() -> committer.submit(13).join()).hasCauseInstanceOf(StoreException.class).hasMessageContaining("unlucky");
            assertThat(committer.submit(12).join()).isEqualTo(12);
        }
    }

    @Test
    void aHandlerThatThrowsFailsTheWholeBatch() {
        try (GroupCommitter<Integer> committer = new GroupCommitter<>("test", 512, batch -> {
            batch.forEach(p -> p.succeed(p.item()));
            throw new StoreException("commit failed: disk full");
        })) {
            assertThatThrownBy(() -> committer.submit(1).join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(StoreException.class).hasMessage("commit failed: disk full");
        }
    }

    @Test
    void closeCommitsWhatIsQueuedThenRefusesNewWrites() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        GroupCommitter<Integer> committer = new GroupCommitter<>("test", 512, batch -> {
            entered.countDown();
            await(release);
            batch.forEach(p -> p.succeed(p.item()));
        });
        CompletableFuture<Object> first = committer.submit(1);
        entered.await();
        CompletableFuture<Object> queued = committer.submit(2);
        Thread closer = Thread.ofVirtual().start(committer::close);
        while (committer.queued() < 2) { // the write and the stop marker
            Thread.onSpinWait();
        }
        assertThatThrownBy(() -> committer.submit(3)).isInstanceOf(StoreException.class).hasMessageContaining("closed");
        release.countDown();
        closer.join();
        assertThat(first.join()).isEqualTo(1);
        assertThat(queued.join()).isEqualTo(2);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
