package io.bulwark.audit;

import io.bulwark.audit.internal.Frontier;
import io.bulwark.audit.internal.Hashes;
import io.bulwark.audit.internal.Proofs;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RFC 9162 §2.1: tree hash, PATH and SUBPROOF against their verifiers and a naive definition. */
class MerkleAlgorithmsTest {

    /** MTH straight from RFC 9162 §2.1.1, recursing over leaf hashes. */
    static byte[] naiveRoot(List<byte[]> leafHashes, int from, int to) {
        int n = to - from;
        if (n == 0) return Hashes.empty();
        if (n == 1) return leafHashes.get(from);
        int k = Integer.highestOneBit(n - 1);
        return Hashes.node(naiveRoot(leafHashes, from, from + k), naiveRoot(leafHashes, from + k, to));
    }

    static List<byte[]> leafHashes(int n) {
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hashes.add(Hashes.leaf(("leaf " + i).getBytes(StandardCharsets.UTF_8)));
        }
        return hashes;
    }

    /** Perfect subtrees from leaves, memoised: what the log's node cache does with SQL. */
    static Proofs.Source source(List<byte[]> leaves) {
        Map<String, byte[]> memo = new HashMap<>();
        return new Proofs.Source() {
            @Override
            public byte[] perfect(int level, long index) {
                if (level == 0) return leaves.get((int) index);
                return memo.computeIfAbsent(level + "/" + index,
                        k -> Hashes.node(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1)));
            }
        };
    }

    @Property(tries = 25)
    void everyProofVerifiesAndWrongOnesFail(@ForAll @IntRange(min = 1, max = 300) int n) throws Exception {
        List<byte[]> leaves = leafHashes(n);
        Proofs.Source source = source(leaves);
        Frontier frontier = new Frontier();
        List<byte[]> roots = new ArrayList<>(); // roots.get(m) = MTH of the first m leaves
        roots.add(Hashes.empty());
        for (byte[] leaf : leaves) {
            frontier.append(leaf, (level, index, hash) -> assertThat(hash).isEqualTo(source.perfect(level, index)));
            roots.add(frontier.root());
        }
        byte[] root = roots.get(n);
        assertThat(root).isEqualTo(naiveRoot(leaves, 0, n)).isEqualTo(Proofs.hash(source, 0, n));

        for (int leaf = 0; leaf < n; leaf++) {
            int i = leaf;
            List<byte[]> path = Proofs.inclusion(source, i, n);
            AuditProofs.verifyInclusion(leaves.get(i), i, n, path, root);
            int other = (i + 1) % n;
            if (other != i) {
                assertRejected(() -> AuditProofs.verifyInclusion(leaves.get(other), i, n, path, root));
                assertRejected(() -> AuditProofs.verifyInclusion(leaves.get(i), other, n, path, root));
            }
            assertRejected(() -> AuditProofs.verifyInclusion(leaves.get(i), i, n, path, roots.get(n - 1)));
            if (!path.isEmpty()) {
                assertRejected(() -> AuditProofs.verifyInclusion(leaves.get(i), i, n, path.subList(1, path.size()), root));
                assertRejected(() -> AuditProofs.verifyInclusion(leaves.get(i), i, n, flipFirst(path), root));
            }
        }

        for (int m = 0; m <= n; m++) {
            List<byte[]> proof = Proofs.consistency(source, m, n);
            byte[] oldRoot = roots.get(m);
            AuditProofs.verifyConsistency(m, n, oldRoot, root, proof);
            if (m > 0 && m < n) {
                int mm = m;
                assertRejected(() -> AuditProofs.verifyConsistency(mm, n, roots.get(mm - 1), root, proof));
                assertRejected(() -> AuditProofs.verifyConsistency(mm, n, oldRoot, roots.get(n - 1), proof));
                assertRejected(() -> AuditProofs.verifyConsistency(mm, n, oldRoot, root, flipFirst(proof)));
                assertRejected(() -> AuditProofs.verifyConsistency(mm, n, oldRoot, root, proof.subList(0, proof.size() - 1)));
                if (mm + 1 < n) {
                    assertRejected(() -> AuditProofs.verifyConsistency(mm + 1, n, oldRoot, root, proof));
                }
            }
        }
    }

    @Test
    void rfc9162EdgeCases() throws Exception {
        byte[] a = Hashes.leaf(new byte[] {1});
        // A one-leaf tree: the root is the leaf hash and the proof is empty.
        AuditProofs.verifyInclusion(a, 0, 1, List.of(), a);
        assertRejected(() -> AuditProofs.verifyInclusion(a, 1, 1, List.of(), a));
        assertRejected(() -> AuditProofs.verifyInclusion(a, 0, 1, List.of(a), a));
        // Consistency with the empty tree and with itself needs no hashes; a non-empty proof is refused.
        AuditProofs.verifyConsistency(0, 1, Hashes.empty(), a, List.of());
        AuditProofs.verifyConsistency(1, 1, a, a, List.of());
        assertRejected(() -> AuditProofs.verifyConsistency(1, 1, a, Hashes.empty(), List.of()));
        assertRejected(() -> AuditProofs.verifyConsistency(2, 1, a, a, List.of()));
        assertRejected(() -> AuditProofs.verifyConsistency(1, 2, a, a, List.of()));
        assertRejected(() -> AuditProofs.verifyInclusion(new byte[31], 0, 1, List.of(), a));
        // RFC 6962's empty-tree hash: SHA-256 of nothing.
        assertThat(HexFormat.of().formatHex(Hashes.empty()))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    private static List<byte[]> flipFirst(List<byte[]> path) {
        List<byte[]> copy = new ArrayList<>(path);
        byte[] first = copy.getFirst().clone();
        first[0] ^= 1;
        copy.set(0, first);
        return copy;
    }

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    private static void assertRejected(Check check) {
        assertThatThrownBy(check::run).isInstanceOf(InvalidProofException.class);
    }
}
