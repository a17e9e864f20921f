package io.bulwark.node;

import io.bulwark.federation.InvalidPeerException;
import io.bulwark.federation.Peer;
import io.bulwark.federation.PeerList;
import io.bulwark.label.PolicySet;
import io.bulwark.store.InvalidResidencyException;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.site.Placement;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The sensitive operations of this build (docs/approvals.md). Storage adds {@code sites.*} and {@code provider.evacuate} beside them. */
final class Operations {

    private Operations() {}

    private static Problem parameter(String message) {
        // InvalidPeerException and the like start with the field's name ("fingerprint: 64 hex digits ...").
        return Problem.badRequest("parameters." + message);
    }

    /** Pins a peer by writing peers.json, which the running node re-reads ({@link PeerList.Watched}). */
    record PeerAdd(Path peersFile, String ownNation, String ownFingerprint, Clock clock) implements SensitiveOperation {
        @Override public String name() { return "peer.add"; }
        @Override public List<String> parameters() { return List.of("nation", "url", "fingerprint"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            Peer peer = peer(p);
            list().with(peer, ownNation);
            return Map.of("nation", peer.nation(), "url", peer.url().toString(), "fingerprint", peer.fingerprint());
        }

        @Override
        public String execute(Map<String, String> p) throws Exception {
            Peer peer = peer(p);
            list().with(peer, ownNation).write(peersFile);
            return "peer " + peer.nation() + " added: " + peer.url() + " pinned to " + peer.fingerprint();
        }

        private Peer peer(Map<String, String> p) {
            Peer peer;
            try {
                peer = new Peer(p.get("nation").toUpperCase(java.util.Locale.ROOT), Peer.url(p.get("url")), p.get("fingerprint"), clock.instant());
            } catch (InvalidPeerException e) {
                throw parameter(e.getMessage());
            }
            if (peer.fingerprint().equals(ownFingerprint)) {
                throw parameter("fingerprint: " + peer.fingerprint() + " is this node's own certificate; pin the peer's");
            }
            return peer;
        }

        private PeerList list() {
            return Operations.list(peersFile);
        }
    }

    /** Unpins a peer: all exchange with it stops at its next handshake or request. */
    record PeerRemove(Path peersFile) implements SensitiveOperation {
        @Override public String name() { return "peer.remove"; }
        @Override public List<String> parameters() { return List.of("nation"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String nation = p.get("nation").toUpperCase(java.util.Locale.ROOT);
            without(nation);
            return Map.of("nation", nation);
        }

        @Override
        public String execute(Map<String, String> p) throws Exception {
            without(p.get("nation")).write(peersFile);
            return "peer " + p.get("nation") + " removed";
        }

        private PeerList without(String nation) {
            try {
                return list(peersFile).without(nation);
            } catch (InvalidPeerException e) {
                throw new Problem(409, "Conflict", "parameters." + e.getMessage());
            }
        }
    }

    private static PeerList list(Path file) {
        try {
            return PeerList.read(file);
        } catch (InvalidPeerException e) {
            throw new Problem(409, "Conflict", e.getMessage() + " (fix peers.json first)");
        }
    }

    /** The default residency: in bulwark.yaml (for the next start) and in the running record service (at once). */
    record ResidencyDefault(NodeHome home, RecordService records, PolicySet policies, NodeStorage storage) implements SensitiveOperation {
        @Override public String name() { return "residency.default"; }
        @Override public List<String> parameters() { return List.of("policy"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            return Map.of("policy", parse(p.get("policy")).toString());
        }

        @Override
        public String execute(Map<String, String> p) throws Exception {
            ResidencyPolicy residency = parse(p.get("policy"));
            // The file first: if it cannot be written, nothing has changed; NodeConfig.save replaces it atomically.
            NodeConfig.read(home.config()).withResidency(residency.toString()).save(home.config());
            records.defaultResidency(residency);
            return "default residency: " + (residency.toString().isEmpty() ? "(anywhere)" : residency);
        }

        private ResidencyPolicy parse(String text) {
            ResidencyPolicy residency;
            try {
                residency = ResidencyPolicy.parse(text, policies);
            } catch (InvalidResidencyException e) {
                throw parameter("policy: " + e.getMessage());
            }
            // A default that no publish could meet would refuse every record published without a residency.
            if (Placement.choose(residency, storage.replicas().candidates().stream()
                    .map(c -> new Placement.Candidate(c.site(), true, c.acceptsWrites())).toList()) instanceof Placement.Refused r) {
                throw Problem.unprocessable("Residency cannot be met", "parameters.policy: " + residency + ": " + r);
            }
            return residency;
        }
    }

    /** Key rotation, delegated to the build's {@link KeyRotator}; refused at request time without one. */
    record KeysRotate(Optional<KeyRotator> rotator) implements SensitiveOperation {
        @Override public String name() { return "keys.rotate"; }
        @Override public List<String> parameters() { return List.of(); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            if (rotator.isEmpty()) throw new Problem(501, "Not implemented", "keys.rotate: key rotation is not implemented on this build");
            return Map.of();
        }

        @Override
        public String execute(Map<String, String> p) throws Exception {
            RotationResult r = rotator.orElseThrow().rotate("approved keys.rotate request");
            return "keys rotated: signing key " + r.previousSigningKey() + " -> " + r.newSigningKey() + ", KEM key " + r.newKemKey();
        }
    }

    /**
     * Moves every replica off a provider while the node keeps serving (docs/storage.md). The provider
     * is closed to new writes in {@code bulwark.yaml} first, so a restart keeps it closed and a
     * request made again resumes the evacuation from its progress file.
     */
    record ProviderEvacuate(NodeHome home, NodeStorage storage) implements SensitiveOperation {
        @Override public String name() { return "provider.evacuate"; }
        @Override public List<String> parameters() { return List.of("provider"); }

        @Override
        public Map<String, String> check(Map<String, String> p) {
            String provider = p.get("provider");
            if (storage.replicas().sites().stream().noneMatch(s -> s.provider().equals(provider))) {
                throw parameter("provider: no site of this node belongs to provider '" + provider + "'");
            }
            return Map.of("provider", provider);
        }

        @Override
        public String execute(Map<String, String> p) throws Exception {
            String provider = check(p).get("provider");
            NodeConfig config = NodeConfig.read(home.config());
            List<String> closed = new java.util.ArrayList<>(config.storage().closedProviders());
            if (!closed.contains(provider)) closed.add(provider);
            config.withStorage(new NodeConfig.Storage(config.storage().sites(), closed)).save(home.config());
            storage.replicas().closeToWrites(provider);
            if (!storage.startEvacuation(provider, home.evacuations())) {
                throw new Problem(409, "Conflict", "an evacuation is already running; see GET /api/v1/storage");
            }
            return "provider " + provider + " closed to writes; evacuation started (progress: GET /api/v1/storage)";
        }
    }
}
