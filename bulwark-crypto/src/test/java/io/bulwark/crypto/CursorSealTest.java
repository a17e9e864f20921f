package io.bulwark.crypto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class CursorSealTest {

    @Test
    void aCursorOpensOnlyUnalteredInItsOwnContextAndAcrossRestarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cursor.key");
        CursorSeal seal = CursorSeal.open(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String cursor = seal.seal(42, "changes");

        assertThat(seal.open(cursor, "changes")).isEqualTo(OptionalLong.of(42));
        assertThat(CursorSeal.open(file).open(cursor, "changes")).as("the key survives a restart").isEqualTo(OptionalLong.of(42));
        assertThat(seal.open(cursor, "feed")).as("another context").isEmpty();
        assertThat(CursorSeal.open(dir.resolve("other.key")).open(cursor, "changes")).as("another node's key").isEmpty();

        byte[] bytes = Base64.getUrlDecoder().decode(cursor);
        bytes[bytes.length - 1] ^= 1;
        assertThat(seal.open(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes), "changes")).as("altered").isEmpty();
        assertThat(seal.open("not base64!", "changes")).isEmpty();
        assertThat(seal.open("", "changes")).isEmpty();
    }

    @Test
    void aKeyForOnePurposeOpensNoCursorOfAnother(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cursor.key");
        CursorSeal clients = CursorSeal.open(file, "changes");
        String cursor = clients.seal(9, "ctx");
        assertThat(CursorSeal.open(file, "changes").open(cursor, "ctx")).isEqualTo(OptionalLong.of(9));
        assertThat(CursorSeal.open(file).open(cursor, "ctx")).as("the file's own key").isEmpty();
        assertThat(CursorSeal.open(file, "other").open(cursor, "ctx")).isEmpty();
        assertThat(clients.open(CursorSeal.open(file).seal(9, "ctx"), "ctx")).isEmpty();
    }

    @Test
    void theSamePositionSealsDifferentlyEachTime(@TempDir Path dir) throws Exception {
        CursorSeal seal = CursorSeal.open(dir.resolve("cursor.key"));
        assertThat(seal.seal(7, "changes")).isNotEqualTo(seal.seal(7, "changes"));
    }

    @Test
    void aFileThatIsNotAKeyIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cursor.key");
        Files.write(file, new byte[5]);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CursorSeal.open(file))
                .hasMessageContaining("not a cursor key (32 bytes expected, 5 found)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CursorSeal.open(file, "changes"))
                .hasMessageContaining("not a cursor key");
    }

    @Test
    void aPositionGivenAsBytesOpensOnlyAsBytesInItsOwnContext(@TempDir Path dir) throws Exception {
        CursorSeal seal = CursorSeal.open(dir.resolve("cursor.key"), "listing");
        byte[] position = "AQAAAZqDZzJ1AZqDZzJ1cHCxAAAAAAAAAAA".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        String cursor = seal.seal(position, "records");

        assertThat(seal.openBytes(cursor, "records")).hasValueSatisfying(p -> assertThat(p).isEqualTo(position));
        assertThat(seal.openBytes(cursor, "changes")).isEmpty();
        assertThat(seal.open(cursor, "records")).as("not a log position").isEmpty();
        assertThat(seal.openBytes(cursor.substring(1), "records")).isEmpty();
    }
}
