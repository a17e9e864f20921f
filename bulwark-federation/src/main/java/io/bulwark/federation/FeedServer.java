package io.bulwark.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bulwark.audit.AuditEntry;
import io.bulwark.audit.AuditJson;
import io.bulwark.audit.AuditLog;
import io.bulwark.audit.SignedTreeHead;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The federation API (docs/federation.md), served only over the pinned mutual-TLS connector:
 * {@code GET /federation/v1/identity}, {@code GET /federation/v1/feed?cursor=&ack=&wait=}, and for a
 * partner's verification of what concerns it (docs/audit.md) {@code GET /federation/v1/audit/head} and
 * {@code GET /federation/v1/audit/proof?record=ID}. Every request
 * is authorised by the client certificate's fingerprint against the peer list as it is <em>now</em>:
 * a removed peer's open connection is refused at its next request.
 */
final class FeedServer extends Handler.Abstract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FeedServer.class);
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);
    /** SHA-256 of the node's signed identity, on every feed response. */
    static final String IDENTITY_HEADER = "Bulwark-Identity";
    /**
     * On every feed response: this node honours {@code ack}. A link asks ahead (cursor past what it
     * has applied) only of a node that says so; one that ignores {@code ack} would take the cursor as
     * acknowledged.
     */
    static final String ACK_HEADER = "Bulwark-Feed-Ack";

    private final Federation federation;
    private final PeerRequests feedRequests = new PeerRequests();

    FeedServer(Federation federation) {
        this.federation = federation;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        try {
            return route(request, response, callback);
        } catch (RuntimeException e) {
            return failed(request, response, callback, e);
        }
    }

    private static boolean failed(Request request, Response response, Callback callback, RuntimeException e) throws Exception {
        // Never the exception's text to a peer: it may quote a record's label or a local path.
        LOG.warn("federation request {} failed", Request.getPathInContext(request), e);
        return problem(response, callback, 500, "Internal error", "the request failed on this node; the reason is in its log");
    }

    private boolean route(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (!"GET".equals(request.getMethod())) {
            return problem(response, callback, 405, "Method not allowed", "the federation API answers GET only");
        }
        Optional<String> fingerprint = FederationTls.peerFingerprint(request);
        Optional<Peer> peer = fingerprint.flatMap(fp -> federation.peers().byFingerprint(fp));
        if (peer.isEmpty()) {
            federation.refused(fingerprint.orElse("none"), "is not a listed peer");
            return problem(response, callback, 403, "Not a peer", "the client certificate "
                    + fingerprint.orElse("(none)") + " is not pinned in this node's peer list");
        }
        Optional<String> invalid = FederationTls.peerOutsideValidity(request, java.time.Instant.now()); // the clock the handshake checked it by
        if (invalid.isPresent()) {
            federation.refused(fingerprint.get(), "is outside its validity: " + invalid.get());
            return problem(response, callback, 403, "Certificate not valid", invalid.get() + "; renew it and have it pinned anew");
        }
        Fields query;
        try {
            query = Request.extractQueryParameters(request, java.nio.charset.StandardCharsets.UTF_8);
        } catch (RuntimeException e) { // Jetty's refusal of a bad escape; not an error of this node's
            return problem(response, callback, 400, "Bad request", "the query string is not valid: each '%' is followed by two hexadecimal digits");
        }
        for (Fields.Field f : query) {
            if (f.getValues().size() > 1) {
                return problem(response, callback, 400, "Bad request", "query parameter '" + f.getName() + "' is given "
                        + f.getValues().size() + " times; give it once");
            }
        }
        switch (path) {
            case "/federation/v1/identity" -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(federation.ownIdentity()), callback);
                return true;
            }
            case "/federation/v1/feed" -> {
                Optional<PeerRequests.Held> held = feedRequests.enter(peer.get().fingerprint(), callback);
                if (held.isEmpty()) {
                    return problem(response, callback, 429, "Too many feed requests", "at most " + PeerRequests.PER_PEER
                            + " feed requests of one peer at once; a link needs one");
                }
                try {
                    return feed(query, response, held.get(), peer.get());
                } catch (RuntimeException e) {
                    return failed(request, response, held.get(), e); // through the held callback: its place is given back
                } catch (Exception | Error e) { // interrupted as the node stops, or worse: Jetty fails its own callback
                    held.get().leave();
                    throw e;
                }
            }
            case "/federation/v1/audit/head" -> {
                Optional<AuditLog> log = federation.auditLog();
                if (log.isEmpty()) return noAuditLog(response, callback);
                // The head the log signed last (every second while it grows); one is signed only if there is none.
                SignedTreeHead head = log.get().latestTreeHead().orElseGet(log.get()::signTreeHead);
                return json(response, callback, AuditJson.head(head));
            }
            case "/federation/v1/audit/proof" -> {
                Optional<AuditLog> log = federation.auditLog();
                if (log.isEmpty()) return noAuditLog(response, callback);
                String record = query.getValue("record");
                if (record == null || record.isBlank()) {
                    return problem(response, callback, 400, "Bad request", "record: the id of a record this node shared with you or received from you");
                }
                return auditProof(response, callback, log.get(), peer.get(), record);
            }
            default -> {
                return problem(response, callback, 404, "Not found", "no federation resource " + path);
            }
        }
    }

    private boolean feed(Fields query, Response response, Callback callback, Peer peer) throws Exception {
        Optional<NodeIdentity> identity = federation.identity(peer);
        if (identity.isEmpty()) {
            return problem(response, callback, 409, "Not yet introduced", "this node has not yet pinned your identity "
                    + "(keys and storage); its link to you asks for it — retry shortly");
        }
        Duration wait;
        try {
            wait = Duration.ofMillis(Math.clamp(Long.parseLong(Optional.ofNullable(query.getValue("wait")).orElse("0")), 0, MAX_WAIT.toMillis()));
        } catch (NumberFormatException e) {
            return problem(response, callback, 400, "Bad request", "wait: milliseconds, a whole number");
        }
        Feed.Batch batch;
        try {
            NodeIdentity pinned = identity.get();
            batch = federation.feed().next(peer.fingerprint(), () -> federation.identity(peer).orElse(pinned),
                    // ack absent (null) is not ack empty: the first is "the cursor", the second "nothing applied yet"
                    Optional.ofNullable(query.getValue("cursor")).orElse(""), query.getValue("ack"),
                    wait, () -> federation.stillPeer(peer));
        } catch (Feed.InvalidAck e) { // not "Bad cursor": a caller forgets its cursor on that, and its cursor is fine
            return problem(response, callback, 400, "Bad request", e.getMessage());
        } catch (InvalidPeerException e) {
            if (federation.stillPeer(peer)) return problem(response, callback, 400, "Bad cursor", e.getMessage());
            federation.refused(peer.fingerprint(), "was removed from the peer list while its request waited");
            return problem(response, callback, 403, "Not a peer", e.getMessage());
        } catch (Feed.Unavailable e) { // why is in this node's log: the reason may quote a local path
            return problem(response, callback, 503, "Record unavailable", "record " + e.recordId + " cannot be read on this node now; "
                    + "your feed resumes with it once it can (its operators see why in its log)");
        }
        byte[] body = FeedFrame.encode(batch.frames());
        federation.sent(peer, batch.records());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, FeedFrame.MEDIA_TYPE);
        response.getHeaders().put(IDENTITY_HEADER, federation.ownIdentityDigest()); // a peer re-reads it when it changes
        response.getHeaders().put(ACK_HEADER, "1");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /** The most entries about one record a partner is given: far more than a record's sharing ever makes. */
    private static final int MAX_PROOF_ENTRIES = 1000;

    /**
     * The entries about {@code record} that concern this peer — the record's {@code record.shared}
     * events to it and {@code record.received} events from it — each with its inclusion proof against
     * one signed tree head. Nothing else: for any other record, or one shared only with other nations,
     * the answer is the same 404 as for a record that does not exist.
     */
    private static boolean auditProof(Response response, Callback callback, AuditLog log, Peer peer, String record) throws Exception {
        List<AuditEntry> concerning = log.exchangesAbout(record, peer.nation(), MAX_PROOF_ENTRIES);
        if (concerning.isEmpty()) {
            return problem(response, callback, 404, "Not found", "this node's audit log holds nothing about record " + record
                    + " that concerns you");
        }
        long needed = concerning.getLast().index() + 1;
        SignedTreeHead head = log.latestTreeHead().filter(h -> h.treeSize() >= needed).orElseGet(log::signTreeHead);
        List<Map<String, Object>> entries = new ArrayList<>();
        for (AuditEntry e : concerning) {
            Map<String, Object> m = AuditJson.entry(e);
            m.put("inclusion", AuditJson.inclusion(log.inclusionProof(e.index(), head.treeSize())));
            entries.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("head", AuditJson.head(head));
        body.put("entries", entries);
        return json(response, callback, body);
    }

    private static boolean noAuditLog(Response response, Callback callback) throws Exception {
        return problem(response, callback, 404, "Not found", "this node keeps no audit log");
    }

    private static boolean json(Response response, Callback callback, Object body) throws Exception {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(body)), callback);
        return true;
    }

    private static boolean problem(Response response, Callback callback, int status, String title, String detail) throws Exception {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("type", "about:blank").put("title", title)
                .put("status", status).put("detail", detail));
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
