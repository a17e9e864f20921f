package io.bulwark.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IdleFootprintTest {

    /** Run in a JVM of its own by the test: applies the settings and prints the three flags. */
    public static void main(String[] args) {
        IdleFootprint.apply();
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        for (String flag : new String[] {"MinHeapFreeRatio", "MaxHeapFreeRatio", "G1PeriodicGCInterval"}) {
            System.out.println(flag + "=" + vm.getVMOption(flag).getValue());
        }
    }

    @Test
    void aNodeProcessGivesBackIdleHeapByDefault() throws Exception {
        assertThat(flagsOf()).containsExactly("MinHeapFreeRatio=10", "MaxHeapFreeRatio=30", "G1PeriodicGCInterval=30000");
    }

    @Test
    void whatTheOperatorChoseStands() throws Exception {
        assertThat(flagsOf("-XX:MaxHeapFreeRatio=50", "-XX:G1PeriodicGCInterval=0"))
                .containsExactly("MinHeapFreeRatio=10", "MaxHeapFreeRatio=50", "G1PeriodicGCInterval=0");
    }

    private static List<String> flagsOf(String... jvmOptions) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), IdleFootprintTest.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out.lines().toList();
    }
}
