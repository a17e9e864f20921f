package io.bulwark.store.site;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RepairShortfallsTest {

    @Test
    void countsEveryRecordButNamesOnlyTheFirstHundred() {
        Repair.Shortfalls under = new Repair.Shortfalls();
        for (int i = 0; i < 250_000; i++) under.add("r-" + i, "no replica answers");
        Repair.Report report = under.report(250_000, 0);
        assertThat(report.underReplicated()).isEqualTo(250_000);
        assertThat(report.examples()).hasSize(Repair.EXAMPLES).first().isEqualTo("r-0: no replica answers");
        assertThat(report.examples()).last().isEqualTo("r-99: no replica answers");
    }
}
