package io.bulwark.record;

import io.bulwark.label.ConfidentialityLabel;

import java.util.Objects;

/**
 * What a publisher hands the sealer: the label, the residency policy (opaque here, bound by the
 * signature; e.g. {@code in=EU;providers>=2}), the content type, and the payload's size in bytes.
 */
public record RecordDraft(ConfidentialityLabel label, String residency, String contentType, long payloadSize) {
    public RecordDraft {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(residency, "residency");
        Objects.requireNonNull(contentType, "contentType");
        if (payloadSize < 0) throw new IllegalArgumentException("payload size is negative");
    }
}
