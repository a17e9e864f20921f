package io.bulwark.node;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which refused requests are audited one by one. Anyone who can reach the client API can send
 * requests without a valid token, and each refusal used to be an audit event: a flood of them filled
 * the log and its disk. Now each remote address has a budget (a burst of {@value #BURST}, then one
 * event per {@link #REFILL}), and all addresses together at most {@value #GLOBAL_PER_SECOND} a
 * second; refusals beyond it are counted per address and audited as one summary each
 * ({@link #drain}). Nothing is lost from the audit trail but the individual paths and reasons of a
 * flood's requests. The table of addresses is bounded: beyond {@value #MAX_ADDRESSES}, the least
 * recently seen address's count joins one shared count ({@link #OTHERS}).
 *
 * <p>Thread-safe.
 */
final class AuthFailures {

    static final int BURST = 10;
    static final Duration REFILL = Duration.ofSeconds(6);
    static final int GLOBAL_PER_SECOND = 20;
    static final int MAX_ADDRESSES = 4096;
    /** The summary's address for counts of addresses that fell out of the table. */
    static final String OTHERS = "other addresses";

    /** Refusals from {@code remote} not audited one by one, from {@code since} to {@code until}. */
    record Summary(String remote, long count, Instant since, Instant until) {}

    private static final class Budget {
        double tokens = BURST;
        Instant refilled;
        long suppressed;
        Instant firstSuppressed;
        Instant lastSuppressed;

        Budget(Instant now) {
            refilled = now;
        }
    }

    private final Clock clock;
    /** What addresses that fell out of the table had suppressed: running totals, so a flood from many addresses holds nothing per address. */
    private long othersCount;
    private Instant othersSince;
    private Instant othersUntil;
    private final Map<String, Budget> budgets = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Budget> eldest) {
            if (size() <= MAX_ADDRESSES) return false;
            Budget b = eldest.getValue();
            if (b.suppressed > 0) {
                othersCount += b.suppressed;
                if (othersSince == null || b.firstSuppressed.isBefore(othersSince)) othersSince = b.firstSuppressed;
                if (othersUntil == null || b.lastSuppressed.isAfter(othersUntil)) othersUntil = b.lastSuppressed;
            }
            return true;
        }
    };
    private long second = Long.MIN_VALUE;
    private int auditedThisSecond;

    AuthFailures(Clock clock) {
        this.clock = clock;
    }

    /** A request from {@code remote} was refused: whether to audit it one by one ({@code false}: it is counted for a summary). */
    synchronized boolean admit(String remote) {
        Instant now = clock.instant();
        Budget b = budgets.computeIfAbsent(remote, r -> new Budget(now));
        double refill = Duration.between(b.refilled, now).toNanos() / (double) REFILL.toNanos();
        if (refill > 0) {
            b.tokens = Math.min(BURST, b.tokens + refill);
            b.refilled = now;
        }
        long thisSecond = now.getEpochSecond();
        if (thisSecond != second) {
            second = thisSecond;
            auditedThisSecond = 0;
        }
        if (b.tokens >= 1 && auditedThisSecond < GLOBAL_PER_SECOND) {
            b.tokens -= 1;
            auditedThisSecond++;
            return true;
        }
        if (b.suppressed++ == 0) b.firstSuppressed = now;
        b.lastSuppressed = now;
        return false;
    }

    /** The counts of refusals not audited one by one since the last drain, one per address (and one for {@link #OTHERS}); resets them. */
    synchronized List<Summary> drain() {
        List<Summary> out = new ArrayList<>();
        if (othersCount > 0) out.add(new Summary(OTHERS, othersCount, othersSince, othersUntil));
        othersCount = 0;
        othersSince = null;
        othersUntil = null;
        budgets.forEach((remote, b) -> {
            if (b.suppressed == 0) return;
            out.add(new Summary(remote, b.suppressed, b.firstSuppressed, b.lastSuppressed));
            b.suppressed = 0;
            b.firstSuppressed = null;
            b.lastSuppressed = null;
        });
        return out;
    }
}
