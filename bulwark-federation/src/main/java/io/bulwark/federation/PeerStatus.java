package io.bulwark.federation;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One peer as an operator sees it: whether exchange works, how far the peer has acknowledged this
 * node's feed and how far behind it is, and what this node last received from it — never a silent
 * success.
 *
 * @param state         {@code connected} (the peer answered the current link), {@code connecting} (not yet
 *                      introduced, or not yet answered since the node started), or {@code failing}
 * @param node          the peer's node name once its identity is pinned
 * @param ackedSeq      this node's change-log position the peer has acknowledged
 * @param lagRecords    changes the peer may hold that it has not acknowledged (at least this many if {@code lagCapped});
 *                      empty until the peer's identity is pinned, for until then what it may hold is not known
 * @param lagSeconds    age of the oldest of them; 0 when caught up; empty when {@code lagRecords} is
 * @param lastAck       when the peer last acknowledged
 * @param received      records received from the peer and stored
 * @param rejected      records, statements or retractions from the peer that were rejected
 * @param lastDelivery  when a response from the peer last brought records
 * @param lastError     the last failure of the exchange, or rejection, with its time
 */
public record PeerStatus(String nation, String url, String fingerprint, Optional<String> node, String state,
                         long ackedSeq, OptionalLong lagRecords, boolean lagCapped, OptionalLong lagSeconds, Optional<Instant> lastAck,
                         long received, long rejected, Optional<Instant> lastDelivery,
                         Optional<String> lastError, Optional<Instant> lastErrorAt) {}
