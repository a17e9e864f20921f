package io.bulwark.store;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.bulwark.store.TestRecords.T0;
import static io.bulwark.store.TestRecords.label;
import static io.bulwark.store.TestRecords.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Record fields are checked on construction, with messages that name the field, position and rule. */
class RecordMetadataTest {

    private final RecordMetadata valid = TestRecords.record(T0, new Random(1));

    private RecordMetadata with(String id, String nation, String digest) {
        return new RecordMetadata(id, nation, valid.originNode(), valid.createdAt(), valid.contentType(),
                valid.payloadSize(), digest, valid.label(), valid.residency(), valid.blob(), Optional.empty());
    }

    @Test
    void anIdMustBeACanonicalUuidV7() {
        String v4 = "0192f3a4-5b6c-4d8e-9f01-23456789abcd";
        assertThatThrownBy(() -> with(v4, "DEU", valid.contentDigest()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageStartingWith("id \"" + v4 + "\" at offset 14: must be a UUIDv7");
        String upper = valid.id().toUpperCase();
        assertThatThrownBy(() -> with(upper, "DEU", valid.contentDigest())).isInstanceOf(InvalidRecordException.class);
        assertThatThrownBy(() -> with("../x", "DEU", valid.contentDigest()))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("length is 4, not 36");
    }

    @Test
    void anOriginNationMustBeAlpha3() {
        assertThatThrownBy(() -> with(valid.id(), "De1", valid.contentDigest()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage("originNation \"De1\" at offset 1: must be an ISO 3166-1 alpha-3 code (three letters A-Z)");
    }

    @Test
    void aDigestMustBe64LowercaseHexDigits() {
        String upper = sha256("x").toUpperCase();
        assertThatThrownBy(() -> with(valid.id(), "DEU", upper))
                .isInstanceOf(InvalidRecordException.class).hasMessageStartingWith("contentDigest \"" + upper + "\" at offset ");
        assertThatThrownBy(() -> new BlobRef("k", 1, "abc"))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("blobDigest").hasMessageContaining("length is 3");
    }

    @Test
    void labelValuesMustBeDistinctTokensWithoutWhitespace() {
        assertThatThrownBy(() -> label("SECRET", "DEU", "FR A"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage("labelValues[1] \"FR A\" at offset 2: a label value must not contain whitespace or control characters");
        assertThatThrownBy(() -> label("SECRET", "DEU", "DEU"))
                .isInstanceOf(InvalidRecordException.class).hasMessage("labelValues[1] \"DEU\": duplicates an earlier value");
        assertThatThrownBy(() -> label("SECRET", ""))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("1 to 128 characters");
    }

    @Test
    void aBlobKeyMustBeSafe() {
        assertThatThrownBy(() -> new BlobRef("../etc/passwd", 1, sha256("x")))
                .isInstanceOf(InvalidBlobKeyException.class).hasMessageContaining("at offset 0");
    }

    @Test
    void timesAreKeptToTheMillisecondAndMustLieInRange() {
        Instant fine = T0.plusNanos(1_234_567);
        RecordMetadata r = TestRecords.record(valid.id(), fine, "DEU", valid.label());
        assertThat(r.createdAt()).isEqualTo(T0.plusMillis(1));
        assertThatThrownBy(() -> TestRecords.record(valid.id(), Instant.EPOCH.minusMillis(1), "DEU", valid.label()))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("createdAt");
    }

    @Test
    void aRetractionComparesItsTombstoneByContentAndCannotBeChangedFromOutside() {
        byte[] bytes = {1, 2, 3};
        Retraction r = new Retraction(T0, bytes);
        bytes[0] = 9;
        assertThat(r).isEqualTo(new Retraction(T0, new byte[] {1, 2, 3}));
        r.tombstone()[1] = 9;
        assertThat(r.tombstone()).containsExactly(1, 2, 3);
        assertThat(r.toString()).contains("3 bytes");
    }

    @Test
    void aSamePublicationIgnoresLabelStateAndBlobKeyOnly() {
        RecordMetadata relabeled = valid.withLabel(label("CONFIDENTIAL")).withRetraction(new Retraction(T0, new byte[] {1}));
        RecordMetadata moved = new RecordMetadata(valid.id(), valid.originNation(), valid.originNode(), valid.createdAt(),
                valid.contentType(), valid.payloadSize(), valid.contentDigest(), valid.label(), valid.residency(),
                new BlobRef("elsewhere", valid.blob().size(), valid.blob().sha256()), Optional.empty());
        RecordMetadata otherResidency = new RecordMetadata(valid.id(), valid.originNation(), valid.originNode(), valid.createdAt(),
                valid.contentType(), valid.payloadSize(), valid.contentDigest(), valid.label(), "{}", valid.blob(), Optional.empty());
        assertThat(valid.samePublication(relabeled)).isTrue();
        assertThat(valid.samePublication(moved)).isTrue();
        assertThat(valid.samePublication(otherResidency)).isFalse();
    }

    @Test
    void aStoreResultSaysWhatWentWrong() {
        assertThatThrownBy(() -> StoreResult.<ChangeReceipt>notFound("x").orElseThrow())
                .isInstanceOf(IllegalStateException.class).hasMessage("record x not found");
        assertThat(StoreResult.success(new ChangeReceipt(1, false)).succeeded()).isTrue();
        assertThat(List.of(StoreResult.conflict("x", "why")).getFirst().succeeded()).isFalse();
    }
}
