package io.bulwark.store;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordQueryTest {

    @Test
    void startsFromEverythingNewestFirst() {
        RecordQuery q = RecordQuery.all();
        assertThat(q.pageSize()).isEqualTo(RecordQuery.DEFAULT_PAGE_SIZE);
        assertThat(q.cursor()).isEmpty();
        assertThat(q.labelValues()).isEmpty();
    }

    @Test
    void badParametersAreNamed() {
        assertThatThrownBy(() -> RecordQuery.all().withOriginNation("deu"))
                .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("originNation \"deu\" at offset 0");
        assertThatThrownBy(() -> RecordQuery.all().withLabelValues("REL TO"))
                .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("labelValues \"REL TO\" at offset 3");
        assertThatThrownBy(() -> RecordQuery.all().withCreatedBefore(Instant.EPOCH.minusSeconds(1)))
                .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("createdBefore");
        assertThatThrownBy(() -> RecordQuery.all().withCursor("not a cursor"))
                .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("cursor \"not a cursor\" at offset 3");
    }

    @Test
    void timesAreTruncatedToTheMillisecond() {
        Instant t = Instant.parse("2026-11-26T00:00:00.0019Z");
        assertThat(RecordQuery.all().withCreatedAfter(t).createdAfter()).contains(Instant.parse("2026-11-26T00:00:00.001Z"));
    }

    @Test
    void aLongInputIsCutInTheMessage() {
        String huge = "x".repeat(10_000);
        assertThatThrownBy(() -> RecordQuery.all().withCursor(huge))
                .isInstanceOf(InvalidQueryException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300).contains("(10000 characters)"));
    }
}
