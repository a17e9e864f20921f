package io.bulwark.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/** Valid records, ids and digests for tests. */
public final class TestRecords {

    /** 2026-11-26T00:00:00Z: test records are created around it. */
    public static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    private TestRecords() {
    }

    /** A UUIDv7 in canonical lowercase form for this time, with random bits from {@code random}. */
    public static String uuid7(long millis, Random random) {
        long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
        long lsb = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        String hex = String.format("%016x%016x", msb, lsb);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static String sha256(String s) {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    public static LabelMetadata label(String classification, String... values) {
        return new LabelMetadata("{\"policy\":\"NATO\",\"classification\":\"" + classification + "\",\"rel\":"
                + List.of(values).stream().map(v -> "\"" + v + "\"").toList() + "}", "NATO", classification, List.of(values));
    }

    /** A valid active record; its blob key is its id. */
    public static RecordMetadata record(String id, Instant createdAt, String nation, LabelMetadata label) {
        return new RecordMetadata(id, nation, "node-" + nation.toLowerCase(), createdAt, "application/octet-stream",
                1024, sha256("payload " + id), label, "{\"jurisdictions\":[\"" + nation + "\"]}",
                new BlobRef(id, 1500, sha256("sealed " + id)), Optional.empty());
    }

    /** A valid active record created at {@code createdAt}, from DEU, NATO SECRET REL DEU FRA. */
    public static RecordMetadata record(Instant createdAt, Random random) {
        return record(uuid7(createdAt.toEpochMilli(), random), createdAt, "DEU", label("SECRET", "DEU", "FRA"));
    }
}
