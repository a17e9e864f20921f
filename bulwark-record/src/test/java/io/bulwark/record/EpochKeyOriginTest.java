package io.bulwark.record;

import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.LabelFormat;
import io.bulwark.record.internal.MerkleTree;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An epoch key serves the records of the origin that announced it, and no other origin's. */
class EpochKeyOriginTest {

    @Test
    void anotherOriginCannotPassOffThisOriginsKeyAccessAsItsOwn() throws Exception {
        Federation deu = new Federation(List.of("DEU", "FRA"));
        byte[] payload = "what DEU released to FRA under its label".getBytes(StandardCharsets.UTF_8);
        var label = Federation.POLICIES.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU, FRA");
        SealedRecord original = deu.sealer.seal(new RecordDraft(label, "in=EU", "text/plain", payload.length), payload);

        // USA/usa-1, also pinned at FRA, copies DEU's key access entries and ciphertext into a record it signs as its own.
        SigningKeyset usa = SigningKeyset.generate();
        RecordHeader h = original.header();
        RecordHeader forgedHeader = new RecordHeader(h.id(), "USA", "usa-1", h.created(), h.contentType(), h.payloadSize());
        byte[] ciphertext;
        try (InputStream in = original.ciphertextStream()) {
            ciphertext = in.readAllBytes();
        }
        byte[] prefix = SealedRecord.encodePrefix(forgedHeader, Federation.POLICIES.compile(label).json(), original.residency(),
                ciphertext.length, original.keyAccess());
        MessageDigest afterContent = SealedRecord.hashing(prefix, 0, prefix.length);
        afterContent.update(ciphertext);
        byte[] contentDigest = SealedRecord.digestSoFar(afterContent);
        byte[] root = MerkleTree.leafHash(SealedRecord.leaf(contentDigest)); // a batch of one
        byte[] signature = usa.sign(RecordSealer.batchMessage("USA", "usa-1", 1, root));
        SealedRecord forged = new SealedRecord(forgedHeader, label, original.residency(), original.keyAccess(), prefix, ciphertext,
                afterContent, contentDigest, new SealedRecord.Binding(1, 0, List.of(), signature));

        List<HybridPublicSigningKey> deuKeys = deu.originSigner.publicKeys();
        List<HybridPublicSigningKey> usaKeys = usa.publicKeys();
        OriginKeys pinned = (nation, node) -> switch (nation + "/" + node) {
            case "DEU/deu-1" -> deuKeys;
            case "USA/usa-1" -> usaKeys;
            default -> List.of();
        };
        RecordOpener fra = new RecordOpener(Federation.POLICIES, "FRA", deu.kem.get("FRA"), pinned);
        deu.epochs.statements().stream().filter(s -> s.recipientNation().equals("FRA")).forEach(fra::accept);

        assertThat(fra.openAll(fra.verify(original.encode()))).isEqualTo(payload);
        SealedRecord verified = fra.verify(forged.encode()); // a well-formed record, signed by a pinned origin
        assertThatThrownBy(() -> fra.openAll(verified))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("is not known here yet");
    }
}
