package io.bulwark.crypto;

import io.bulwark.crypto.internal.AtomicFiles;
import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.ByteWriter;
import io.bulwark.crypto.internal.KeystoreEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStoreException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import javax.crypto.AEADBadTagException;

/**
 * A node's key material: its signing and KEM keysets, private and public, kept in one encrypted file.
 *
 * <p>The file (format in {@code docs/formats/crypto.md}) starts with magic bytes and a format version;
 * its key is derived from a passphrase with PBKDF2-HMAC-SHA256 at {@value #DEFAULT_ITERATIONS} iterations
 * (OWASP 2023; the JDK has no scrypt or Argon2, and this module takes no dependency) and it is encrypted
 * with AES-256-GCM, the header authenticated as associated data. It is replaced atomically: a temporary
 * file is written, forced to disk and renamed over the old one.
 *
 * <p><b>Security guarantees.</b> Without the passphrase the file reveals nothing of the keys, and any
 * change to it is detected. Opening fails with a precise {@link InvalidEncodingException} for a file that
 * is not a keystore, of an unsupported version or algorithm, or truncated; with
 * {@link AEADBadTagException} "wrong passphrase or corrupted keystore" when decryption fails, because
 * those two cannot be told apart. Callers should clear passphrase arrays after use.
 *
 * @param signing the node's signing keys
 * @param kem     the node's KEM keys
 */
public record Keystore(SigningKeyset signing, KemKeyset kem) {

    /** The environment variable {@link #open(Path)} reads the passphrase from. */
    public static final String PASSPHRASE_VARIABLE = "BULWARK_KEYSTORE_PASSPHRASE";

    /** PBKDF2-HMAC-SHA256 iterations of {@link #write}: the OWASP 2023 recommendation. */
    public static final int DEFAULT_ITERATIONS = 600_000;

    public Keystore {
        Objects.requireNonNull(signing, "signing");
        Objects.requireNonNull(kem, "kem");
    }

    /** A keystore with fresh signing and KEM keysets. */
    public static Keystore generate() {
        return new Keystore(SigningKeyset.generate(), KemKeyset.generate());
    }

    /**
     * The smallest generated passphrase {@link #writeUnderGeneratedPassphrase} takes: 32 characters, at
     * least 128 bits from a secure random generator in any usual text encoding of random bytes.
     */
    public static final int MIN_GENERATED_PASSPHRASE_CHARS = 32;

    /**
     * Writes this keystore to {@code file} under a passphrase a person chose, stretched with
     * {@value #DEFAULT_ITERATIONS} PBKDF2 iterations; atomically replaces what was there.
     *
     * @throws IllegalArgumentException if the passphrase is empty
     */
    public void write(Path file, char[] passphrase) throws IOException {
        write(file, passphrase, DEFAULT_ITERATIONS);
    }

    /**
     * Writes this keystore to {@code file} under a passphrase a program drew from a secure random
     * generator (as {@code bulwark init} does when no passphrase is given). Stretching protects a
     * guessable passphrase and adds nothing to one of 128 or more random bits, so the key derivation
     * runs one PBKDF2 iteration: opening takes microseconds instead of a second.
     *
     * @throws IllegalArgumentException if the passphrase is shorter than {@value #MIN_GENERATED_PASSPHRASE_CHARS}
     *                                  characters: not what a generator of enough randomness gives
     */
    public void writeUnderGeneratedPassphrase(Path file, char[] passphrase) throws IOException {
        if (passphrase.length < MIN_GENERATED_PASSPHRASE_CHARS) {
            throw new IllegalArgumentException("a generated keystore passphrase has at least " + MIN_GENERATED_PASSPHRASE_CHARS
                    + " characters; this one has " + passphrase.length);
        }
        write(file, passphrase, 1);
    }

    /** As {@link #write(Path, char[])} with a chosen iteration count: for tests, which need speed. */
    void write(Path file, char[] passphrase, int iterations) throws IOException {
        requirePassphrase(passphrase);
        ByteWriter payload = new ByteWriter(16 * 1024);
        signing.encodePrivate(payload);
        kem.encodePrivate(payload);
        byte[] plaintext = payload.toByteArray();
        try {
            AtomicFiles.write(file, KeystoreEnvelope.seal(plaintext, passphrase, iterations));
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /**
     * Opens a keystore file with a passphrase (e.g. one the command line prompted for).
     *
     * @throws InvalidEncodingException not a keystore, unsupported version or algorithm, truncated
     * @throws AEADBadTagException      "wrong passphrase or corrupted keystore"
     * @throws IOException              the file cannot be read
     */
    public static Keystore open(Path file, char[] passphrase) throws IOException, GeneralSecurityException {
        requirePassphrase(passphrase);
        byte[] payload = KeystoreEnvelope.open(Files.readAllBytes(file), passphrase);
        try {
            ByteReader in = new ByteReader("keystore payload", payload);
            Keystore keystore = new Keystore(SigningKeyset.decodePrivate(in), KemKeyset.decodePrivate(in));
            in.end();
            return keystore;
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    /**
     * Opens a keystore file with the passphrase in the environment variable {@value #PASSPHRASE_VARIABLE}.
     *
     * @throws KeyStoreException if the variable is unset or empty; otherwise as {@link #open(Path, char[])}
     */
    public static Keystore open(Path file) throws IOException, GeneralSecurityException {
        return open(file, System.getenv());
    }

    static Keystore open(Path file, Map<String, String> environment) throws IOException, GeneralSecurityException {
        String passphrase = environment.get(PASSPHRASE_VARIABLE);
        if (passphrase == null || passphrase.isEmpty()) {
            throw new KeyStoreException("environment variable " + PASSPHRASE_VARIABLE
                    + (passphrase == null ? " is not set" : " is empty") + ": it must hold the keystore passphrase");
        }
        char[] chars = passphrase.toCharArray();
        try {
            return open(file, chars);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    private static void requirePassphrase(char[] passphrase) {
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("the keystore passphrase must not be empty");
        }
    }
}
