package io.bulwark.record;

import io.bulwark.crypto.Keystore;
import io.bulwark.label.LabelFormat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Writes the test vectors of docs/formats/sealed-record.md (run once, by hand:
 * {@code java -cp <test classpath> io.bulwark.record.SealedRecordVectors FILE}). The vectors are
 * fixed bytes from then on; {@link SealedRecordVectorsTest} reads them.
 */
final class SealedRecordVectors {

    static final String PASSPHRASE = "bulwark test vectors";

    public static void main(String[] args) throws Exception {
        Keystore keys = Keystore.generate();
        Path ks = Files.createTempFile("vectors", ".bwks");
        keys.write(ks, PASSPHRASE.toCharArray());
        EpochKeyring epochs = new EpochKeyring(keys.signing(), "DEU", "deu-1",
                n -> n.equals("DEU") ? Optional.of(keys.kem().primary()) : Optional.<io.bulwark.crypto.HybridPublicKemKey>empty(),
                Duration.ofDays(3650), Clock.systemUTC());
        RecordSealer sealer = new RecordSealer(Federation.POLICIES, keys.signing(), epochs, "DEU", "deu-1", Clock.systemUTC());
        String[][] records = {
                {"NATO SECRET//REL TO DEU, FRA//COI ISR", "text/plain", "in=EU", "Convoy sighted at grid 32U MV 1234 5678."},
                {"GEHEIM", "application/json", "", "{\"report\":\"national only\"}"},
                {"NATO RESTRICTED", "application/octet-stream", "in=NATO;operator=DEU", ""},
        };
        List<RecordSealer.Prepared> batch = new java.util.ArrayList<>();
        for (String[] r : records) {
            byte[] payload = r[3].getBytes(StandardCharsets.UTF_8);
            batch.add(sealer.prepare(new RecordDraft(Federation.POLICIES.decode(LabelFormat.COMPACT, r[0]), r[2], r[1], payload.length), payload));
        }
        List<SealedRecord> sealed = sealer.sign(batch);
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder json = new StringBuilder("{\n  \"passphrase\": \"" + PASSPHRASE + "\",\n");
        json.append("  \"keystore\": \"").append(b64.encodeToString(Files.readAllBytes(ks))).append("\",\n");
        json.append("  \"origin\": {\"nation\": \"DEU\", \"node\": \"deu-1\"},\n  \"statements\": [");
        var statements = epochs.statements();
        for (int i = 0; i < statements.size(); i++) {
            json.append(i == 0 ? "\n" : ",\n").append("    \"").append(b64.encodeToString(statements.get(i).encode())).append('"');
        }
        json.append("\n  ],\n  \"records\": [");
        for (int i = 0; i < sealed.size(); i++) {
            SealedRecord s = sealed.get(i);
            json.append(i == 0 ? "\n" : ",\n").append("    {\"id\": \"").append(s.id()).append("\", \"label\": \"").append(records[i][0])
                    .append("\", \"contentType\": \"").append(records[i][1]).append("\", \"residency\": \"").append(records[i][2])
                    .append("\", \"created\": \"").append(s.header().created()).append("\", \"leafIndex\": ").append(i)
                    .append(", \"payloadBase64\": \"").append(b64.encodeToString(records[i][3].getBytes(StandardCharsets.UTF_8)))
                    .append("\",\n     \"sealed\": \"").append(b64.encodeToString(s.encode())).append("\"}");
        }
        json.append("\n  ]\n}\n");
        Files.writeString(Path.of(args[0]), json);
        Files.delete(ks);
    }
}
