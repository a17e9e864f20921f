package io.bulwark.crypto;

import io.bulwark.crypto.internal.Jca;

import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Seals a position (in a node's change log, or in its listing) into an opaque cursor for someone
 * outside the node (a peer, a client), so that the cursor tells its holder nothing — not how many
 * changes it was not shown, so not that records it may not see exist — and cannot be altered. Each
 * cursor is freshly encrypted (AES-256-GCM, random nonce): two cursors for the same position look
 * unrelated. A {@code context} binds a cursor to its use (a feed to one peer, a client's change
 * listing): a cursor made for one context does not open in another. Immutable and thread-safe.
 */
public final class CursorSeal {

    private final AeadKey key;

    private CursorSeal(AeadKey key) {
        this.key = key;
    }

    /**
     * The cursor key kept in {@code file}, made there (32 random bytes, owner-only) on first use and
     * kept so that cursors survive restarts.
     *
     * @throws IOException if the file cannot be read or written, or does not hold a cursor key
     */
    public static CursorSeal open(Path file) throws IOException {
        return new CursorSeal(key(file, read(file)));
    }

    /**
     * The cursor key for one purpose, derived from the key kept in {@code file} (made there on first
     * use): cursors handed to one kind of holder (clients, say) are sealed under a key of their own,
     * so that however many of them a holder has the node seal, they take nothing from the margin of
     * the others.
     */
    public static CursorSeal open(Path file, String purpose) throws IOException {
        byte[] raw = read(file);
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(raw, "HmacSHA256"));
            return new CursorSeal(key(file, mac.doFinal(("bulwark-cursor-key-v1\0" + purpose).getBytes(StandardCharsets.UTF_8))));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a cursor key (" + e.getMessage() + ")", e);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    private static AeadKey key(Path file, byte[] secret) throws IOException {
        try {
            return AeadKey.fromSharedSecret(new SecretKeySpec(secret, "RAW"));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a cursor key (" + e.getMessage() + ")", e);
        }
    }

    /** The key file's bytes, the file made first if there is none. */
    private static byte[] read(Path file) throws IOException {
        if (!Files.exists(file)) {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.write(tmp, Jca.randomBytes(32));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        byte[] key = Files.readAllBytes(file);
        if (key.length != 32) throw new IOException(file + ": not a cursor key (32 bytes expected, " + key.length + " found)");
        return key;
    }

    /** An opaque cursor (base64url, no padding) for {@code position} in {@code context}. */
    public String seal(long position, String context) {
        if (position < 0) throw new IllegalArgumentException("position must not be negative: " + position);
        return seal(ByteBuffer.allocate(Long.BYTES).putLong(position).array(), context);
    }

    /** An opaque cursor (base64url, no padding) for a position given as bytes, in {@code context}. */
    public String seal(byte[] position, String context) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(key.encrypt(position, aad(context)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a cursor", e);
        }
    }

    /**
     * The position a cursor names; empty if it is not a cursor this key sealed for {@code context}
     * (altered, made for another context or by another node, not base64url).
     */
    public OptionalLong open(String cursor, String context) {
        Optional<byte[]> plain = openBytes(cursor, context);
        long position = plain.filter(p -> p.length == Long.BYTES).map(p -> ByteBuffer.wrap(p).getLong()).orElse(-1L);
        return position < 0 ? OptionalLong.empty() : OptionalLong.of(position);
    }

    /** The position bytes a cursor sealed with {@link #seal(byte[], String)} names; empty as for {@link #open}. */
    public Optional<byte[]> openBytes(String cursor, String context) {
        try {
            return Optional.of(key.decrypt(Base64.getUrlDecoder().decode(cursor), aad(context)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] aad(String context) {
        return context.getBytes(StandardCharsets.UTF_8);
    }
}
