package io.bulwark.record;

import java.time.Instant;
import java.util.Objects;

/**
 * The public header of a sealed record: id, origin nation and node, creation time, content type
 * and plaintext size. Signed with the rest; readable without any key.
 */
public record RecordHeader(RecordId id, String originNation, String originNode, Instant created,
                           String contentType, long payloadSize) {
    public RecordHeader {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(originNation, "originNation");
        Objects.requireNonNull(originNode, "originNode");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(contentType, "contentType");
    }
}
