package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.crypto.internal.ByteReader;
import io.bulwark.crypto.internal.CatKdf;
import io.bulwark.crypto.internal.HybridKemScheme;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every vector of {@code crypto-vectors.json} (made by an independent implementation, see
 * {@code src/test/python/crypto_vectors.py}), and every vector quoted in {@code docs/formats/crypto.md}.
 * Failures are collected by vector id, then asserted empty.
 */
class CryptoVectorsTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final Path DOC = Path.of("..", "docs", "formats", "crypto.md");

    @TempDir
    Path directory;

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> vectors() throws IOException {
        try (InputStream in = CryptoVectorsTest.class.getResourceAsStream("crypto-vectors.json")) {
            Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) (List<?>) root.get("vectors");
        }
    }

    @Test
    void everyVectorPasses() throws Exception {
        List<String> failures = new ArrayList<>();
        Set<String> types = new TreeSet<>();
        List<Map<String, Object>> vectors = vectors();
        for (Map<String, Object> vector : vectors) {
            types.add((String) vector.get("type"));
            try {
                check(new Vector(vector));
            } catch (Throwable failure) {
                failures.add(vector.get("id") + ": " + failure);
            }
        }
        assertThat(failures).isEmpty();
        assertThat(types).containsExactlyInAnyOrder("catkdf", "kem-combiner", "public-signing-key", "signature",
                "public-kem-key", "kem-decapsulation", "aead", "aead-from-shared-secret", "stream", "stream-segment",
                "keystore");
        assertThat(vectors).hasSizeGreaterThanOrEqualTo(20);
    }

    /**
     * The formats document quotes vectors as {@code <!-- vector: id -->} followed by a table of
     * {@code | field | `value` |} rows: each quoted value must be the JSON's.
     */
    @Test
    void theFormatsDocumentQuotesTheVectorsExactly() throws Exception {
        Map<String, Map<String, Object>> byId = new java.util.HashMap<>();
        for (Map<String, Object> vector : vectors()) {
            byId.put((String) vector.get("id"), vector);
        }
        List<String> lines = Files.readAllLines(DOC);
        Pattern marker = Pattern.compile("<!-- vector: (\\S+) -->");
        Pattern row = Pattern.compile("\\|\\s*(\\w+)\\s*\\|\\s*`([^`]*)`\\s*\\|");
        List<String> failures = new ArrayList<>();
        int quoted = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = marker.matcher(lines.get(i));
            if (!m.find()) {
                continue;
            }
            String id = m.group(1);
            Map<String, Object> vector = byId.get(id);
            if (vector == null) {
                failures.add("the document quotes unknown vector " + id);
                continue;
            }
            for (int j = i + 1; j < lines.size() && !lines.get(j).isBlank(); j++) {
                Matcher r = row.matcher(lines.get(j));
                if (r.find()) {
                    quoted++;
                    Object expected = vector.get(r.group(1));
                    if (expected == null || !String.valueOf(expected).equals(r.group(2))) {
                        failures.add(id + "." + r.group(1) + ": the document says " + r.group(2) + ", the JSON " + expected);
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(quoted).as("values quoted in %s", DOC).isGreaterThanOrEqualTo(20);
    }

    private void check(Vector v) throws Exception {
        switch (v.string("type")) {
            case "catkdf" -> assertThat(CatKdf.derive(v.bytes("psk"), List.of(v.bytes("k1"), v.bytes("k2")),
                    v.bytes("ma"), v.bytes("mb"), v.bytes("context"), v.bytes("label"), (int) v.number("length")))
                    .isEqualTo(v.bytes("key_material"));
            case "kem-combiner" -> assertThat(HybridKemScheme.combine(v.bytes("mlkem_secret"), v.bytes("x25519_secret"),
                    v.bytes("mlkem_public_key"), v.bytes("x25519_public_key"), v.bytes("mlkem_ciphertext"),
                    v.bytes("x25519_ciphertext"))).isEqualTo(v.bytes("shared_secret"));
            case "public-signing-key" -> {
                HybridPublicSigningKey key = HybridPublicSigningKey.parse(v.bytes("encoded"));
                assertThat(key.encode()).isEqualTo(v.bytes("encoded"));
                assertThat(key.fingerprint().hex()).isEqualTo(v.string("fingerprint"));
                assertThat(key.keyId().hex()).isEqualTo(v.string("key_id"));
            }
            case "public-kem-key" -> {
                HybridPublicKemKey key = HybridPublicKemKey.parse(v.bytes("encoded"));
                assertThat(key.encode()).isEqualTo(v.bytes("encoded"));
                assertThat(key.fingerprint().hex()).isEqualTo(v.string("fingerprint"));
                assertThat(key.keyId().hex()).isEqualTo(v.string("key_id"));
            }
            case "signature" -> v.outcome(() -> {
                HybridPublicSigningKey.parse(v.bytes("public_key")).verify(v.bytes("signature"), v.bytes("message"));
                return null;
            });
            case "kem-decapsulation" -> {
                KemKeyset keyset = KemKeyset.decodePrivate(new ByteReader("KEM keyset", v.bytes("kem_keyset")));
                assertThat(keyset.decapsulate(v.bytes("encapsulation")).getEncoded()).isEqualTo(v.bytes("shared_secret"));
            }
            case "aead" -> v.outcome(() -> AeadKey.fromBytes(v.keyId(), v.bytes("key"))
                    .decrypt(v.bytes("ciphertext"), v.bytes("associated_data")));
            case "aead-from-shared-secret" -> {
                AeadKey key = AeadKey.fromSharedSecret(new SecretKeySpec(v.bytes("shared_secret"), "Generic"));
                assertThat(key.keyId()).isEqualTo(v.keyId());
                assertThat(key.decrypt(v.bytes("ciphertext"), v.bytes("associated_data"))).isEqualTo(v.bytes("plaintext"));
            }
            case "stream" -> v.outcome(() -> {
                StreamingAeadKey key = StreamingAeadKey.fromBytes(v.keyId(), v.bytes("key"));
                try (InputStream in = key.newDecryptingStream(new ByteArrayInputStream(v.bytes("ciphertext")),
                        v.bytes("associated_data"))) {
                    return in.readAllBytes();
                }
            });
            case "stream-segment" -> assertThat(StreamingAeadKey.fromBytes(v.keyId(), v.bytes("key"))
                    .newSegmentDecrypter(v.bytes("header"), v.bytes("associated_data"))
                    .decryptSegment(v.number("index"), v.bytes("segment"), (Boolean) v.fields.get("last")))
                    .isEqualTo(v.bytes("plaintext"));
            case "keystore" -> v.outcome(() -> {
                Path file = Files.write(directory.resolve(v.string("id")), v.bytes("file"));
                Keystore keystore = Keystore.open(file, v.string("passphrase").toCharArray());
                assertThat(keystore.signing().primary().fingerprint().hex()).isEqualTo(v.string("signing_fingerprint"));
                assertThat(keystore.kem().primary().fingerprint().hex()).isEqualTo(v.string("kem_fingerprint"));
                return null;
            });
            default -> throw new AssertionError("unknown vector type " + v.string("type"));
        }
    }

    private record Vector(Map<String, Object> fields) {

        String string(String name) {
            Object value = fields.get(name);
            if (value == null) {
                throw new AssertionError("missing field " + name);
            }
            return (String) value;
        }

        byte[] bytes(String name) {
            return HEX.parseHex(string(name));
        }

        long number(String name) {
            return (Long) fields.get(name);
        }

        KeyId keyId() {
            return new KeyId(HexFormat.fromHexDigitsToLong(string("key_id")));
        }

        interface Operation {
            Object run() throws Exception;
        }

        /** Runs the operation: it must give {@code plaintext} (if present), or fail with exactly {@code error}. */
        void outcome(Operation operation) throws Exception {
            String error = (String) fields.get("error");
            Object result;
            try {
                result = operation.run();
            } catch (Exception e) {
                if (error == null) {
                    throw e;
                }
                assertThat(e).hasMessage(error);
                return;
            }
            assertThat(error).as("expected failure").isNull();
            if (fields.containsKey("plaintext")) {
                assertThat((byte[]) result).isEqualTo(bytes("plaintext"));
            }
        }
    }
}
