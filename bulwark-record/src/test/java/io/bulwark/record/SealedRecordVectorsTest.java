package io.bulwark.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.crypto.Keystore;
import io.bulwark.label.LabelFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test vectors of docs/formats/sealed-record.md: fixed bytes that this code must keep opening. */
class SealedRecordVectorsTest {

    static JsonNode vectors;
    static RecordOpener opener;

    @BeforeAll
    static void open(@TempDir Path dir) throws Exception {
        try (InputStream in = SealedRecordVectorsTest.class.getResourceAsStream("/vectors/sealed-record-v2.json")) {
            vectors = new ObjectMapper().readTree(in);
        }
        Path ks = dir.resolve("vectors.bwks");
        Files.write(ks, Base64.getDecoder().decode(vectors.path("keystore").asText()));
        Keystore keys = Keystore.open(ks, vectors.path("passphrase").asText().toCharArray());
        var pinned = keys.signing().publicKeys();
        opener = new RecordOpener(Federation.POLICIES, "DEU", keys.kem(),
                (nation, node) -> nation.equals("DEU") && node.equals("deu-1") ? pinned : List.of());
        for (JsonNode s : vectors.path("statements")) {
            opener.accept(EpochKeyStatement.decode(Base64.getDecoder().decode(s.asText())));
        }
    }

    @Test
    void everyVectorOpensToItsExpectedFields() {
        List<String> failures = new ArrayList<>();
        for (JsonNode v : vectors.path("records")) {
            String id = v.path("id").asText();
            try {
                SealedRecord r = opener.verify(Base64.getDecoder().decode(v.path("sealed").asText()));
                check(failures, id, "id", r.id().toString(), id);
                check(failures, id, "label", Federation.POLICIES.canonicalMarking(r.label()),
                        Federation.POLICIES.canonicalMarking(Federation.POLICIES.decode(LabelFormat.COMPACT, v.path("label").asText())));
                check(failures, id, "content type", r.header().contentType(), v.path("contentType").asText());
                check(failures, id, "residency", r.residency(), v.path("residency").asText());
                check(failures, id, "created", r.header().created(), Instant.parse(v.path("created").asText()));
                check(failures, id, "origin", r.header().originNation() + "/" + r.header().originNode(), "DEU/deu-1");
                check(failures, id, "leaf index", r.binding().leafIndex(), v.path("leafIndex").asLong());
                check(failures, id, "payload", Base64.getEncoder().encodeToString(opener.openAll(r)), v.path("payloadBase64").asText());
            } catch (RuntimeException e) {
                failures.add(id + ": " + e);
            }
        }
        assertThat(vectors.path("records").size()).isEqualTo(3);
        assertThat(failures).isEmpty();
    }

    @Test
    void aVectorWithOneChangedByteIsRefused() {
        byte[] sealed = Base64.getDecoder().decode(vectors.path("records").get(0).path("sealed").asText());
        sealed[30] ^= 1; // inside the header: the origin node's name
        assertThatThrownBy(() -> opener.verify(sealed)).isInstanceOf(InvalidRecordException.class);
    }

    private static void check(List<String> failures, String id, String field, Object actual, Object expected) {
        if (!actual.equals(expected)) failures.add(id + ": " + field + " is " + actual + ", expected " + expected);
    }
}
