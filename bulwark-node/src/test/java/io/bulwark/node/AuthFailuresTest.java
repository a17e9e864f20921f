package io.bulwark.node;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AuthFailuresTest {

    private final ApprovalServiceTest.TestClock clock = new ApprovalServiceTest.TestClock();
    private final AuthFailures failures = new AuthFailures(clock);

    private int admitted(String remote, int requests) {
        int n = 0;
        for (int i = 0; i < requests; i++) if (failures.admit(remote)) n++;
        return n;
    }

    @Test
    void oneAddressGetsABurstThenOneEventPerRefillAndTheRestIsSummed() {
        assertThat(admitted("10.0.0.1", 10_000)).isEqualTo(AuthFailures.BURST);
        List<AuthFailures.Summary> summaries = failures.drain();
        assertThat(summaries).singleElement().satisfies(s -> {
            assertThat(s.remote()).isEqualTo("10.0.0.1");
            assertThat(s.count()).isEqualTo(10_000 - AuthFailures.BURST);
            assertThat(s.since()).isEqualTo(clock.now);
        });
        assertThat(failures.drain()).as("drained").isEmpty();

        clock.now = clock.now.plus(AuthFailures.REFILL);
        assertThat(admitted("10.0.0.1", 5)).isEqualTo(1);
        assertThat(admitted("10.0.0.2", 1)).as("another address has its own budget").isEqualTo(1);
    }

    @Test
    void allAddressesTogetherAreAuditedAtMostSoManyTimesASecond() {
        int audited = 0;
        for (int i = 0; i < 100; i++) audited += admitted("10.0.1." + i, 1);
        assertThat(audited).isEqualTo(AuthFailures.GLOBAL_PER_SECOND);
        assertThat(failures.drain().stream().mapToLong(AuthFailures.Summary::count).sum()).isEqualTo(100 - AuthFailures.GLOBAL_PER_SECOND);
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(admitted("10.0.1.99", 1)).isEqualTo(1);
    }

    @Test
    void theTableOfAddressesIsBoundedWithoutLosingCounts() {
        long refused = 0;
        long audited = 0;
        for (int i = 0; i < AuthFailures.MAX_ADDRESSES + 500; i++) {
            String remote = "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255);
            audited += admitted(remote, 3);
            refused += 3;
            clock.now = clock.now.plusMillis(10);
        }
        List<AuthFailures.Summary> summaries = failures.drain();
        assertThat(summaries.size()).isLessThanOrEqualTo(AuthFailures.MAX_ADDRESSES + 1);
        assertThat(summaries.getFirst().remote()).isEqualTo(AuthFailures.OTHERS);
        assertThat(audited + summaries.stream().mapToLong(AuthFailures.Summary::count).sum()).isEqualTo(refused);
    }
}
