package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.crypto.internal.KeystoreEnvelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStoreException;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoreTest {

    /** Tests use a low iteration count to stay fast; {@link #theDefaultIterationCountIsOwasp2023} checks the default. */
    private static final int FAST = 1_000;
    private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

    private static Keystore keystore;
    private static byte[] file;

    @TempDir
    Path directory;

    @BeforeAll
    static void writeOne(@TempDir Path shared) throws Exception {
        keystore = new Keystore(SigningKeyset.generate().rotate(), KemKeyset.generate().rotate());
        Path path = shared.resolve("node.keystore");
        keystore.write(path, PASSPHRASE, FAST);
        file = Files.readAllBytes(path);
    }

    private Path withBytes(byte[] bytes) throws Exception {
        Path path = directory.resolve("node.keystore");
        Files.write(path, bytes);
        return path;
    }

    @Test
    void roundTripsEveryKeyAndThePrimaries() throws Exception {
        Keystore opened = Keystore.open(withBytes(file), PASSPHRASE);

        assertThat(opened.signing().publicKeys()).isEqualTo(keystore.signing().publicKeys()).hasSize(2);
        assertThat(opened.signing().primary()).isEqualTo(keystore.signing().primary());
        assertThat(opened.kem().publicKeys()).isEqualTo(keystore.kem().publicKeys()).hasSize(2);
        assertThat(opened.kem().primary()).isEqualTo(keystore.kem().primary());
        byte[] message = "tree head".getBytes(StandardCharsets.UTF_8);
        keystore.signing().verify(opened.signing().sign(message), message);
        Encapsulation sent = keystore.kem().publicKeys().getFirst().encapsulate();
        assertThat(opened.kem().decapsulate(sent.encapsulation()).getEncoded()).isEqualTo(sent.sharedSecret().getEncoded());
    }

    @Test
    void theFileStartsWithMagicVersionAndAlgorithm() {
        assertThat(Arrays.copyOf(file, 12)).containsExactly(0x89, 'B', 'W', 'K', '\r', '\n', 0x1A, '\n', 0, 1, 5, 1);
    }

    @Test
    void aWrongPassphraseFails() throws Exception {
        Path path = withBytes(file);

        assertThatThrownBy(() -> Keystore.open(path, "correct horse battery stapler".toCharArray()))
                .isInstanceOf(AEADBadTagException.class).hasMessage("wrong passphrase or corrupted keystore");
    }

    @Test
    void aCorruptedByteAnywhereFails() throws Exception {
        // Each authenticated field of the header, and bytes of the ciphertext.
        for (int offset : new int[] {12 + 3, 16, 47, 48, 59, 64, 1000, file.length - 1}) {
            byte[] corrupted = file.clone();
            corrupted[offset] ^= 0x01;
            Path path = withBytes(corrupted);
            assertThatThrownBy(() -> Keystore.open(path, PASSPHRASE)).as("byte %d", offset)
                    .isInstanceOf(AEADBadTagException.class).hasMessage("wrong passphrase or corrupted keystore");
        }
    }

    @Test
    void notAKeystoreIsNamed() throws Exception {
        byte[] text = "-----BEGIN PRIVATE KEY-----".getBytes(StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> Keystore.open(withBytes(text), PASSPHRASE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("keystore file at byte 0: not a Bulwark keystore (bad magic bytes)");
        assertThatThrownBy(() -> Keystore.open(withBytes(new byte[0]), PASSPHRASE))
                .hasMessage("keystore file at byte 0: truncated: 0 bytes, the header alone is 64");
    }

    @Test
    void anUnknownVersionIsNamed() throws Exception {
        byte[] future = file.clone();
        future[9] = 2;

        assertThatThrownBy(() -> Keystore.open(withBytes(future), PASSPHRASE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("keystore file at byte 8: unsupported keystore format version 2 (this build reads version 1)");
    }

    @Test
    void anUnknownAlgorithmOrAbsurdIterationCountIsNamed() throws Exception {
        byte[] unknown = file.clone();
        unknown[11] = 9;
        byte[] tooMany = file.clone();
        tooMany[12] = 0x7f;

        assertThatThrownBy(() -> Keystore.open(withBytes(unknown), PASSPHRASE))
                .hasMessage("keystore file at byte 10: unknown algorithm id 0x0509");
        assertThatThrownBy(() -> Keystore.open(withBytes(tooMany), PASSPHRASE))
                .hasMessageStartingWith("keystore file at byte 12: PBKDF2 iteration count 2130707432 outside 1..10000000");
    }

    @Test
    void truncationIsNamed() throws Exception {
        assertThatThrownBy(() -> Keystore.open(withBytes(Arrays.copyOf(file, 40)), PASSPHRASE))
                .isInstanceOf(InvalidEncodingException.class)
                .hasMessage("keystore file at byte 40: truncated: 40 bytes, the header alone is 64");
        int ciphertext = file.length - 64;
        assertThatThrownBy(() -> Keystore.open(withBytes(Arrays.copyOf(file, file.length - 1)), PASSPHRASE))
                .hasMessage("keystore file at byte " + (file.length - 1) + ": truncated: the header announces "
                        + ciphertext + " bytes of ciphertext, the file has " + (ciphertext - 1));
        assertThatThrownBy(() -> Keystore.open(withBytes(Arrays.copyOf(file, file.length + 3)), PASSPHRASE))
                .hasMessage("keystore file at byte " + file.length + ": 3 unexpected bytes after the ciphertext");
    }

    @Test
    void writingReplacesTheFileAtomicallyAndPrivately() throws Exception {
        Path path = directory.resolve("node.keystore");
        Files.writeString(path, "old");
        Keystore other = Keystore.generate();

        other.write(path, PASSPHRASE, FAST);

        assertThat(Keystore.open(path, PASSPHRASE).signing().primary()).isEqualTo(other.signing().primary());
        try (var listing = Files.list(directory)) {
            assertThat(listing).containsExactly(path); // no temporary file left behind
        }
        if (Files.getFileStore(path).supportsFileAttributeView("posix")) {
            assertThat(Files.getPosixFilePermissions(path))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
    }

    @Test
    void aMissingFileIsAnIoError() {
        assertThatThrownBy(() -> Keystore.open(directory.resolve("absent"), PASSPHRASE))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void thePassphraseCanComeFromTheEnvironment() throws Exception {
        Path path = withBytes(file);

        Keystore opened = Keystore.open(path, Map.of(Keystore.PASSPHRASE_VARIABLE, new String(PASSPHRASE)));

        assertThat(opened.signing().primary()).isEqualTo(keystore.signing().primary());
        assertThatThrownBy(() -> Keystore.open(path, Map.of()))
                .isInstanceOf(KeyStoreException.class)
                .hasMessage("environment variable BULWARK_KEYSTORE_PASSPHRASE is not set: it must hold the keystore passphrase");
        assertThatThrownBy(() -> Keystore.open(path, Map.of(Keystore.PASSPHRASE_VARIABLE, "")))
                .hasMessageContaining("BULWARK_KEYSTORE_PASSPHRASE is empty");
        assertThatThrownBy(() -> keystore.write(path, new char[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the keystore passphrase must not be empty");
    }

    @Test
    void aGeneratedPassphraseIsNotStretchedAndMustBeLongEnoughToBeOne() throws Exception {
        Path path = directory.resolve("generated.keystore");
        char[] generated = "Rk8xQ2Vx3JvZp0mYb7WcT1sLh5NdA9uE".toCharArray(); // 24 random bytes, base64url

        keystore.writeUnderGeneratedPassphrase(path, generated);

        assertThat(KeystoreEnvelope.iterations(Files.readAllBytes(path))).isEqualTo(1);
        assertThat(Keystore.open(path, generated).kem().primary()).isEqualTo(keystore.kem().primary());
        assertThatThrownBy(() -> Keystore.open(path, "Rk8xQ2Vx3JvZp0mYb7WcT1sLh5NdA9uF".toCharArray()))
                .isInstanceOf(AEADBadTagException.class);
        byte[] before = Files.readAllBytes(path);
        assertThatThrownBy(() -> keystore.writeUnderGeneratedPassphrase(path, "correct horse battery staple".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a generated keystore passphrase has at least 32 characters; this one has 28");
        assertThat(Files.readAllBytes(path)).as("nothing written").isEqualTo(before);
    }

    @Test
    void theDefaultIterationCountIsOwasp2023() throws Exception {
        // One real write at the default (about a second here): the header records the count used.
        Path path = directory.resolve("default.keystore");
        keystore.write(path, PASSPHRASE);

        assertThat(Keystore.DEFAULT_ITERATIONS).isEqualTo(600_000);
        assertThat(KeystoreEnvelope.iterations(Files.readAllBytes(path))).isEqualTo(600_000);
    }
}
