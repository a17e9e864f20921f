package io.bulwark.federation;

import io.bulwark.crypto.CursorSeal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The cursors this node hands its peers: its change-log position, sealed and bound to the peer.
 * A peer learns nothing from its cursor — not how many changes it was not sent, so not that records
 * it may not hold exist — and cannot use another peer's.
 */
final class FeedCursors {

    private final CursorSeal seal;

    private FeedCursors(CursorSeal seal) {
        this.seal = seal;
    }

    /** The cursor key in {@code file}, made on first use (kept so that peers' cursors survive restarts). */
    static FeedCursors open(Path file) throws IOException {
        return new FeedCursors(CursorSeal.open(file));
    }

    String token(String peerFingerprint, long seq) {
        return seal.seal(seq, context(peerFingerprint));
    }

    /** The position a peer's cursor names; 0 for the empty cursor (from the beginning). */
    long seq(String peerFingerprint, String token) {
        if (token == null || token.isEmpty()) return 0;
        return seal.open(token, context(peerFingerprint)).orElseThrow(
                () -> new InvalidPeerException("cursor: not a cursor this node issued to you"));
    }

    private static String context(String fingerprint) {
        return "bulwark-feed-cursor-v1\0" + fingerprint;
    }
}
