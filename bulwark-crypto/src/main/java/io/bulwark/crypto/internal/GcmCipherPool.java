package io.bulwark.crypto.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.crypto.Cipher;

/**
 * A few AES-GCM {@link Cipher}s kept with one long-lived key (an epoch key wraps a data key per record
 * and nation). Initialising a Cipher again with the key it last had skips the AES key schedule (SunJCE
 * keeps it while the key bytes are equal) and the provider look-up of a new Cipher; every use still
 * initialises it with a fresh nonce, so nothing but that work is shared.
 *
 * <p>Lock-free, so a virtual thread never blocks or pins its carrier here: {@link #take} empties a slot
 * or makes a new Cipher, {@link #give} fills an empty slot or drops the Cipher. A Cipher is used by one
 * caller between the two. A caller whose operation failed does not give its Cipher back.
 */
public final class GcmCipherPool {

    private static final int SLOTS = 8;

    private final AtomicReferenceArray<Cipher> slots = new AtomicReferenceArray<>(SLOTS);

    /** A Cipher for this pool's key alone: last initialised with it, or new. */
    public Cipher take() {
        for (int i = 0; i < SLOTS; i++) {
            if (slots.get(i) != null) {
                Cipher c = slots.getAndSet(i, null);
                if (c != null) {
                    return c;
                }
            }
        }
        return Jca.aesGcm();
    }

    /** Keeps a Cipher that completed an operation under this pool's key, if a slot is free. */
    public void give(Cipher cipher) {
        for (int i = 0; i < SLOTS; i++) {
            if (slots.get(i) == null && slots.compareAndSet(i, null, cipher)) {
                return;
            }
        }
    }
}
