package io.bulwark.store.site;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which sites are up, learnt from the calls made to them (a circuit breaker per site). A site whose
 * call fails is down for a backoff, doubled on each consecutive failure up to a ceiling; once the
 * backoff has passed it counts as up again, and the next real call is the probe: success clears
 * it, failure marks it down for longer. No background prober is needed, and a site that comes back
 * is used again within one backoff.
 */
public final class SiteHealth {

    private record Down(Instant until, Duration backoff) {
    }

    private final Map<String, Down> down = new ConcurrentHashMap<>();
    private final Duration initial;
    private final Duration ceiling;
    private final Clock clock;

    /** A backoff of {@code initial}, doubling up to {@code ceiling}. */
    public SiteHealth(Duration initial, Duration ceiling, Clock clock) {
        if (initial.isNegative() || initial.isZero() || ceiling.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff must be positive and at most the ceiling: " + initial + ", " + ceiling);
        }
        this.initial = initial;
        this.ceiling = ceiling;
        this.clock = clock;
    }

    /** Two seconds, doubling up to one minute. */
    public SiteHealth() {
        this(Duration.ofSeconds(2), Duration.ofMinutes(1), Clock.systemUTC());
    }

    /** Whether calls may go to the site now. */
    public boolean isUp(String siteId) {
        Down d = down.get(siteId);
        return d == null || !clock.instant().isBefore(d.until());
    }

    /** A call to the site failed. */
    public void failed(String siteId) {
        Instant now = clock.instant();
        down.compute(siteId, (id, d) -> {
            Duration backoff = d == null ? initial : min(d.backoff().multipliedBy(2), ceiling);
            return new Down(now.plus(backoff), backoff);
        });
    }

    /** A call to the site succeeded. */
    public void succeeded(String siteId) {
        down.remove(siteId);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
