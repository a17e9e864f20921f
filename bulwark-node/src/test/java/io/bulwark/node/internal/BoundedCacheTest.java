package io.bulwark.node.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BoundedCacheTest {

    @Test
    void neverHoldsMoreThanItsCapacity() {
        BoundedCache<Integer, String> cache = new BoundedCache<>(100);
        for (int i = 0; i < 10_000; i++) {
            cache.put(i, "v" + i);
            assertThat(cache.size()).isLessThanOrEqualTo(100);
            assertThat(cache.get(i)).isEqualTo("v" + i); // the newest entry is always kept
        }
    }

    @Test
    void replacingAKeyOfAFullCacheKeepsTheOthers() {
        BoundedCache<Integer, String> cache = new BoundedCache<>(3);
        cache.put(1, "a");
        cache.put(2, "b");
        cache.put(3, "c");
        cache.put(2, "B");
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.get(2)).isEqualTo("B");
    }

    @Test
    void computesOnceAndNeverCachesAFailure() {
        BoundedCache<String, Integer> cache = new BoundedCache<>(10);
        AtomicInteger calls = new AtomicInteger();
        assertThat(cache.get("x", k -> calls.incrementAndGet())).isEqualTo(1);
        assertThat(cache.get("x", k -> calls.incrementAndGet())).isEqualTo(1);
        assertThatThrownBy(() -> cache.get("bad", k -> {
            throw new IllegalArgumentException("no");
        })).hasMessage("no");
        assertThat(cache.get("bad")).isNull();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void removeWithAValueLeavesANewerEntry() {
        BoundedCache<String, String> cache = new BoundedCache<>(10);
        cache.put("k", "new");
        cache.remove("k", "old");
        assertThat(cache.get("k")).isEqualTo("new");
        cache.remove("k");
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void aCapacityIsMoreThanZero() {
        assertThatThrownBy(() -> new BoundedCache<>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
