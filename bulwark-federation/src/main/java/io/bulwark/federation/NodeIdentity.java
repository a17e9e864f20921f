package io.bulwark.federation;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.InvalidEncodingException;
import io.bulwark.crypto.KeyId;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.store.ResidencyPolicy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a node tells its peers about itself over the pinned channel, signed with its hybrid signing
 * key: nation and name, the TLS certificate it serves (the pin), its public signing keys (which its
 * records must verify against), its public KEM key (to which epoch keys are encapsulated) and where
 * it stores data (which residency policies it can satisfy).
 *
 * <p>Wire form (docs/federation.md): {@code {"identity": base64(JSON), "signature": base64}}, the
 * signature over {@code "bulwark-node-identity-v1\0" || JSON bytes}.
 */
public record NodeIdentity(String nation, String node, String tlsFingerprint, List<HybridPublicSigningKey> signingKeys,
                           HybridPublicKemKey kemKey, List<StorageSite> storage, List<KeyRotation> rotations, Set<KeyId> formerKemKeys) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] DOMAIN = "bulwark-node-identity-v1\0".getBytes(StandardCharsets.US_ASCII);

    /**
     * @param formerKemKeys the ids of KEM keys this node knows the peer had under the same pin (its
     *                      first one among them): local knowledge, never signed or sent
     */
    public NodeIdentity {
        signingKeys = List.copyOf(signingKeys);
        storage = List.copyOf(storage);
        rotations = List.copyOf(rotations);
        formerKemKeys = Set.copyOf(formerKemKeys);
    }

    /** An identity as the node serves it. */
    public NodeIdentity(String nation, String node, String tlsFingerprint, List<HybridPublicSigningKey> signingKeys,
                        HybridPublicKemKey kemKey, List<StorageSite> storage, List<KeyRotation> rotations) {
        this(nation, node, tlsFingerprint, signingKeys, kemKey, storage, rotations, Set.of());
    }

    /** An identity whose keys have never been rotated. */
    public NodeIdentity(String nation, String node, String tlsFingerprint, List<HybridPublicSigningKey> signingKeys,
                        HybridPublicKemKey kemKey, List<StorageSite> storage) {
        this(nation, node, tlsFingerprint, signingKeys, kemKey, storage, List.of());
    }

    /**
     * The ids of the KEM keys the node can decapsulate with (a node keeps its past KEM keys): the
     * current one, each its rotations moved to, and those known from earlier identities under the
     * same pin (its first one, which no rotation names).
     */
    public Set<KeyId> kemKeys() {
        Set<KeyId> ids = new HashSet<>(formerKemKeys);
        ids.add(kemKey.keyId());
        rotations.forEach(r -> ids.add(r.nextKem().keyId()));
        return ids;
    }

    /** This identity, knowing these KEM key ids from before as well. */
    public NodeIdentity withFormerKemKeys(Set<KeyId> former) {
        Set<KeyId> all = new HashSet<>(formerKemKeys);
        all.addAll(former);
        return new NodeIdentity(nation, node, tlsFingerprint, signingKeys, kemKey, storage, rotations, all);
    }

    /** A place where the node keeps sealed records, as residency policies judge it. */
    public record StorageSite(String id, String provider, String jurisdiction, String operator) implements ResidencyPolicy.Site {}

    /** The signed wire form. */
    public byte[] sign(SigningKeyset keys) throws GeneralSecurityException {
        try {
            return signed(keys);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the identity", e);
        }
    }

    private byte[] signed(SigningKeyset keys) throws GeneralSecurityException, com.fasterxml.jackson.core.JsonProcessingException {
        ObjectNode body = JSON.createObjectNode().put("v", 1).put("nation", nation).put("node", node)
                .put("tlsFingerprint", tlsFingerprint).put("kemKey", b64(kemKey.encode()));
        var signing = body.putArray("signingKeys");
        signingKeys.forEach(k -> signing.add(b64(k.encode())));
        var chain = body.putArray("rotations");
        rotations.forEach(r -> chain.add(b64(r.encode())));
        var sites = body.putArray("storage");
        storage.forEach(s -> sites.addObject().put("id", s.id()).put("provider", s.provider())
                .put("jurisdiction", s.jurisdiction()).put("operator", s.operator()));
        byte[] bytes = JSON.writeValueAsBytes(body);
        byte[] signature = keys.sign(message(bytes));
        return JSON.writeValueAsBytes(JSON.createObjectNode().put("identity", b64(bytes)).put("signature", b64(signature)));
    }

    /**
     * Reads and checks a peer's signed identity: well formed, the declared nation, the pinned TLS
     * certificate, and signed by one of the signing keys it lists.
     *
     * @throws InvalidPeerException naming what is wrong
     */
    public static NodeIdentity verify(byte[] wire, Peer expected) {
        try {
            JsonNode outer = JSON.readTree(wire);
            byte[] bytes = unb64(outer.path("identity").asText(""), "identity");
            byte[] signature = unb64(outer.path("signature").asText(""), "signature");
            JsonNode b = JSON.readTree(bytes);
            if (b.path("v").asInt() != 1) throw new InvalidPeerException("identity: unknown version " + b.path("v"));
            List<HybridPublicSigningKey> keys = new ArrayList<>();
            for (JsonNode k : b.path("signingKeys")) keys.add(HybridPublicSigningKey.parse(unb64(k.asText(""), "signingKeys")));
            if (keys.isEmpty()) throw new InvalidPeerException("identity: no signing key");
            List<StorageSite> sites = new ArrayList<>();
            for (JsonNode s : b.path("storage")) {
                sites.add(new StorageSite(s.path("id").asText(""), s.path("provider").asText(""),
                        s.path("jurisdiction").asText(""), s.path("operator").asText("")));
            }
            List<KeyRotation> rotations = new ArrayList<>();
            for (JsonNode r : b.path("rotations")) rotations.add(KeyRotation.decode(unb64(r.asText(""), "rotations")));
            NodeIdentity id = new NodeIdentity(b.path("nation").asText(""), b.path("node").asText(""),
                    b.path("tlsFingerprint").asText(""), keys, HybridPublicKemKey.parse(unb64(b.path("kemKey").asText(""), "kemKey")), sites,
                    rotations);
            if (!id.nation().equals(expected.nation())) {
                throw new InvalidPeerException("identity: the peer says it is " + id.nation() + "; it was added as " + expected.nation());
            }
            if (!id.node().matches("[a-z0-9][a-z0-9-]{0,62}")) throw new InvalidPeerException("identity: node name '" + id.node() + "'");
            if (!id.tlsFingerprint().equals(expected.fingerprint())) {
                throw new InvalidPeerException("identity: names TLS certificate " + id.tlsFingerprint() + ", not the pinned " + expected.fingerprint());
            }
            byte[] message = message(bytes);
            boolean signed = false;
            for (HybridPublicSigningKey k : keys) {
                try {
                    k.verify(signature, message);
                    signed = true;
                    break;
                } catch (GeneralSecurityException e) {
                    // try the next listed key
                }
            }
            if (!signed) throw new InvalidPeerException("identity: the signature does not verify with any key it lists");
            return id;
        } catch (JacksonException e) {
            throw new InvalidPeerException("identity: not JSON (" + e.getOriginalMessage() + ")");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InvalidEncodingException e) {
            throw new InvalidPeerException("identity: " + e.getMessage());
        }
    }

    private static byte[] message(byte[] body) {
        byte[] m = Arrays.copyOf(DOMAIN, DOMAIN.length + body.length);
        System.arraycopy(body, 0, m, DOMAIN.length, body.length);
        return m;
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static byte[] unb64(String s, String field) {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new InvalidPeerException("identity: " + field + " is not base64");
        }
    }
}
