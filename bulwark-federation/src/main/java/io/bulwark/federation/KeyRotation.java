package io.bulwark.federation;

import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.SigningKeyset;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A node's statement that it moved from one signing key to the next (and to a new KEM key): signed
 * by the previous key — so a peer that pinned it accepts the new one — and by the new key (proof of
 * possession). A node's identity carries its chain of rotations from its first key; a peer accepts
 * new signing keys only along a chain that starts at a key it pinned. Records signed before stay
 * verifiable: the old keys remain pinned.
 *
 * <p>Wire form: {@code "BWKR" u8(1) nation(3) u8(len) node u64(at ms) u16(len) previous-key u16(len)
 * next-key u16(len) next-kem-key u16(len) signature-by-previous u16(len) signature-by-next}; both
 * signatures over {@code "bulwark-key-rotation-v1\0"} and every byte before the signatures.
 */
public record KeyRotation(String nation, String node, Instant at, HybridPublicSigningKey previous, HybridPublicSigningKey next,
                          HybridPublicKemKey nextKem, byte[] byPrevious, byte[] byNext) {

    private static final byte[] MAGIC = {'B', 'W', 'K', 'R'};
    private static final byte[] DOMAIN = "bulwark-key-rotation-v1\0".getBytes(StandardCharsets.US_ASCII);

    public KeyRotation {
        byPrevious = byPrevious.clone();
        byNext = byNext.clone();
    }

    /**
     * The statement for moving from {@code current}'s primary key to {@code next}'s primary key (and
     * {@code nextKem}); {@code next} is {@code current.rotate()}.
     */
    public static KeyRotation sign(SigningKeyset current, SigningKeyset next, HybridPublicKemKey nextKem, String nation, String node,
                                   Instant at) throws GeneralSecurityException {
        Instant millis = Instant.ofEpochMilli(at.toEpochMilli());
        byte[] body = body(nation, node, millis, current.primary(), next.primary(), nextKem);
        byte[] message = message(body);
        return new KeyRotation(nation, node, millis, current.primary(), next.primary(), nextKem, current.sign(message), next.sign(message));
    }

    private static byte[] body(String nation, String node, Instant at, HybridPublicSigningKey previous, HybridPublicSigningKey next,
                               HybridPublicKemKey kem) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeByte(1);
            out.write(nation.getBytes(StandardCharsets.US_ASCII));
            byte[] n = node.getBytes(StandardCharsets.US_ASCII);
            out.writeByte(n.length);
            out.write(n);
            out.writeLong(at.toEpochMilli());
            for (byte[] k : List.of(previous.encode(), next.encode(), kem.encode())) {
                out.writeShort(k.length);
                out.write(k);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] message(byte[] body) {
        byte[] m = Arrays.copyOf(DOMAIN, DOMAIN.length + body.length);
        System.arraycopy(body, 0, m, DOMAIN.length, body.length);
        return m;
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(body(nation, node, at, previous, next, nextKem));
            out.writeShort(byPrevious.length);
            out.write(byPrevious);
            out.writeShort(byNext.length);
            out.write(byNext);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads a statement (structure only; {@link #verify} checks both signatures). */
    public static KeyRotation decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte[] magic = exactly(in, 4);
            if (!Arrays.equals(magic, MAGIC) || in.readUnsignedByte() != 1) throw new InvalidPeerException("key rotation: not a rotation statement (BWKR v1)");
            String nation = new String(exactly(in, 3), StandardCharsets.US_ASCII);
            String node = new String(exactly(in, in.readUnsignedByte()), StandardCharsets.US_ASCII);
            if (!nation.matches("[A-Z]{3}") || !node.matches("[a-z0-9][a-z0-9-]{0,62}")) throw new InvalidPeerException("key rotation: bad nation or node");
            Instant at = Instant.ofEpochMilli(in.readLong());
            HybridPublicSigningKey previous = HybridPublicSigningKey.parse(exactly(in, in.readUnsignedShort()));
            HybridPublicSigningKey next = HybridPublicSigningKey.parse(exactly(in, in.readUnsignedShort()));
            HybridPublicKemKey kem = HybridPublicKemKey.parse(exactly(in, in.readUnsignedShort()));
            byte[] byPrevious = exactly(in, in.readUnsignedShort());
            byte[] byNext = exactly(in, in.readUnsignedShort());
            if (in.read() != -1) throw new InvalidPeerException("key rotation: bytes after the signatures");
            return new KeyRotation(nation, node, at, previous, next, kem, byPrevious, byNext);
        } catch (IOException e) {
            throw new InvalidPeerException("key rotation: truncated");
        } catch (InvalidEncodingException e) {
            throw new InvalidPeerException("key rotation: " + e.getMessage());
        }
    }

    private static byte[] exactly(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b); // EOFException (an IOException) when short
        return b;
    }

    /** Checks both signatures; throws {@link InvalidPeerException} naming the one that fails. */
    public void verify() {
        byte[] message = message(body(nation, node, at, previous, next, nextKem));
        try {
            previous.verify(byPrevious, message);
        } catch (GeneralSecurityException e) {
            throw new InvalidPeerException("key rotation to " + next.fingerprint() + ": not signed by the previous key " + previous.fingerprint());
        }
        try {
            next.verify(byNext, message);
        } catch (GeneralSecurityException e) {
            throw new InvalidPeerException("key rotation to " + next.fingerprint() + ": not signed by the new key itself");
        }
    }

    /**
     * The signing keys reachable from {@code pinned} along {@code chain} (in order; statements that do
     * not start at an accepted key are skipped, never trusted), {@code pinned} included.
     */
    public static Set<HybridPublicSigningKey> accepted(Collection<HybridPublicSigningKey> pinned, List<KeyRotation> chain,
                                                       String nation, String node) {
        Set<HybridPublicSigningKey> keys = new LinkedHashSet<>(pinned);
        for (KeyRotation r : chain) {
            if (!r.nation().equals(nation) || !r.node().equals(node) || !keys.contains(r.previous())) continue;
            r.verify();
            keys.add(r.next());
        }
        return keys;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyRotation r && Arrays.equals(r.encode(), encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(byNext);
    }

    static List<KeyRotation> decodeAll(List<byte[]> statements) {
        List<KeyRotation> out = new ArrayList<>();
        for (byte[] s : statements) out.add(decode(s));
        return out;
    }
}
