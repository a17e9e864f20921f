package io.bulwark.federation;

import io.bulwark.crypto.AeadKey;

import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The cursors this node hands its peers: its change-log position, encrypted and bound to the peer.
 * A peer learns nothing from its cursor — not how many changes it was not sent, so not that records
 * it may not hold exist — and cannot use another peer's.
 */
final class FeedCursors {

    private final AeadKey key;

    private FeedCursors(AeadKey key) {
        this.key = key;
    }

    /** The cursor key in {@code file}, made on first use (kept so that peers' cursors survive restarts). */
    static FeedCursors open(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.write(tmp, fresh);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            return new FeedCursors(AeadKey.fromSharedSecret(new SecretKeySpec(Files.readAllBytes(file), "RAW")));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a cursor key (" + e.getMessage() + ")", e);
        }
    }

    String token(String peerFingerprint, long seq) {
        try {
            byte[] sealed = key.encrypt(ByteBuffer.allocate(8).putLong(seq).array(), aad(peerFingerprint));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sealed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a cursor", e);
        }
    }

    /** The position a peer's cursor names; 0 for the empty cursor (from the beginning). */
    long seq(String peerFingerprint, String token) {
        if (token == null || token.isEmpty()) return 0;
        try {
            byte[] plain = key.decrypt(Base64.getUrlDecoder().decode(token), aad(peerFingerprint));
            if (plain.length != 8) throw new GeneralSecurityException("length");
            long seq = ByteBuffer.wrap(plain).getLong();
            if (seq < 0) throw new GeneralSecurityException("negative");
            return seq;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidPeerException("cursor: not a cursor this node issued to you");
        }
    }

    private static byte[] aad(String fingerprint) {
        return ("bulwark-feed-cursor-v1\0" + fingerprint).getBytes(StandardCharsets.US_ASCII);
    }
}
