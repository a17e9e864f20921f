package io.bulwark.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;

/**
 * Authenticated encryption with associated data: the one way to encrypt a byte array in Bulwark.
 * Implemented by a single key ({@link AeadKey}) and by a keyset that rotates ({@link AeadKeyset}).
 *
 * <p><b>Security guarantees.</b> AES-256-GCM. {@code decrypt} returns plaintext only if the ciphertext
 * was produced by {@code encrypt} under the same key with the same associated data, unmodified; the
 * associated data is authenticated, not encrypted. The library picks a fresh random 96-bit nonce for every
 * call: callers never handle nonces. Random nonces bound a key to about 2<sup>32</sup> messages (NIST SP
 * 800-38D) — use a fresh key per record or rotate. A decrypt failure says only "decryption failed", never
 * which check failed. Ciphertexts carry the algorithm id and the key id in the clear.
 */
public sealed interface Aead permits AeadKey, AeadKeyset {

    /**
     * Encrypts and authenticates {@code plaintext}, and authenticates {@code associatedData}.
     *
     * @param associatedData bound to the ciphertext but not encrypted; an empty array for none
     * @return {@code u16 algorithm id || key id (8) || nonce (12) || ciphertext || tag (16)}: 38 bytes more
     *         than the plaintext
     */
    byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException;

    /**
     * Decrypts a ciphertext of {@link #encrypt}, given the same associated data.
     *
     * @throws InvalidEncodingException if its public framing is malformed (too short, unknown algorithm id)
     * @throws AEADBadTagException      "decryption failed": wrong key, modified bytes or associated data
     */
    byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException;
}
