package io.bulwark.record;

import io.bulwark.crypto.Encapsulation;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.record.internal.Bytes;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;

/**
 * An origin's signed announcement of an epoch key for one recipient nation: the hybrid KEM
 * encapsulation (ML-KEM-768 + X25519) to the recipient's public KEM key, from which both ends derive
 * the epoch key, with its id and validity. Records of the epoch wrap their data keys for that nation
 * under this key, so sealing for 32 nations costs 32 AES key wraps, not 32 KEMs.
 * (docs/formats/sealed-record.md, "Epoch keys").
 */
public record EpochKeyStatement(String originNation, String originNode, String recipientNation, KeyId epochKeyId,
                                Instant notBefore, Instant notAfter, byte[] encapsulation, byte[] signature) {

    static final byte[] MAGIC = {'B', 'W', 'E', 'K'};
    static final int VERSION = 1;
    private static final byte[] DOMAIN = "bulwark-epoch-key-v1\0".getBytes(StandardCharsets.US_ASCII);

    public EpochKeyStatement {
        encapsulation = encapsulation.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] encapsulation() {
        return encapsulation.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The recipient's KEM key the statement was made for: the one its encapsulation names. */
    public KeyId recipientKemKey() {
        try {
            return Encapsulation.recipientKeyId(encapsulation);
        } catch (InvalidEncodingException e) {
            throw new IllegalStateException("checked when made or decoded", e);
        }
    }

    static EpochKeyStatement sign(SigningKeyset signer, String originNation, String originNode, String recipientNation,
                                  KeyId epochKeyId, Instant notBefore, Instant notAfter, byte[] encapsulation)
            throws GeneralSecurityException {
        byte[] body = body(originNation, originNode, recipientNation, epochKeyId, notBefore, notAfter, encapsulation);
        return new EpochKeyStatement(originNation, originNode, recipientNation, epochKeyId, notBefore, notAfter,
                encapsulation, signer.sign(signedMessage(body)));
    }

    private static byte[] body(String originNation, String originNode, String recipientNation, KeyId epochKeyId,
                               Instant notBefore, Instant notAfter, byte[] encapsulation) {
        return new Bytes.Writer(1200).raw(MAGIC).u8(VERSION).ascii(originNation)
                .bytes8(originNode.getBytes(StandardCharsets.US_ASCII)).ascii(recipientNation)
                .u64(epochKeyId.value()).u64(notBefore.toEpochMilli()).u64(notAfter.toEpochMilli())
                .bytes16(encapsulation).toByteArray();
    }

    private static byte[] signedMessage(byte[] body) {
        byte[] m = Arrays.copyOf(DOMAIN, DOMAIN.length + body.length);
        System.arraycopy(body, 0, m, DOMAIN.length, body.length);
        return m;
    }

    /** The statement's bytes. */
    public byte[] encode() {
        byte[] body = body(originNation, originNode, recipientNation, epochKeyId, notBefore, notAfter, encapsulation);
        return new Bytes.Writer(body.length + signature.length + 2).raw(body).bytes16(signature).toByteArray();
    }

    /** Reads a statement; checks structure only — {@link #verify} checks the signature. */
    public static EpochKeyStatement decode(byte[] bytes) {
        Bytes.Reader r = new Bytes.Reader("epoch key statement", bytes, 0, bytes.length);
        if (!Arrays.equals(r.raw(4, "magic"), MAGIC)) throw r.error(0, "magic", "not an epoch key statement (magic BWEK)");
        int version = r.u8("version");
        if (version != VERSION) throw r.error(4, "version", "unknown version " + version);
        int at = r.position();
        String origin = r.ascii(r.raw(3, "origin nation"), at, "origin nation", SealedRecord.NATION, "an alpha-3 code");
        at = r.position();
        String node = r.ascii(r.sized(1, 1, 63, "origin node"), at, "origin node", SealedRecord.NODE, "a node name");
        at = r.position();
        String recipient = r.ascii(r.raw(3, "recipient nation"), at, "recipient nation", SealedRecord.NATION, "an alpha-3 code");
        KeyId id = new KeyId(r.u64("epoch key id"));
        Instant notBefore = Instant.ofEpochMilli(r.u64("not before"));
        at = r.position();
        Instant notAfter = Instant.ofEpochMilli(r.u64("not after"));
        if (notAfter.isBefore(notBefore)) throw r.error(at, "not after", "before not-before");
        at = r.position();
        byte[] encapsulation = r.sized(2, 1, 4096, "encapsulation");
        try {
            Encapsulation.recipientKeyId(encapsulation);
        } catch (InvalidEncodingException e) {
            throw r.error(at, "encapsulation", e.getMessage());
        }
        byte[] signature = r.sized(2, 1, SealedRecord.MAX_SIGNATURE, "signature");
        r.end("end of statement");
        return new EpochKeyStatement(origin, node, recipient, id, notBefore, notAfter, encapsulation, signature);
    }

    /** Checks the signature against the origin's pinned keys; throws {@link InvalidRecordException} if none verifies. */
    public void verify(OriginKeys origins) {
        origins.verifying(originNation, originNode, signature,
                signedMessage(body(originNation, originNode, recipientNation, epochKeyId, notBefore, notAfter, encapsulation)),
                "epoch key statement from " + originNation + "/" + originNode);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpochKeyStatement s && Arrays.equals(s.encode(), encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "EpochKeyStatement[" + originNation + "/" + originNode + " -> " + recipientNation + ", " + epochKeyId + "]";
    }
}
