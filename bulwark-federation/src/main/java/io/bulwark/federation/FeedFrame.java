package io.bulwark.federation;

import io.bulwark.crypto.KeyId;
import io.bulwark.record.EpochKeyStatement;
import io.bulwark.record.InvalidRecordException;
import io.bulwark.record.SealedRecord;
import io.bulwark.record.Tombstone;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One frame of a feed response (docs/federation.md, "Feed"): the body is {@code "BWF1"} then frames
 * {@code u8 type || u32 length || bytes}, ending with exactly one {@link End}. A response without its
 * end is incomplete and applied not at all.
 */
public sealed interface FeedFrame {

    byte[] MAGIC = {'B', 'W', 'F', '1'};
    String MEDIA_TYPE = "application/vnd.bulwark.feed.v1";
    /** The largest frame: a 64 MiB payload sealed, with room for its header. */
    int MAX_FRAME = 64 * 1024 * 1024 + 1024 * 1024;
    /**
     * The largest response a receiver reads: the records a response holds stop after about 8 MiB but
     * the last may be a whole frame, and statements, tombstones and withdrawals come beside them. A
     * peer's response is held whole before it is applied, so this bounds what one peer can make a
     * node hold.
     */
    long MAX_RESPONSE = 8L * 1024 * 1024 + MAX_FRAME + 16L * 1024 * 1024;
    /**
     * The most frames a receiver reads in one response: an origin's response covers one read of its
     * change log ({@link Feed#SCAN} entries, each at most one frame and one statement) and its end.
     * Bytes alone would let a peer send millions of empty frames, each held, checked and audited.
     */
    int MAX_FRAMES = 2 * Feed.SCAN + 64;

    /** An epoch key statement addressed to the receiver's nation, ahead of the records that use it. */
    record Statement(EpochKeyStatement statement) implements FeedFrame {}

    /** A sealed record, new or relabelled. */
    record Record(byte[] sealed) implements FeedFrame {}

    /** The origin's signed retraction of a record the receiver was sent. */
    record Retract(Tombstone tombstone) implements FeedFrame {}

    /** A relabel no longer releases the record to the receiver's nation: delete it. */
    record Withdraw(String recordId) implements FeedFrame {}

    /** The cursor to ask with next (opaque to the receiver). */
    record End(String cursor) implements FeedFrame {}

    /**
     * The epoch keys under which a response's records wrap their data keys for {@code nation}: the
     * statements a response may carry, since a feed sends a statement only beside a record sealed
     * under it ({@link Feed}). Bytes that do not read as a record name none; the record is refused
     * when it is applied.
     */
    static Set<KeyId> epochsUsed(List<FeedFrame> frames, String nation) {
        Set<KeyId> used = new HashSet<>();
        for (FeedFrame f : frames) {
            if (!(f instanceof Record r)) continue;
            try {
                SealedRecord.epochKeyFor(r.sealed(), nation).ifPresent(used::add);
            } catch (InvalidRecordException e) {
                // not a record: refused with its reason when the run is applied
            }
        }
        return used;
    }

    /** A whole response: the magic, then each frame as type, length and body — built in one array of its exact size. */
    static byte[] encode(List<FeedFrame> frames) {
        List<byte[]> bodies = new ArrayList<>(frames.size());
        long size = MAGIC.length;
        for (FeedFrame frame : frames) {
            byte[] body = switch (frame) {
                case Statement s -> s.statement().encode();
                case Record r -> r.sealed();
                case Retract r -> r.tombstone().encode();
                case Withdraw w -> w.recordId().getBytes(StandardCharsets.US_ASCII);
                case End e -> e.cursor().getBytes(StandardCharsets.US_ASCII);
            };
            bodies.add(body);
            size += 5 + body.length;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).put(MAGIC);
        for (int i = 0; i < frames.size(); i++) {
            out.put((byte) type(frames.get(i))).putInt(bodies.get(i).length).put(bodies.get(i));
        }
        return out.array();
    }

    private static int type(FeedFrame frame) {
        return switch (frame) {
            case End e -> 0;
            case Statement s -> 1;
            case Record r -> 2;
            case Retract r -> 3;
            case Withdraw w -> 4;
        };
    }

    /**
     * Reads a whole response; every frame is checked for structure (signatures are the receiver's to
     * check). Throws {@link InvalidPeerException} naming the frame and the rule.
     */
    static List<FeedFrame> readAll(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[4];
        try {
            d.readFully(magic);
        } catch (EOFException e) {
            throw new InvalidPeerException("feed: empty response");
        }
        if (!Arrays.equals(magic, MAGIC)) throw new InvalidPeerException("feed: not a Bulwark feed (magic BWF1)");
        List<FeedFrame> frames = new ArrayList<>();
        long total = magic.length;
        while (true) {
            int index = frames.size();
            if (index >= MAX_FRAMES) throw new InvalidPeerException("feed: more than " + MAX_FRAMES + " frames in one response");
            int type;
            int length;
            try {
                type = d.readUnsignedByte();
                length = d.readInt();
            } catch (EOFException e) {
                throw new InvalidPeerException("feed: frame " + index + ": the response ends before its end frame");
            }
            if (length < 0 || length > MAX_FRAME) throw new InvalidPeerException("feed: frame " + index + ": length " + length + " out of range");
            total += 5L + length;
            if (total > MAX_RESPONSE) {
                throw new InvalidPeerException("feed: frame " + index + ": the response exceeds " + MAX_RESPONSE + " bytes");
            }
            byte[] body = d.readNBytes(length); // grows as bytes come: a length alone allocates nothing
            if (body.length < length) throw new InvalidPeerException("feed: frame " + index + ": truncated");
            try {
                FeedFrame f = switch (type) {
                    case 0 -> new End(ascii(body, "[A-Za-z0-9_-]{0,200}", index, "cursor"));
                    case 1 -> new Statement(EpochKeyStatement.decode(body));
                    case 2 -> new Record(body);
                    case 3 -> new Retract(Tombstone.decode(body));
                    case 4 -> new Withdraw(ascii(body, "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", index, "record id"));
                    default -> throw new InvalidPeerException("feed: frame " + index + ": unknown type " + type);
                };
                frames.add(f);
                if (f instanceof End) {
                    if (d.read() != -1) throw new InvalidPeerException("feed: bytes after the end frame");
                    return frames;
                }
            } catch (InvalidRecordException e) {
                throw new InvalidPeerException("feed: frame " + index + ": " + e.getMessage());
            }
        }
    }

    private static String ascii(byte[] body, String pattern, int index, String what) {
        String s = new String(body, StandardCharsets.US_ASCII);
        if (!s.matches(pattern)) throw new InvalidPeerException("feed: frame " + index + ": not a " + what);
        return s;
    }
}
