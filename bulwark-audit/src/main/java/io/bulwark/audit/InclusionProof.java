package io.bulwark.audit;

import java.util.List;

/**
 * That entry {@code leafIndex} is in the tree of the first {@code treeSize} entries: RFC 9162's
 * inclusion path, hashes ordered from the leaf upwards. Check with {@link AuditProofs#verifyInclusion}.
 */
public record InclusionProof(long leafIndex, long treeSize, List<byte[]> path) {

    public InclusionProof {
        path = path.stream().map(byte[]::clone).toList();
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }
}
