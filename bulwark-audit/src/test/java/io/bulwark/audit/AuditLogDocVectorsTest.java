package io.bulwark.audit;

import io.bulwark.audit.internal.Frontier;
import io.bulwark.audit.internal.Hashes;
import io.bulwark.audit.internal.LeafCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The test vector of docs/formats/audit-log.md: every string below must appear in the doc verbatim. */
class AuditLogDocVectorsTest {

    static final List<AuditEvent> EVENTS = List.of(
            new AuditEvent(AuditEvent.Type.PUBLISH, Instant.parse("2026-11-27T10:00:00Z"), "alice@DEU",
                    Optional.of("rec-1"), AuditEvent.Outcome.SUCCESS, Map.of("label", "NATO SECRET")),
            new AuditEvent(AuditEvent.Type.READ_DENIED, Instant.parse("2026-11-27T10:00:01Z"), "bob@FRA",
                    Optional.of("rec-1"), AuditEvent.Outcome.DENIED, Map.of()),
            new AuditEvent(AuditEvent.Type.SHARED, Instant.parse("2026-11-27T10:00:02Z"), "DEU",
                    Optional.of("peer:FRA"), AuditEvent.Outcome.SUCCESS, Map.of("record", "rec-1")));

    static final List<String> LEAVES = List.of(
            "{\"actor\":\"alice@DEU\",\"details\":{\"label\":\"NATO SECRET\"},\"index\":0,\"outcome\":\"success\",\"subject\":\"rec-1\",\"time\":1795773600000,\"type\":\"record.publish\",\"v\":1}",
            "{\"actor\":\"bob@FRA\",\"details\":{},\"index\":1,\"outcome\":\"denied\",\"subject\":\"rec-1\",\"time\":1795773601000,\"type\":\"record.read_denied\",\"v\":1}",
            "{\"actor\":\"DEU\",\"details\":{\"record\":\"rec-1\"},\"index\":2,\"outcome\":\"success\",\"subject\":\"peer:FRA\",\"time\":1795773602000,\"type\":\"record.shared\",\"v\":1}");

    static final List<String> LEAF_HASHES = List.of(
            "b3d4cd4a0112b6efe63eb923dbee8153ca35a9064f8ceaca259fb636d5b06ece",
            "65954ce2ced363636c99605e380c6dc3afaa7f1c69e9bcc1d8ab7edaf2a72561",
            "7ffd3c44e018121076ace6f83231e57cd1131b1e0983398d1391cfc3157a56ce");
    static final String ROOT = "22dddee81be01d1e495a8bbbcdd445d5adf24a0a07d9772b99f90b7ff2ce5278";
    /** The inclusion path of entry 2 in the tree of 3: the node over entries 0 and 1. */
    static final String INCLUSION_2_OF_3 = "ff91613ecadb75a5653562bf6d5e35c9b7168e401d721b18aa4bf2ac7d61e743";

    @TempDir
    Path dir;

    @Test
    void theDocumentedVectorHolds() throws Exception {
        HexFormat hex = HexFormat.of();
        Frontier tree = new Frontier();
        for (int i = 0; i < 3; i++) {
            byte[] leaf = LeafCodec.encode(i, EVENTS.get(i));
            assertThat(new String(leaf, StandardCharsets.UTF_8)).isEqualTo(LEAVES.get(i));
            tree.append(Hashes.leaf(leaf), (l, x, h) -> { });
        }
        for (int i = 0; i < 3; i++) {
            assertThat(hex.formatHex(Hashes.leaf(LEAVES.get(i).getBytes(StandardCharsets.UTF_8)))).isEqualTo(LEAF_HASHES.get(i));
        }
        assertThat(hex.formatHex(tree.root())).isEqualTo(ROOT);
        // The log itself produces the same root.
        try (AuditLog log = new AuditLog(dir.resolve("audit.db"), AuditLogTest.KEYS, Duration.ZERO, Clock.systemUTC())) {
            log.appendAll(EVENTS);
            assertThat(hex.formatHex(log.rootHash())).isEqualTo(ROOT);
            assertThat(log.inclusionProof(2, 3).path()).map(hex::formatHex).containsExactly(INCLUSION_2_OF_3);
            // From 2 to 3: the old tree is a power of two, so the proof is just the new leaf.
            assertThat(log.consistencyProof(2, 3).path()).map(hex::formatHex).containsExactly(LEAF_HASHES.get(2));
            AuditProofs.verifyInclusion(hex.parseHex(LEAF_HASHES.get(2)), 2, 3, List.of(hex.parseHex(INCLUSION_2_OF_3)), hex.parseHex(ROOT));
        }
        String doc = Files.readString(formatDoc());
        assertThat(doc).contains(LEAVES).contains(LEAF_HASHES).contains(ROOT, INCLUSION_2_OF_3);
    }

    /** docs/formats/audit-log.md, found upwards from the working directory (the module). */
    private static Path formatDoc() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("docs/formats/audit-log.md");
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new AssertionError("docs/formats/audit-log.md not found above " + Path.of("").toAbsolutePath());
    }
}
