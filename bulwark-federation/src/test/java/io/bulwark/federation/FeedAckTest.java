package io.bulwark.federation;

import io.bulwark.label.PolicySet;
import io.bulwark.store.ChangeSignal;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a feed request acknowledges (docs/federation.md, "Cursors"): {@code ack} when the caller
 * sends it — the last cursor it applied durably, never more than its {@code cursor} — and, from a
 * caller that sends no {@code ack} (one that does not ask ahead, or predates it), the cursor itself.
 * The origin's acknowledged position drives lag, the confirmation of drops and which holdings it
 * forgets, so it must never run ahead of what the receiver stored.
 */
class FeedAckTest {

    private static final String PEER = "peer-fingerprint";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T07:00:00Z"), java.time.ZoneOffset.UTC);

    @TempDir Path dir;
    SqliteMetadataStore metadata;
    FederationState state;
    FeedCursors cursors;
    Feed feed;

    @BeforeEach
    void open() throws Exception {
        metadata = new SqliteMetadataStore(dir.resolve("metadata.db"), CLOCK);
        state = new FederationState(dir.resolve("federation.db"));
        cursors = FeedCursors.open(dir.resolve("cursor.key"));
        feed = new Feed("DEU", "deu-1", PolicySet.defaults(), metadata, new FilesystemBlobStore(dir.resolve("blobs")), List::of,
                state, cursors, new ChangeSignal(), CLOCK, event -> {});
    }

    @AfterEach
    void close() {
        state.close();
        metadata.close();
    }

    /** One request with wait=0 ({@code ack} null: the parameter is absent). */
    private void request(long cursor, String ack) throws InterruptedException {
        feed.next(PEER, () -> null /* the log is empty: no record to judge */, cursors.token(PEER, cursor), ack,
                Duration.ZERO, () -> true);
    }

    @Test
    void aRequestSentAheadAcknowledgesOnlyItsAck() throws Exception {
        state.sent(PEER, List.of("rec-1"), List.of(), 2); // a response ending at 2 gave the peer rec-1,
        state.sent(PEER, List.of(), List.of("rec-1"), 7); // one ending at 7 told it to drop rec-1

        request(9, cursors.token(PEER, 5)); // received up to 9, applied up to 5
        assertThat(state.outbound(PEER).ackedSeq()).isEqualTo(5);
        assertThat(state.holds(PEER, "rec-1")).as("the drop at 7 is not applied yet").isTrue();

        request(12, cursors.token(PEER, 9));
        assertThat(state.outbound(PEER).ackedSeq()).isEqualTo(9);
        assertThat(state.holds(PEER, "rec-1")).as("applied now: the holding goes").isFalse();
    }

    @Test
    void anEmptyAckIsNothingApplied() throws Exception {
        // A receiver that starts from the beginning and asks ahead while its first response is applied.
        state.sent(PEER, List.of("rec-1"), List.of(), 2);
        state.sent(PEER, List.of(), List.of("rec-1"), 3);
        request(9, "");
        assertThat(state.outbound(PEER).ackedSeq()).isZero();
        assertThat(state.outbound(PEER).ackedAt()).isEmpty();
        assertThat(state.holds(PEER, "rec-1")).isTrue();
    }

    /** A bad ack is not a bad cursor: the caller would forget its (good) cursor on that, and ask from the beginning. */
    @Test
    void anAckThisNodeDidNotIssueIsRefusedAsTheAckAndAcknowledgesNothing() {
        assertThatThrownBy(() -> request(9, cursors.token("another-peer", 5)))
                .isInstanceOf(Feed.InvalidAck.class).hasMessage("ack: not a cursor this node issued to you");
        assertThat(state.outbound(PEER).ackedSeq()).isZero();
    }

    @Test
    void anAckPastTheCursorCountsOnlyUpToTheCursor() throws Exception {
        request(4, cursors.token(PEER, 8));
        assertThat(state.outbound(PEER).ackedSeq()).isEqualTo(4);
    }

    @Test
    void withoutAckTheCursorIsTheAcknowledgementAsBefore() throws Exception {
        state.sent(PEER, List.of("rec-1"), List.of(), 2);
        state.sent(PEER, List.of(), List.of("rec-1"), 7);
        request(9, null);
        assertThat(state.outbound(PEER).ackedSeq()).isEqualTo(9);
        assertThat(state.outbound(PEER).ackedAt()).contains(CLOCK.instant());
        assertThat(state.holds(PEER, "rec-1")).isFalse();
    }

    @Test
    void anAcknowledgementNeverMovesBack() throws Exception {
        request(9, null);
        request(12, cursors.token(PEER, 3)); // e.g. a receiver that lost its cursor and starts over
        assertThat(state.outbound(PEER).ackedSeq()).isEqualTo(9);
    }
}
