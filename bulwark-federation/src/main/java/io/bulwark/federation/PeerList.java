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
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    private static final List<String> FIELDS = List.of("nation", "url", "fingerprint", "added");

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
            if (root == null || !root.isObject() || !root.path("peers").isArray() || root.size() != 1) {
                throw new InvalidPeerException(file + ": a JSON object with a \"peers\" array and nothing else");
            }
            // The only trust there is: read strictly. Every field present, none unknown, a nation and a
            // certificate listed once (as peer add keeps it).
            List<Peer> peers = new ArrayList<>();
            int i = 0;
            for (var n : root.path("peers")) {
                String at = file + ": peers[" + i + "]: ";
                if (!n.isObject()) throw new InvalidPeerException(at + "an object with " + String.join(", ", FIELDS));
                for (var names = n.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    if (!FIELDS.contains(name)) throw new InvalidPeerException(at + "unknown field '" + name + "'; known: " + String.join(", ", FIELDS));
                }
                for (String field : FIELDS) {
                    if (!n.path(field).isTextual()) throw new InvalidPeerException(at + field + ": missing; a string");
                }
                Peer peer;
                try {
                    peer = new Peer(n.path("nation").asText(), Peer.url(n.path("url").asText()), n.path("fingerprint").asText(),
                            Instant.parse(n.path("added").asText()));
                } catch (java.time.format.DateTimeParseException e) {
                    throw new InvalidPeerException(at + "added: an ISO 8601 UTC instant such as 2026-11-28T08:00:00Z, not '" + n.path("added").asText() + "'");
                } catch (InvalidPeerException e) {
                    throw new InvalidPeerException(at + e.getMessage());
                }
                for (Peer earlier : peers) {
                    if (earlier.nation().equals(peer.nation())) throw new InvalidPeerException(at + "nation: " + peer.nation() + " is listed twice");
                    if (earlier.fingerprint().equals(peer.fingerprint())) {
                        throw new InvalidPeerException(at + "fingerprint: already listed for " + earlier.nation());
                    }
                }
                peers.add(peer);
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
     * that became unreadable, invalid or absent keeps the node on an empty list (deny by default),
     * logged; {@link #currentIfReadable()} tells that apart from a list that names no peer. (An absent
     * file counts as unreadable: an editor may move it aside while saving; removing every peer
     * writes an empty list.)
     */
    public static final class Watched {
        private final Path file;
        private volatile Snapshot snapshot = new Snapshot(null, EMPTY, true);

        private record Snapshot(Object stamp, PeerList list, boolean readable) {}

        public Watched(Path file) {
            this.file = file;
        }

        public PeerList current() {
            return snapshot().list();
        }

        /** The list as {@link #current()} gives it, if the file read as a valid list; empty if it did not. */
        public Optional<PeerList> currentIfReadable() {
            Snapshot s = snapshot();
            return s.readable() ? Optional.of(s.list()) : Optional.empty();
        }

        /** The list and whether it read, from one look at the file. */
        private Snapshot snapshot() {
            Object stamp;
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                stamp = List.of(a.lastModifiedTime().toMillis(), a.size(), String.valueOf(a.fileKey()));
            } catch (IOException e) {
                stamp = "absent";
            }
            return snapshot(stamp);
        }

        private Snapshot snapshot(Object stamp) {
            Snapshot s = snapshot;
            if (stamp.equals(s.stamp())) return s;
            PeerList list;
            boolean readable = !"absent".equals(stamp);
            try {
                list = read(file);
                if (list.peers().isEmpty() && !Files.exists(file)) readable = false; // moved aside after the stat
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(PeerList.class).warn("peer list unusable, no peer is trusted: {}", e.getMessage());
                list = EMPTY;
                readable = false;
            }
            s = new Snapshot(stamp, list, readable);
            snapshot = s;
            return s;
        }
    }
}
