package io.bulwark.node;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FreshBlobsTest {

    @Test
    void keepsTheNewestWithinItsCapacityAndForgetsARemovedBlobAtOnce() {
        FreshBlobs fresh = new FreshBlobs(16 * 100);
        for (int i = 0; i < 20; i++) fresh.put("r" + i, new byte[100]);
        assertThat(fresh.bytes()).isEqualTo(1600);
        assertThat(fresh.get("r3")).as("oldest out first").isEmpty();
        assertThat(fresh.get("r4")).isPresent();
        assertThat(fresh.get("r19")).isPresent();

        fresh.remove("r19");
        assertThat(fresh.get("r19")).isEmpty();
        assertThat(fresh.bytes()).isEqualTo(1500);

        fresh.put("r4", new byte[50]); // written again: the new bytes, counted once
        assertThat(fresh.get("r4")).hasValueSatisfying(b -> assertThat(b).hasSize(50));
        assertThat(fresh.bytes()).isEqualTo(1450);
    }

    @Test
    void aBlobLargerThanASixteenthOfTheCapacityIsNotKept() {
        FreshBlobs fresh = new FreshBlobs(1600);
        fresh.put("small", new byte[100]);
        fresh.put("large", new byte[101]);
        assertThat(fresh.get("large")).isEmpty();
        assertThat(fresh.get("small")).isPresent();
    }
}
