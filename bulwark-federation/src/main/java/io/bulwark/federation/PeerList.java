package io.bulwark.federation;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A node's peers, kept in {@code peers.json} in its home: nothing is trusted that is not listed here.
 * The operator edits it with {@code bulwark peer add|remove}; a running node re-reads it whenever it
 * changes ({@link Watched}), so a removal stops all exchange at the next handshake or request.
 */
public record PeerList(List<Peer> peers) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static final PeerList EMPTY = new PeerList(List.of());

    public PeerList {
        peers = peers.stream().sorted(Comparator.comparing(Peer::nation)).toList();
    }

    public Optional<Peer> byNation(String nation) {
        return peers.stream().filter(p -> p.nation().equals(nation)).findFirst();
    }

    public Optional<Peer> byFingerprint(String fingerprint) {
        return peers.stream().filter(p -> p.fingerprint().equals(fingerprint)).findFirst();
    }

    /**
     * This list with one more peer. One peer per nation (a nation's epoch keys go to one KEM key), and
     * a certificate is pinned once.
     */
    public PeerList with(Peer peer, String ownNation) {
        if (peer.nation().equals(ownNation)) {
            throw new InvalidPeerException("nation: " + ownNation + " is this node's own nation; peers are other nations' nodes");
        }
        byNation(peer.nation()).ifPresent(p -> {
            throw new InvalidPeerException("nation: " + peer.nation() + " is already a peer (" + p.url() + "); remove it first");
        });
        byFingerprint(peer.fingerprint()).ifPresent(p -> {
            throw new InvalidPeerException("fingerprint: already pinned for " + p.nation());
        });
        List<Peer> more = new ArrayList<>(peers);
        more.add(peer);
        return new PeerList(more);
    }

    public PeerList without(String nation) {
        if (byNation(nation).isEmpty()) {
            throw new InvalidPeerException("nation: " + nation + " is not a peer");
        }
        return new PeerList(peers.stream().filter(p -> !p.nation().equals(nation)).toList());
    }

    /** Reads the list; a missing file is an empty list. Errors name the file, the entry and the rule. */
    public static PeerList read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return EMPTY;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot be read", e);
        }
        try {
            var root = JSON.readTree(bytes);
            if (root == null || !root.path("peers").isArray()) {
                throw new InvalidPeerException(file + ": a JSON object with a \"peers\" array");
            }
            List<Peer> peers = new ArrayList<>();
            int i = 0;
            for (var n : root.path("peers")) {
                try {
                    peers.add(new Peer(n.path("nation").asText(null), Peer.url(n.path("url").asText("")),
                            n.path("fingerprint").asText(null), Instant.parse(n.path("added").asText(""))));
                } catch (InvalidPeerException | java.time.format.DateTimeParseException e) {
                    throw new InvalidPeerException(file + ": peers[" + i + "]: " + e.getMessage());
                }
                i++;
            }
            return new PeerList(peers);
        } catch (JacksonException e) {
            throw new InvalidPeerException(file + ": not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot be read", e);
        }
    }

    /** Writes the list atomically (a reader sees the old list or the new one, never a part). */
    public void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode array = root.putArray("peers");
        for (Peer p : peers) {
            array.addObject().put("nation", p.nation()).put("url", p.url().toString())
                    .put("fingerprint", p.fingerprint()).put("added", p.added().toString());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(root));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The peer list as a running node sees it: re-read when the file's modification time or size
     * changes — one {@code stat} per call, so it can be asked on every handshake and request. A file
     * that became unreadable or invalid keeps the node on an empty list (deny by default), logged.
     */
    public static final class Watched {
        private final Path file;
        private volatile Snapshot snapshot = new Snapshot(null, EMPTY);

        private record Snapshot(Object stamp, PeerList list) {}

        public Watched(Path file) {
            this.file = file;
        }

        public PeerList current() {
            Object stamp;
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                stamp = List.of(a.lastModifiedTime().toMillis(), a.size(), String.valueOf(a.fileKey()));
            } catch (IOException e) {
                stamp = "absent";
            }
            Snapshot s = snapshot;
            if (stamp.equals(s.stamp())) return s.list();
            PeerList list;
            try {
                list = read(file);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(PeerList.class).warn("peer list unusable, no peer is trusted: {}", e.getMessage());
                list = EMPTY;
            }
            snapshot = new Snapshot(stamp, list);
            return list;
        }
    }
}
