/**
 * Bulwark's cryptography: hybrid post-quantum + classical signatures and key encapsulation, AEAD,
 * streaming AEAD, and the node keystore — misuse-resistant primitives in the manner of Google Tink, on the
 * JDK 25's own providers only (SUN, SunEC, SunJCE; no Bouncy Castle, nothing home-made).
 *
 * <h2>Public API (everything else is {@code io.bulwark.crypto.internal})</h2>
 * <ul>
 *   <li>Signatures: {@link io.bulwark.crypto.SigningKeyset} ({@code generate, rotate, withoutKey, primary,
 *       publicKeys, sign, verify}) and {@link io.bulwark.crypto.HybridPublicSigningKey} ({@code parse,
 *       encode, algorithm, keyId, fingerprint, verify}): ML-DSA-65 + Ed25519, valid only if both verify.</li>
 *   <li>Key encapsulation: {@link io.bulwark.crypto.KemKeyset} ({@code generate, rotate, withoutKey,
 *       primary, publicKeys, decapsulate}), {@link io.bulwark.crypto.HybridPublicKemKey} ({@code parse,
 *       encode, algorithm, keyId, fingerprint, encapsulate}) and {@link io.bulwark.crypto.Encapsulation}:
 *       ML-KEM-768 + X25519 combined with ETSI TS 103 744 CatKDF over HKDF-SHA256.</li>
 *   <li>AEAD: the interface {@link io.bulwark.crypto.Aead} ({@code encrypt, decrypt}), implemented by
 *       {@link io.bulwark.crypto.AeadKey} ({@code generate, fromSharedSecret, keyId, wrap, unwrap}) and
 *       {@link io.bulwark.crypto.AeadKeyset} ({@code of, generate, rotate, withPrimary, primary, keyIds}):
 *       AES-256-GCM, random nonces chosen by the library.</li>
 *   <li>Streaming AEAD: {@link io.bulwark.crypto.StreamingAeadKey} ({@code generate, newEncryptingStream,
 *       newDecryptingStream, newSegmentDecrypter, wrap, unwrap}): 64 KiB segments, STREAM construction.</li>
 *   <li>Keystore: {@link io.bulwark.crypto.Keystore} ({@code generate, write, open}): an encrypted,
 *       versioned file, passphrase through PBKDF2-HMAC-SHA256.</li>
 *   <li>Identity and agility: {@link io.bulwark.crypto.Algorithm} (the registered two-byte identifiers),
 *       {@link io.bulwark.crypto.KeyId}, {@link io.bulwark.crypto.Fingerprint}, and
 *       {@link io.bulwark.crypto.InvalidEncodingException}.</li>
 * </ul>
 *
 * <h2>Errors: one rule</h2>
 * Every failure caused by bytes or secrets from outside is a checked
 * {@link java.security.GeneralSecurityException}, so one {@code catch} covers all untrusted input:
 * <ul>
 *   <li>Malformed public framing — wrong length, unknown algorithm id, an id of the wrong kind, bad magic,
 *       unsupported version, truncation — is the subclass {@link io.bulwark.crypto.InvalidEncodingException},
 *       whose message names the input, the byte offset and the rule. These checks read only public bytes,
 *       so precision costs nothing.</li>
 *   <li>A check that involves a key fails tersely: {@code SignatureException("invalid signature")},
 *       {@code AEADBadTagException("decryption failed")}, {@code DecapsulateException("decapsulation
 *       failed")}, {@code AEADBadTagException("wrong passphrase or corrupted keystore")}. A decrypt
 *       failure never says which check failed (wrong key, tag, associated data, truncation).</li>
 *   <li>Streams report failures as {@link java.io.IOException} whose cause is the
 *       {@code GeneralSecurityException}. Files report I/O as {@code IOException}.</li>
 *   <li>Programming errors (null, an empty passphrase, retiring the primary key) are unchecked
 *       {@code NullPointerException} / {@code IllegalArgumentException}; a JDK without its providers is an
 *       unchecked {@link java.security.ProviderException}.</li>
 * </ul>
 *
 * <h2>Conventions</h2>
 * Handles are immutable and thread-safe (streams are not). Secrets never appear in {@code toString}. MACs,
 * tags and fingerprints are compared in constant time. Every encoding starts with an
 * {@link io.bulwark.crypto.Algorithm} id; byte layouts and test vectors are in
 * {@code docs/formats/crypto.md}.
 */
package io.bulwark.crypto;
