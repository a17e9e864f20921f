package io.bulwark.federation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The feed's wire form and its sealed cursors. */
class FeedTest {

    private static final String ID = "01a21a8a-ff2a-7064-a045-6cc2b46f97da";

    private static byte[] encode(List<FeedFrame> frames) {
        return FeedFrame.encode(frames);
    }

    @Test
    void framesRoundTripAndAResponseWithoutItsEndIsRefused() throws Exception {
        byte[] bytes = encode(List.of(new FeedFrame.Record(new byte[] {1, 2, 3}), new FeedFrame.Withdraw(ID), new FeedFrame.End("abc_-9")));
        List<FeedFrame> back = FeedFrame.readAll(new ByteArrayInputStream(bytes));
        assertThat(back).hasSize(3);
        assertThat(((FeedFrame.Record) back.get(0)).sealed()).containsExactly(1, 2, 3);
        assertThat(back.get(1)).isEqualTo(new FeedFrame.Withdraw(ID));
        assertThat(back.get(2)).isEqualTo(new FeedFrame.End("abc_-9"));
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(cut))).isInstanceOf(InvalidPeerException.class)
                    .hasMessageStartingWith("feed: ");
        }
    }

    @Test
    void aResponseOfMoreFramesThanAnOriginSendsIsRefused() throws Exception {
        List<FeedFrame> most = new java.util.ArrayList<>();
        for (int i = 0; i < FeedFrame.MAX_FRAMES - 1; i++) most.add(new FeedFrame.Record(new byte[0]));
        most.add(new FeedFrame.End(""));
        assertThat(FeedFrame.readAll(new ByteArrayInputStream(encode(most)))).hasSize(FeedFrame.MAX_FRAMES);
        most.add(0, new FeedFrame.Record(new byte[0]));
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(encode(most))))
                .isInstanceOf(InvalidPeerException.class).hasMessage("feed: more than " + FeedFrame.MAX_FRAMES + " frames in one response");
    }

    @Test
    void malformedFramesAreNamed() throws Exception {
        byte[] bytes = encode(List.of(new FeedFrame.Withdraw(ID), new FeedFrame.End("")));
        byte[] badType = bytes.clone();
        badType[4] = 9;
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(badType))).hasMessage("feed: frame 0: unknown type 9");
        byte[] badId = bytes.clone();
        badId[9] = 'x';
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(badId))).hasMessage("feed: frame 0: not a record id");
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(trailing))).hasMessage("feed: bytes after the end frame");
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream("HTTP".getBytes()))).hasMessageContaining("magic BWF1");
    }

    @Test
    void aResponseLargerThanAReceiverHoldsIsRefusedAsItIsRead() {
        // Record frames of 1 MiB without end, made as they are read: a peer that never stops sending.
        int frame = 1024 * 1024;
        long[] served = {0};
        java.io.InputStream endless = new java.io.InputStream() {
            long at;

            @Override
            public int read() {
                long i = at++;
                served[0] = at;
                if (i < 4) return FeedFrame.MAGIC[(int) i];
                long within = (i - 4) % (5 + frame);
                if (within == 0) return 2; // type: record
                if (within < 5) return (int) (frame >>> (8 * (4 - within))) & 0xff;
                return 0;
            }
        };
        assertThatThrownBy(() -> FeedFrame.readAll(endless)).isInstanceOf(InvalidPeerException.class)
                .hasMessageEndingWith("the response exceeds " + FeedFrame.MAX_RESPONSE + " bytes");
        assertThat(served[0]).isLessThanOrEqualTo(FeedFrame.MAX_RESPONSE);
    }

    @Test
    void aFrameLongerThanWhatFollowsIsTruncatedNotAllocated() {
        byte[] bytes = {'B', 'W', 'F', '1', 2, 0x04, 0x00, 0x00, 0x00, 1, 2, 3}; // declares 64 MiB, sends 3 bytes
        assertThatThrownBy(() -> FeedFrame.readAll(new ByteArrayInputStream(bytes))).hasMessage("feed: frame 0: truncated");
    }

    @Test
    void cursorsAreOpaqueAndBoundToTheirPeer(@TempDir Path dir) throws Exception {
        FeedCursors cursors = FeedCursors.open(dir.resolve("cursor.key"));
        String a = cursors.token("peer-a", 42);
        assertThat(cursors.seq("peer-a", a)).isEqualTo(42);
        assertThat(cursors.token("peer-a", 42)).isNotEqualTo(a); // fresh nonce: equal positions look different
        assertThat(a).doesNotContain("42");
        assertThat(cursors.seq("peer-a", "")).isZero();
        assertThatThrownBy(() -> cursors.seq("peer-b", a)).hasMessageContaining("not a cursor this node issued to you");
        char[] t = a.toCharArray();
        t[5] = t[5] == 'A' ? 'B' : 'A';
        assertThatThrownBy(() -> cursors.seq("peer-a", new String(t))).isInstanceOf(InvalidPeerException.class);
        assertThat(FeedCursors.open(dir.resolve("cursor.key")).seq("peer-a", a)).isEqualTo(42); // the key survives a restart
    }
}
