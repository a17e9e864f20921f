package io.bulwark.store.internal;

import java.security.SecureRandom;
import java.util.function.ToLongFunction;

/** 64-bit hashes of blob keys for compact in-memory indexes. */
public final class KeyHash {

    private KeyHash() {
    }

    /**
     * A hash function from a random seed: FNV-1a, then MurmurHash3's finaliser. The seed keeps a
     * peer that chooses record ids from crafting keys that collide, and makes a collision in one
     * process unlikely to repeat in the next.
     */
    public static ToLongFunction<String> seeded() {
        long seed = new SecureRandom().nextLong();
        return key -> {
            long h = seed ^ 0xcbf29ce484222325L;
            for (int i = 0; i < key.length(); i++) h = (h ^ key.charAt(i)) * 0x100000001b3L;
            h = (h ^ h >>> 33) * 0xff51afd7ed558ccdL;
            h = (h ^ h >>> 33) * 0xc4ceb9fe1a85ec53L;
            return h ^ h >>> 33;
        };
    }
}
