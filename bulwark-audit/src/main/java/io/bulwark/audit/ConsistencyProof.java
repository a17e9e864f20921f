package io.bulwark.audit;

import java.util.List;

/**
 * That the tree of the first {@code oldSize} entries is a prefix of the tree of the first
 * {@code newSize}: RFC 9162's consistency path. Check with {@link AuditProofs#verifyConsistency}.
 */
public record ConsistencyProof(long oldSize, long newSize, List<byte[]> path) {

    public ConsistencyProof {
        path = path.stream().map(byte[]::clone).toList();
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }
}
