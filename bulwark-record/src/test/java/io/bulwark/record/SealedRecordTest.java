package io.bulwark.record;

import io.bulwark.crypto.KemKeyset;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.LabelFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SealedRecordTest {

    static final List<String> NATO = List.copyOf(Federation.POLICIES.groups().get("NATO"));
    final Federation f = new Federation(NATO);

    static ConfidentialityLabel label(String compact) {
        return Federation.POLICIES.decode(LabelFormat.COMPACT, compact);
    }

    RecordDraft draft(String compact, byte[] payload) {
        return new RecordDraft(label(compact), "in=EU", "text/plain", payload.length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NATO SECRET//REL TO DEU", "NATO SECRET//REL TO DEU, FRA, USA", "NATO SECRET"})
    void sealsAndOpensForEveryReleasedNationOnly(String compact) throws Exception {
        byte[] payload = "the payload".getBytes(StandardCharsets.UTF_8);
        SealedRecord sealed = f.sealer.seal(draft(compact, payload), payload);
        var released = Federation.POLICIES.compile(sealed.label()).releasableNations();
        assertThat(sealed.keyAccess()).extracting(KeyAccess::nation).containsExactlyElementsOf(released);
        byte[] bytes = sealed.encode();
        for (String nation : NATO) {
            RecordOpener opener = f.opener(nation);
            if (released.contains(nation)) {
                assertThat(opener.openAll(opener.verify(bytes))).isEqualTo(payload);
            } else {
                assertThatThrownBy(() -> opener.verify(bytes)).isInstanceOf(InvalidRecordException.class)
                        .hasMessageContaining("does not release it to " + nation);
                // Even with the bytes in hand, there is no key access entry for it.
                assertThat(sealed.keyAccess()).noneMatch(k -> k.nation().equals(nation));
            }
        }
        if (compact.equals("NATO SECRET")) {
            assertThat(sealed.keyAccess()).hasSize(32); // default release: every NATO member, one wrap each
        }
    }

    @Test
    void decodedRecordEqualsWhatWasSealed() throws Exception {
        byte[] payload = new byte[200_000];
        new Random(1).nextBytes(payload);
        SealedRecord sealed = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA//COI ISR", payload), payload);
        SealedRecord decoded = SealedRecord.decode(sealed.encode(), Federation.POLICIES);
        assertThat(decoded.header()).isEqualTo(sealed.header());
        assertThat(decoded.label()).isEqualTo(sealed.label());
        assertThat(decoded.residency()).isEqualTo("in=EU");
        assertThat(decoded.keyAccess()).isEqualTo(sealed.keyAccess());
        assertThat(decoded.encode()).isEqualTo(sealed.encode());
        assertThat(f.opener("FRA").openAll(f.opener("FRA").verify(decoded))).isEqualTo(payload);
    }

    @Test
    void aBatchSharesOneSignatureAndEveryRecordStandsAlone() throws Exception {
        List<RecordSealer.Prepared> prepared = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < 37; i++) {
            byte[] p = ("record " + i).getBytes(StandardCharsets.UTF_8);
            payloads.add(p);
            prepared.add(f.sealer.prepare(draft("NATO RESTRICTED//REL TO DEU, GBR", p), p));
        }
        List<SealedRecord> batch = f.sealer.sign(prepared);
        RecordOpener gbr = f.opener("GBR");
        for (int i = 0; i < batch.size(); i++) {
            assertThat(batch.get(i).binding().signature()).isEqualTo(batch.getFirst().binding().signature());
            // A fresh opener per record: no signature cache helps it.
            RecordOpener fresh = f.opener("GBR");
            assertThat(fresh.openAll(fresh.verify(batch.get(i).encode()))).isEqualTo(payloads.get(i));
            assertThat(gbr.openAll(gbr.verify(batch.get(i).encode()))).isEqualTo(payloads.get(i));
        }
    }

    @Test
    void refusesToSealWhatTheOriginMayNotHold() {
        byte[] p = {1};
        assertThatThrownBy(() -> f.sealer.seal(draft("NATO SECRET//REL TO FRA", p), p))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("DEU");
    }

    @Test
    void anUnpinnedOriginIsRefused() throws Exception {
        byte[] p = {1, 2, 3};
        byte[] bytes = f.sealer.seal(draft("NATO SECRET//REL TO DEU", p), p).encode();
        RecordOpener stranger = new RecordOpener(Federation.POLICIES, "DEU", f.kem.get("DEU"), (n, node) -> List.of());
        assertThatThrownBy(() -> stranger.verify(bytes)).hasMessageContaining("not pinned");
    }

    @Test
    void aCachedSignatureNoLongerPassesOnceItsKeyIsUnpinned() throws Exception {
        byte[] p = {4, 5};
        byte[] bytes = f.sealer.seal(draft("NATO SECRET//REL TO DEU", p), p).encode();
        var pinned = new java.util.concurrent.atomic.AtomicReference<>(f.originSigner.publicKeys());
        RecordOpener deu = new RecordOpener(Federation.POLICIES, "DEU", f.kem.get("DEU"), (n, node) -> pinned.get());
        deu.verify(bytes); // verified and cached
        pinned.set(io.bulwark.crypto.SigningKeyset.generate().publicKeys()); // the origin now pins another key only
        assertThatThrownBy(() -> deu.verify(bytes)).hasMessageContaining("does not verify");
        pinned.set(List.of());
        assertThatThrownBy(() -> deu.verify(bytes)).hasMessageContaining("not pinned");
    }

    @Test
    void aRecordSignedByAnotherKeyIsRefused() throws Exception {
        Federation impostor = new Federation(List.of("DEU"));
        byte[] p = {1, 2, 3};
        byte[] forged = impostor.sealer.seal(draft("NATO SECRET//REL TO DEU", p), p).encode();
        assertThatThrownBy(() -> f.opener("DEU").verify(forged)).hasMessageContaining("does not verify");
    }

    @Test
    void anEpochStatementForAnotherNationOrFromAnUnpinnedOriginIsRefused() throws Exception {
        byte[] p = {1};
        f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p);
        EpochKeyStatement toFra = f.epochs.statements().stream().filter(s -> s.recipientNation().equals("FRA")).findFirst().orElseThrow();
        RecordOpener deu = new RecordOpener(Federation.POLICIES, "DEU", f.kem.get("DEU"), f.pinned);
        assertThatThrownBy(() -> deu.accept(toFra)).hasMessageContaining("addressed to FRA");
        RecordOpener unpinned = new RecordOpener(Federation.POLICIES, "FRA", f.kem.get("FRA"), (n, node) -> List.of());
        assertThatThrownBy(() -> unpinned.accept(toFra)).hasMessageContaining("not pinned");
        RecordOpener wrongKeys = new RecordOpener(Federation.POLICIES, "FRA", KemKeyset.generate(), f.pinned);
        assertThatThrownBy(() -> wrongKeys.accept(toFra)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("made for KEM key " + f.kem.get("FRA").primary().keyId() + ", which this node does not hold");
        assertThat(toFra.recipientKemKey()).isEqualTo(f.kem.get("FRA").primary().keyId());
        assertThat(EpochKeyStatement.decode(toFra.encode())).isEqualTo(toFra);
        EpochKeyStatement noEncapsulation = new EpochKeyStatement(toFra.originNation(), toFra.originNode(), "FRA", toFra.epochKeyId(),
                toFra.notBefore(), toFra.notAfter(), new byte[]{2, 1, 0}, toFra.signature());
        assertThatThrownBy(() -> EpochKeyStatement.decode(noEncapsulation.encode())).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("(encapsulation)");
    }

    @Test
    void aRecordOfAnUnknownEpochWaitsForItsStatement() throws Exception {
        byte[] p = {9};
        SealedRecord sealed = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p);
        RecordOpener fra = new RecordOpener(Federation.POLICIES, "FRA", f.kem.get("FRA"), f.pinned);
        fra.verify(sealed);
        assertThatThrownBy(() -> fra.open(sealed)).hasMessageContaining("not known here yet");
        f.epochs.statements().stream().filter(s -> s.recipientNation().equals("FRA")).forEach(fra::accept);
        assertThat(fra.openAll(sealed)).containsExactly(9);
    }

    // --- tampering ----------------------------------------------------------------------------------

    byte[] sealedBytes() throws Exception {
        byte[] p = "tamper with me".getBytes(StandardCharsets.UTF_8);
        return f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA//COI ISR", p), p).encode();
    }

    @Test
    void truncationAtEveryLengthIsRefused() throws Exception {
        byte[] bytes = sealedBytes();
        RecordOpener fra = f.opener("FRA");
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> fra.verify(cut)).isInstanceOf(InvalidRecordException.class);
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> fra.verify(longer)).hasMessageContaining("unexpected bytes after the end");
    }

    @Test
    void everySingleBitFlipIsRefused() throws Exception {
        byte[] bytes = sealedBytes();
        RecordOpener fra = f.opener("FRA");
        fra.verify(bytes); // the original verifies, and its signature is now cached
        for (int i = 0; i < bytes.length; i++) {
            int bit = i % 8; // every byte, every bit position across neighbouring bytes
            byte[] m = bytes.clone();
            m[i] ^= (byte) (1 << bit);
            assertThatThrownBy(() -> fra.openAll(fra.verify(m)))
                    .as("flip of bit %d of byte %d", bit, i).isInstanceOf(InvalidRecordException.class);
        }
    }

    @Test
    void unknownVersionAndAlgorithmAreNamed() throws Exception {
        byte[] bytes = sealedBytes();
        byte[] v = bytes.clone();
        v[4] = 3;
        assertThatThrownBy(() -> SealedRecord.decode(v, Federation.POLICIES)).hasMessage("sealed record at byte 4 (version): unknown version 3; this node reads version 2");
        v[4] = 1;
        assertThatThrownBy(() -> SealedRecord.decode(v, Federation.POLICIES))
                .hasMessage("sealed record at byte 4 (version): version 1, a pre-release format no longer read; this node reads version 2");
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> SealedRecord.decode(magic, Federation.POLICIES)).hasMessageContaining("magic");
        SealedRecord r = SealedRecord.decode(bytes, Federation.POLICIES);
        int algorithmAt = indexOfAlgorithm(r);
        byte[] alg = bytes.clone();
        alg[algorithmAt + 1] ^= 0x7f;
        assertThatThrownBy(() -> SealedRecord.decode(alg, Federation.POLICIES))
                .hasMessageContaining("payload algorithm").hasMessageContaining("unknown");
    }

    private static int indexOfAlgorithm(SealedRecord r) {
        // magic 4, version 1, id 16, nation 3, node 1+n, created 8, content type 1+n, payload size 8,
        // label 4+n, residency 2+n
        RecordHeader h = r.header();
        int labelLength = Federation.POLICIES.encode(r.label(), LabelFormat.JSON).getBytes(StandardCharsets.UTF_8).length;
        return 4 + 1 + 16 + 3 + 1 + h.originNode().length() + 8 + 1 + h.contentType().length() + 8
                + 4 + labelLength + 2 + r.residency().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void oversizeFieldsAreRefused() throws Exception {
        byte[] bytes = sealedBytes();
        SealedRecord r = SealedRecord.decode(bytes, Federation.POLICIES);
        int labelLengthAt = 4 + 1 + 16 + 3 + 1 + r.header().originNode().length() + 8 + 1 + r.header().contentType().length() + 8;
        byte[] m = bytes.clone();
        m[labelLengthAt] = 0x7f; // a label length of about 2 GiB
        assertThatThrownBy(() -> SealedRecord.decode(m, Federation.POLICIES)).hasMessageContaining("label")
                .hasMessageContaining("outside");
    }

    @Test
    void aLabelThatDoesNotMatchItsBindingIsRefused() throws Exception {
        byte[] p = {1};
        SealedRecord original = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p);
        // The same bytes with the classification lowered: a valid, canonical label of the same length.
        String json = Federation.POLICIES.encode(original.label(), LabelFormat.JSON);
        String lowered = json.replace("\"SECRET\"", "\"RESTRICTED\"");
        byte[] bytes = original.encode();
        byte[] relabelled = replaceLabel(bytes, json, lowered);
        assertThatThrownBy(() -> SealedRecord.decode(relabelled, Federation.POLICIES))
                .hasMessageContaining("(content digest): the prefix and ciphertext do not match their digest");
        // The content digest is unkeyed, so a forger recomputes it: the signature's binding still refuses.
        int contentEnd = relabelled.length - (32 + 4 + 4 + 1 + 32 * original.binding().path().size() + 2 + original.binding().signature().length);
        byte[] redigested = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(relabelled, contentEnd));
        System.arraycopy(redigested, 0, relabelled, contentEnd, 32);
        assertThat(SealedRecord.decode(relabelled, Federation.POLICIES).label()).isNotEqualTo(original.label());
        assertThatThrownBy(() -> f.opener("FRA").verify(relabelled)).hasMessageContaining("binding does not verify");
    }

    @Test
    void theEncodingDigestIsTheSha256OfTheEncodingAndDecodingGivesTheSameBytes() throws Exception {
        for (int size : new int[] {0, 1, 65536, 200_000}) {
            byte[] p = new byte[size];
            new java.util.Random(size).nextBytes(p);
            SealedRecord sealed = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p);
            byte[] bytes = sealed.encode();
            String sha256 = java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            assertThat(sealed.encodingDigest()).as("sealed, %d bytes", size).isEqualTo(sha256);
            SealedRecord decoded = SealedRecord.decode(bytes, Federation.POLICIES);
            assertThat(decoded.encode()).as("re-encoded, %d bytes", size).isEqualTo(bytes);
            assertThat(decoded.encodingDigest()).as("decoded, %d bytes", size).isEqualTo(sha256);
            assertThat(decoded.contentDigest()).isEqualTo(sealed.contentDigest())
                    .isEqualTo(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(Arrays.copyOf(bytes, bytes.length - (32 + 4 + 4 + 1 + 2 + sealed.binding().signature().length)))));
        }
    }

    @Test
    void aDecodedRecordKeepsItsOwnBytesWhateverBecomesOfTheArrayItWasReadFrom() throws Exception {
        byte[] p = {7, 7, 7};
        byte[] bytes = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p).encode();
        byte[] original = bytes.clone();
        SealedRecord decoded = SealedRecord.decode(bytes, Federation.POLICIES);
        Arrays.fill(bytes, (byte) 0);
        RecordOpener fra = f.opener("FRA");
        assertThat(fra.openAll(fra.verify(decoded))).containsExactly(7, 7, 7);
        assertThat(decoded.encode()).isEqualTo(original);
        decoded.encode()[0] = 0; // nor does an encoding handed out change the record
        assertThat(decoded.encode()).isEqualTo(original);
        assertThat(decoded.encodingDigest()).isEqualTo(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(original)));
    }

    @Test
    void aKeyAccessEntryForANationNotReleasedToIsRefusedBeforeAnyKeyIsUsed() throws Exception {
        byte[] p = {1};
        SealedRecord original = f.sealer.seal(draft("NATO SECRET//REL TO DEU, FRA", p), p);
        byte[] bytes = original.encode();
        // Rename the FRA entry to GBR (still sorted after DEU): the label does not release to GBR. The
        // entry is found by its whole encoding (nation, epoch key id, wrapped key): "FRA" alone also
        // turns up, now and then, among the random bytes of a ciphertext or signature.
        KeyAccess fra = original.keyAccess().stream().filter(k -> k.nation().equals("FRA")).findFirst().orElseThrow();
        byte[] entry = java.nio.ByteBuffer.allocate(3 + 8 + 2 + fra.wrappedKey().length).put("FRA".getBytes(StandardCharsets.US_ASCII))
                .putLong(fra.epochKeyId().value()).putShort((short) fra.wrappedKey().length).put(fra.wrappedKey()).array();
        int at = indexOf(bytes, entry);
        assertThat(at).as("the FRA key access entry").isPositive();
        byte[] m = bytes.clone();
        m[at] = 'G';
        m[at + 1] = 'B';
        m[at + 2] = 'R';
        assertThatThrownBy(() -> SealedRecord.decode(m, Federation.POLICIES))
                .hasMessageContaining("key access").hasMessageContaining("GBR")
                .hasMessageContaining("does not release");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    static byte[] replaceLabel(byte[] bytes, String from, String to) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(from);
        assertThat(at).isPositive();
        byte[] out = new byte[bytes.length - from.length() + to.length()];
        System.arraycopy(bytes, 0, out, 0, at);
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(t, 0, out, at, t.length);
        System.arraycopy(bytes, at + from.length(), out, at + t.length, bytes.length - at - from.length());
        // fix the u32 label length before the label
        int length = to.length();
        out[at - 4] = (byte) (length >>> 24);
        out[at - 3] = (byte) (length >>> 16);
        out[at - 2] = (byte) (length >>> 8);
        out[at - 1] = (byte) length;
        return out;
    }
}
