package io.bulwark.record;

import io.bulwark.crypto.HybridPublicSigningKey;

import java.util.List;

/**
 * The pinned signing keys of an origin node — its own for this node, those exchanged out of band
 * for peers; current and past keys, so records signed before a rotation still verify. An origin
 * that is not pinned has no keys, and its records are refused.
 */
@FunctionalInterface
public interface OriginKeys {
    List<HybridPublicSigningKey> signingKeys(String nation, String node);
}
