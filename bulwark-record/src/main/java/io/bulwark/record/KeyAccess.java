package io.bulwark.record;

import io.bulwark.crypto.KeyId;

import java.util.Arrays;

/**
 * A key access entry: the record's data key wrapped under the origin's current epoch key for one
 * released nation (ZTDF's keyAccess object, one per recipient).
 */
public record KeyAccess(String nation, KeyId epochKeyId, byte[] wrappedKey) {

    public KeyAccess {
        wrappedKey = wrappedKey.clone();
    }

    @Override
    public byte[] wrappedKey() {
        return wrappedKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyAccess k && k.nation.equals(nation) && k.epochKeyId.equals(epochKeyId)
                && Arrays.equals(k.wrappedKey, wrappedKey);
    }

    @Override
    public int hashCode() {
        return nation.hashCode() * 31 + Arrays.hashCode(wrappedKey);
    }

    @Override
    public String toString() {
        return "KeyAccess[" + nation + ", epoch " + epochKeyId + "]";
    }
}
