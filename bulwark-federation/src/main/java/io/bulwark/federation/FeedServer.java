package io.bulwark.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;

/**
 * The federation API (docs/federation.md), served only over the pinned mutual-TLS connector:
 * {@code GET /federation/v1/identity} and {@code GET /federation/v1/feed?cursor=&wait=}. Every request
 * is authorised by the client certificate's fingerprint against the peer list as it is <em>now</em>:
 * a removed peer's open connection is refused at its next request.
 */
final class FeedServer extends Handler.Abstract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);
    /** SHA-256 of the node's signed identity, on every feed response. */
    static final String IDENTITY_HEADER = "Bulwark-Identity";

    private final Federation federation;

    FeedServer(Federation federation) {
        this.federation = federation;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (!"GET".equals(request.getMethod())) {
            return problem(response, callback, 405, "Method not allowed", "the federation API answers GET only");
        }
        Optional<String> fingerprint = FederationTls.peerFingerprint(request);
        Optional<Peer> peer = fingerprint.flatMap(fp -> federation.peers().byFingerprint(fp));
        if (peer.isEmpty()) {
            federation.refused(fingerprint.orElse("none"));
            return problem(response, callback, 403, "Not a peer", "the client certificate "
                    + fingerprint.orElse("(none)") + " is not pinned in this node's peer list");
        }
        switch (path) {
            case "/federation/v1/identity" -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(federation.ownIdentity()), callback);
                return true;
            }
            case "/federation/v1/feed" -> {
                Optional<NodeIdentity> identity = federation.identity(peer.get());
                if (identity.isEmpty()) {
                    return problem(response, callback, 409, "Not yet introduced", "this node has not yet pinned your identity "
                            + "(keys and storage); its link to you asks for it — retry shortly");
                }
                Fields query = Request.extractQueryParameters(request);
                Duration wait;
                try {
                    wait = Duration.ofMillis(Math.clamp(Long.parseLong(Optional.ofNullable(query.getValue("wait")).orElse("0")), 0, MAX_WAIT.toMillis()));
                } catch (NumberFormatException e) {
                    return problem(response, callback, 400, "Bad request", "wait: milliseconds, a whole number");
                }
                Feed.Batch batch;
                try {
                    batch = federation.feed().next(peer.get().fingerprint(), identity.get(),
                            Optional.ofNullable(query.getValue("cursor")).orElse(""), wait, () -> federation.stillPeer(peer.get()));
                } catch (InvalidPeerException e) {
                    return federation.stillPeer(peer.get()) ? problem(response, callback, 400, "Bad cursor", e.getMessage())
                            : problem(response, callback, 403, "Not a peer", e.getMessage());
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                FeedFrame.writeHeader(out);
                for (FeedFrame f : batch.frames()) FeedFrame.write(f, out);
                federation.sent(peer.get(), batch.records());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, FeedFrame.MEDIA_TYPE);
                response.getHeaders().put(IDENTITY_HEADER, federation.ownIdentityDigest()); // a peer re-reads it when it changes
                response.write(true, ByteBuffer.wrap(out.toByteArray()), callback);
                return true;
            }
            default -> {
                return problem(response, callback, 404, "Not found", "no federation resource " + path);
            }
        }
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
