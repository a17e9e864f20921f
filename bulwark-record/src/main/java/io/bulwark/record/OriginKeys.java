package io.bulwark.record;

import io.bulwark.crypto.HybridPublicSigningKey;

import java.security.GeneralSecurityException;
import java.util.List;

/**
 * The pinned signing keys of an origin node — its own for this node, those exchanged out of band
 * for peers; current and past keys, so records signed before a rotation still verify. An origin
 * that is not pinned has no keys, and its records are refused.
 */
@FunctionalInterface
public interface OriginKeys {

    List<HybridPublicSigningKey> signingKeys(String nation, String node);

    /**
     * The pinned key of this origin under which the signature verifies; throws
     * {@link InvalidRecordException} naming {@code what} if the origin is not pinned or no pinned key
     * verifies it.
     */
    default HybridPublicSigningKey verifying(String nation, String node, byte[] signature, byte[] message, String what) {
        List<HybridPublicSigningKey> keys = signingKeys(nation, node);
        if (keys.isEmpty()) {
            throw new InvalidRecordException(what + ": the origin is not pinned");
        }
        for (HybridPublicSigningKey key : keys) {
            try {
                key.verify(signature, message);
                return key;
            } catch (GeneralSecurityException e) {
                // the next pinned key (rotation)
            }
        }
        throw new InvalidRecordException(what + ": the binding does not verify against the origin's pinned keys "
                + "(its content changed, or it was signed by a key that is not pinned)");
    }
}
