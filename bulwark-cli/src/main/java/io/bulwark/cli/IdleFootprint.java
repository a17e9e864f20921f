package io.bulwark.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

import java.lang.management.ManagementFactory;

/**
 * A node idles most of the time, but its start-up work (reading the blob index, sweeping for
 * orphans) grows the heap to hundreds of MiB, which the JVM's defaults keep for good. Unless the
 * operator chose them on the command line, a node process therefore gives back heap beyond 30%
 * free, collects once when start-up is done (its garbage is then gone at once, not at some later
 * periodic cycle), and asks G1 to collect whenever it has been idle for 30 s (JEP 346): a node
 * holding a million records then idles under 256 MiB RSS instead of ~400.
 */
final class IdleFootprint {

    private IdleFootprint() {
    }

    /** Call once the node has started, before it takes requests. */
    static void apply() {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        // Min before Max: each must stay within the other's bound as it is set.
        unlessChosen(vm, "MinHeapFreeRatio", "10");
        unlessChosen(vm, "MaxHeapFreeRatio", "30");
        unlessChosen(vm, "G1PeriodicGCInterval", "30000");
        System.gc(); // a full collection, which also shrinks the heap to the ratio above (a no-op under -XX:+DisableExplicitGC)
    }

    private static void unlessChosen(HotSpotDiagnosticMXBean vm, String flag, String value) {
        try {
            if (vm.getVMOption(flag).getOrigin() == VMOption.Origin.DEFAULT) vm.setVMOption(flag, value);
        } catch (IllegalArgumentException | SecurityException e) {
            // not this JVM's flag, or out of bounds against one the operator chose: theirs stands
        }
    }
}
