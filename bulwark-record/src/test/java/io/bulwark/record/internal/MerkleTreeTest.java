package io.bulwark.record.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MerkleTreeTest {

    static List<byte[]> leaves(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(MerkleTree.leafHash(new byte[] {(byte) i}));
        return out;
    }

    @Test
    void everyInclusionProofYieldsTheRootAndHasTheExpectedLength() {
        for (int size = 1; size <= 70; size++) {
            List<byte[]> leaves = leaves(size);
            byte[] root = MerkleTree.root(leaves);
            for (int i = 0; i < size; i++) {
                List<byte[]> proof = MerkleTree.inclusionProof(leaves, i);
                assertThat(proof).as("proof length of %d in %d", i, size).hasSize(MerkleTree.proofLength(i, size));
                assertThat(MerkleTree.rootFromProof(leaves.get(i), i, size, proof)).isEqualTo(root);
                if (size > 1) {
                    assertThat(MerkleTree.rootFromProof(leaves.get(i), (i + 1) % size, size, proof)).isNotEqualTo(root);
                }
            }
        }
    }

    @Test
    void aBatchHasTheRootAndTheProofsOfItsLeavesOneByOne() {
        for (int size = 1; size <= 70; size++) {
            List<byte[]> leaves = leaves(size);
            MerkleTree.Batch batch = MerkleTree.batch(leaves);
            assertThat(batch.root()).isEqualTo(MerkleTree.root(leaves));
            assertThat(batch.proofs()).hasSize(size);
            for (int i = 0; i < size; i++) {
                assertThat(batch.proofs().get(i)).as("proof of %d in %d", i, size)
                        .containsExactlyElementsOf(MerkleTree.inclusionProof(leaves, i));
            }
        }
    }

    @Test
    void matchesRfc9162HashingOfTheEmptyLeaf() {
        // RFC 6962/9162: the leaf hash of the empty string is SHA-256(0x00).
        assertThat(HexFormat.of().formatHex(MerkleTree.leafHash(new byte[0])))
                .isEqualTo("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }
}
