package io.bulwark.record;

import io.bulwark.crypto.SigningKeyset;
import io.bulwark.record.internal.Bytes;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;

/**
 * The origin's signed retraction of a record: which record, when, and by whom. Every node that holds
 * the record keeps the tombstone in its place and verifies it against the origin's pinned keys
 * before it deletes anything (docs/formats/sealed-record.md, "Tombstones").
 */
public record Tombstone(String originNation, String originNode, RecordId id, Instant at, String by, byte[] signature) {

    static final byte[] MAGIC = {'B', 'W', 'T', 'S'};
    static final int VERSION = 1;
    private static final byte[] DOMAIN = "bulwark-tombstone-v1\0".getBytes(StandardCharsets.US_ASCII);

    public Tombstone {
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Signs the retraction of {@code id} by the user {@code by}, at {@code at} (kept to the millisecond). */
    public static Tombstone sign(SigningKeyset signer, String originNation, String originNode, RecordId id, Instant at, String by)
            throws GeneralSecurityException {
        Instant millis = Instant.ofEpochMilli(at.toEpochMilli());
        byte[] byBytes = by.getBytes(StandardCharsets.UTF_8);
        if (byBytes.length == 0 || byBytes.length > 255) {
            throw new InvalidRecordException("tombstone: the retracting user's name is 1 to 255 bytes of UTF-8");
        }
        return new Tombstone(originNation, originNode, id, millis, by,
                signer.sign(signedMessage(body(originNation, originNode, id, millis, by))));
    }

    private static byte[] body(String originNation, String originNode, RecordId id, Instant at, String by) {
        return new Bytes.Writer(128).raw(MAGIC).u8(VERSION).ascii(originNation)
                .bytes8(originNode.getBytes(StandardCharsets.US_ASCII)).raw(id.bytes()).u64(at.toEpochMilli())
                .bytes8(by.getBytes(StandardCharsets.UTF_8)).toByteArray();
    }

    private static byte[] signedMessage(byte[] body) {
        byte[] m = Arrays.copyOf(DOMAIN, DOMAIN.length + body.length);
        System.arraycopy(body, 0, m, DOMAIN.length, body.length);
        return m;
    }

    public byte[] encode() {
        byte[] body = body(originNation, originNode, id, at, by);
        return new Bytes.Writer(body.length + signature.length + 2).raw(body).bytes16(signature).toByteArray();
    }

    /** Reads a tombstone; checks structure only — {@link #verify} checks the signature. */
    public static Tombstone decode(byte[] bytes) {
        Bytes.Reader r = new Bytes.Reader("tombstone", bytes, 0, bytes.length);
        if (!Arrays.equals(r.raw(4, "magic"), MAGIC)) throw r.error(0, "magic", "not a tombstone (magic BWTS)");
        int version = r.u8("version");
        if (version != VERSION) throw r.error(4, "version", "unknown version " + version);
        int at = r.position();
        String nation = r.ascii(r.raw(3, "origin nation"), at, "origin nation", SealedRecord.NATION, "an alpha-3 code");
        at = r.position();
        String node = r.ascii(r.sized(1, 1, 63, "origin node"), at, "origin node", SealedRecord.NODE, "a node name");
        at = r.position();
        RecordId id;
        try {
            id = RecordId.fromBytes(r.raw(16, "record id"));
        } catch (IllegalArgumentException e) {
            throw r.error(at, "record id", "a UUID version 7");
        }
        Instant when = Instant.ofEpochMilli(r.u64("retracted at"));
        String by = new String(r.sized(1, 1, 255, "retracted by"), StandardCharsets.UTF_8);
        byte[] signature = r.sized(2, 1, SealedRecord.MAX_SIGNATURE, "signature");
        r.end("end of tombstone");
        return new Tombstone(nation, node, id, when, by, signature);
    }

    /** Checks the signature against the origin's pinned keys; throws {@link InvalidRecordException} if none verifies. */
    public void verify(OriginKeys origins) {
        origins.verifying(originNation, originNode, signature, signedMessage(body(originNation, originNode, id, at, by)),
                "tombstone of " + id + " from " + originNation + "/" + originNode);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tombstone t && Arrays.equals(t.encode(), encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "Tombstone[" + id + " by " + by + " at " + at + "]";
    }
}
