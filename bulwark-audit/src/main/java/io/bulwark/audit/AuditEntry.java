package io.bulwark.audit;

import java.util.Arrays;
import java.util.Objects;

/**
 * One stored entry: its index, its leaf (the canonical bytes of docs/formats/audit-log.md), that
 * leaf's hash, and the event the leaf decodes to.
 */
public record AuditEntry(long index, AuditEvent event, byte[] leaf, byte[] leafHash) {

    public AuditEntry {
        Objects.requireNonNull(event, "event");
        leaf = leaf.clone();
        leafHash = leafHash.clone();
    }

    @Override
    public byte[] leaf() {
        return leaf.clone();
    }

    @Override
    public byte[] leafHash() {
        return leafHash.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditEntry(long i, AuditEvent e, byte[] l, byte[] h)
                && index == i && event.equals(e) && Arrays.equals(leaf, l) && Arrays.equals(leafHash, h);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, event, Arrays.hashCode(leaf));
    }
}
