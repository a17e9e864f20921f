package io.bulwark.audit;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON forms the node's client API and the federation API give tree heads, entries and proofs
 * (docs/formats/audit-log.md, "Proofs"; docs/audit.md): maps for a JSON writer, hashes in lowercase
 * hex, signatures in base64.
 */
public final class AuditJson {

    private static final HexFormat HEX = HexFormat.of();

    private AuditJson() {}

    /** {@code {"size":n,"root":"<hex>","timestamp":"<ISO-8601>","timestampMillis":ms,"signature":"<base64>"}}. */
    public static Map<String, Object> head(SignedTreeHead h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size", h.treeSize());
        m.put("root", HEX.formatHex(h.rootHash()));
        m.put("timestamp", h.timestamp().toString());
        m.put("timestampMillis", h.timestamp().toEpochMilli()); // what the signature covers
        m.put("signature", Base64.getEncoder().encodeToString(h.signature()));
        return m;
    }

    /**
     * {@code {"index":n,"leafHash":"<hex>","leaf":"<the leaf's JSON text>"}}: the leaf as a string, so
     * a reader hashes exactly the stored bytes (its UTF-8) rather than a re-serialised object.
     */
    public static Map<String, Object> entry(AuditEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", e.index());
        m.put("leafHash", HEX.formatHex(e.leafHash()));
        m.put("leaf", new String(e.leaf(), StandardCharsets.UTF_8));
        return m;
    }

    /** {@code {"leafIndex":m,"treeSize":n,"path":["<hex>",...]}}. */
    public static Map<String, Object> inclusion(InclusionProof p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("leafIndex", p.leafIndex());
        m.put("treeSize", p.treeSize());
        m.put("path", hex(p.path()));
        return m;
    }

    /** {@code {"oldSize":m,"newSize":n,"path":["<hex>",...]}}. */
    public static Map<String, Object> consistency(ConsistencyProof p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("oldSize", p.oldSize());
        m.put("newSize", p.newSize());
        m.put("path", hex(p.path()));
        return m;
    }

    private static List<String> hex(List<byte[]> hashes) {
        return hashes.stream().map(HEX::formatHex).toList();
    }
}
