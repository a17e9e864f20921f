package io.bulwark.federation;

import io.bulwark.record.InvalidRecordException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * This node's link to one peer, on its own virtual thread: learns and pins the peer's identity, then
 * holds a standing feed request at the peer — answered the moment the peer has something for this
 * nation — and applies each response in order, asking for the next one while it applies (see
 * {@link #pull}); a request acknowledges only what is applied. An unreachable peer is retried with
 * backoff and caught up from the cursor when it returns.
 * The link stops as soon as the peer leaves the peer list.
 */
final class PeerLink implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);

    private final Federation federation;
    private final Peer peer;
    private final HttpClient http;
    private final Clock clock;
    private volatile boolean running = true;
    private volatile Thread thread;
    /** The thread applying a response beside the link's thread, if one is. */
    private volatile Thread applier;

    PeerLink(Federation federation, Peer peer, HttpClient http, Clock clock) {
        this.federation = federation;
        this.peer = peer;
        this.http = http;
        this.clock = clock;
    }

    Peer peer() {
        return peer;
    }

    void start() {
        thread = Thread.ofVirtual().name("bulwark-peer-" + peer.nation()).start(this);
    }

    /** Stops all exchange: the request the link waits on and the apply under way (which stops between runs of records). */
    void stop() {
        running = false;
        Thread t = thread;
        if (t != null) t.interrupt();
        Thread a = applier;
        if (a != null) a.interrupt();
    }

    void join(Duration timeout) throws InterruptedException {
        Thread t = thread;
        if (t != null) t.join(timeout);
    }

    @Override
    public void run() {
        long backoff = 100;
        while (running && federation.stillPeer(peer)) {
            try {
                NodeIdentity origin = federation.identity(peer).isPresent() ? federation.identity(peer).get() : introduce();
                if (pull(origin)) {
                    backoff = 100;
                } else { // the identity changed before any answer: pause, so a peer whose identity keeps changing is not asked in a loop
                    Thread.sleep(backoff);
                    backoff = Math.min(backoff * 2, 2_000);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // Any failure — the peer unreachable or refusing, a store refusing or throwing while a
                // response is applied — backs off and starts again from the stored cursor; the link
                // never dies while the peer is listed (what was not applied is delivered again).
                if (!running) return;
                String reason = e instanceof IOException ? "unreachable: " + describe(e) : describe(e);
                federation.failed(this, reason);
                if (e instanceof CursorRefused) {
                    // Bound to this node's certificate and the peer's cursor key: a renewed certificate or a
                    // new key makes it unusable for good. Starting over costs a redelivery, which is
                    // idempotent; keeping it would fail every request. (No apply runs here: pull waited.)
                    LOG.warn("peer {}: {}; asking from the beginning", peer.nation(), reason);
                    federation.restartFeed(peer);
                }
                // The status shows the reason. Refusals, an unreachable peer and failures a layer wrapped
                // stay at debug as before; anything else (e.g. a StoreException thrown through) also warns.
                if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof IllegalStateException) LOG.debug("peer {}: {}", peer.nation(), reason, e);
                else LOG.warn("peer {}: {}", peer.nation(), reason);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 2_000);
            }
        }
    }

    private NodeIdentity introduce() throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(peer.url().resolve("/federation/v1/identity"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
            requirePinnedServer(r);
            body = in.readNBytes(MAX_IDENTITY_BYTES + 1);
        }
        if (body.length > MAX_IDENTITY_BYTES) throw new InvalidPeerException("identity: larger than " + MAX_IDENTITY_BYTES + " bytes; refused");
        if (r.statusCode() != 200) throw new InvalidPeerException("identity: the peer answered " + r.statusCode() + problem(body));
        return federation.pin(peer, body);
    }

    /** A signed identity: keys, storage sites and every rotation statement; far below this even after many rotations. */
    static final int MAX_IDENTITY_BYTES = 4 * 1024 * 1024;

    /** The peer refused the cursor this node stored (see {@link #run}). */
    private static final class CursorRefused extends RuntimeException {
        CursorRefused(String message) {
            super(message);
        }
    }

    /**
     * Exchanges with the peer until something fails or its identity changes. Applying a response
     * (verification, blobs, one metadata commit) runs beside the request for the next one, so the
     * peer's scan, durable bookkeeping and the round trip overlap the apply instead of following it.
     * At most one response is applied at a time, in the order received, and at most one more waits
     * for it. A request made while an apply runs does not stand ({@code wait=0}): it takes what is
     * there already; if that is nothing, the link waits for the apply and then stands with an
     * acknowledgement that covers it. The acknowledgement ({@code ack}) is always the last cursor
     * applied durably, never one merely received — the empty one if nothing is applied yet. A peer
     * that does not say it honours {@code ack} ({@link FeedServer#ACK_HEADER}) is never asked ahead:
     * it would take the cursor as acknowledged. Returns whether the peer answered at all.
     */
    private boolean pull(NodeIdentity origin) throws IOException, InterruptedException {
        String fetched = federation.state().inbound(peer.fingerprint()).map(FederationState.Inbound::cursor).orElse("");
        acked = fetched;
        boolean honoursAck = false; // learnt from each response; until then, never ask ahead
        boolean answered = false; // the first request does not stand: the status says "connected" once the peer answered
        CompletableFuture<Void> applying = CompletableFuture.completedFuture(null);
        try {
            while (running && federation.stillPeer(peer)) {
                if (!honoursAck) settle(applying); // an older peer ignores ack: ask only once all received is applied
                boolean idle = applying.isDone();
                if (idle) settle(applying); // everything received is applied: acked == fetched
                Optional<Response> response = fetch(fetched, acked, idle && answered ? WAIT : Duration.ZERO);
                if (response.isEmpty()) return answered; // the identity changed and was pinned anew (or refused): start over
                if (!answered) federation.linked(this);
                answered = true;
                honoursAck = response.get().honoursAck();
                List<FeedFrame> frames = response.get().frames();
                String next = ((FeedFrame.End) frames.getLast()).cursor();
                if (frames.size() == 1) { // nothing for this node
                    if (!idle) { // not yet: let the apply finish, then stand with an acknowledgement that covers it
                        settle(applying);
                        continue;
                    }
                    apply(origin, frames); // a standing request that timed out: only its cursor to store
                    acked = fetched = next;
                    continue;
                }
                long received = System.nanoTime();
                settle(applying); // one apply at a time, in the order received; a failed one stops the link here
                federation.waitedToApply(peer, System.nanoTime() - received);
                if (!running) return true;
                applying = CompletableFuture.runAsync(() -> {
                    apply(origin, frames);
                    acked = next;
                }, task -> {
                    Thread t = Thread.ofVirtual().name("bulwark-peer-" + peer.nation() + "-apply").unstarted(task);
                    applier = t;
                    if (!running) t.interrupt(); // stopped meanwhile: stop() may have missed it
                    t.start();
                });
                fetched = next;
            }
            return answered;
        } finally {
            // Never leave an apply running behind the link: the node closes its stores after the links.
            // Its failure, if the link stops for another reason, changes nothing: the link starts again
            // from the stored cursor, so what it did not apply comes again.
            applying.exceptionally(failure -> {
                LOG.debug("peer {}: applying a response: {}", peer.nation(), describe(failure));
                return null;
            }).join();
            applier = null;
        }
    }

    /** A feed response, and whether the peer honours {@code ack} (so may be asked ahead). */
    private record Response(List<FeedFrame> frames, boolean honoursAck) {}

    /** The last cursor applied (stored): what a request acknowledges. */
    private volatile String acked = "";

    /** Waits for an apply; rethrows what it failed with. */
    private static void settle(CompletableFuture<Void> applying) throws InterruptedException {
        try {
            applying.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("applying a feed response failed", e.getCause());
        }
    }

    /** One feed request; empty if the peer's identity changed (it is pinned anew first, or refused). */
    private Optional<Response> fetch(String cursor, String ack, Duration wait) throws IOException, InterruptedException {
        URI uri = peer.url().resolve("/federation/v1/feed?wait=" + wait.toMillis() + "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.US_ASCII)
                + (ack.equals(cursor) ? "" : "&ack=" + URLEncoder.encode(ack, StandardCharsets.US_ASCII)));
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(WAIT.plusSeconds(30))
                .header("Accept", FeedFrame.MEDIA_TYPE).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try {
            requirePinnedServer(r);
        } catch (InvalidPeerException e) {
            r.body().close();
            throw e;
        }
        if (federation.identityChanged(peer, r.headers().firstValue(FeedServer.IDENTITY_HEADER).orElse(null))) {
            r.body().close();
            introduce(); // keys rotated or storage changed: pin the new identity first (or refuse it)
            return Optional.empty();
        }
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                byte[] body = in.readNBytes(2048);
                if (r.statusCode() == 400 && "Bad cursor".equals(field(body, "title"))) {
                    throw new CursorRefused("feed: the peer refused the stored cursor" + problem(body));
                }
                throw new InvalidPeerException("feed: the peer answered " + r.statusCode() + problem(body));
            }
            return Optional.of(new Response(FeedFrame.readAll(in), r.headers().firstValue(FeedServer.ACK_HEADER).isPresent()));
        }
    }

    /** Applies a whole response in order (runs of records in bulk), then moves the cursor. */
    private void apply(NodeIdentity origin, List<FeedFrame> frames) {
        Inbox inbox = federation.inbox();
        int received = 0;
        Optional<String> lastRejection = Optional.empty();
        // Counted and logged once the response is applied: one that fails part-way comes again whole,
        // and its rejections with it.
        List<String> rejections = new ArrayList<>();
        List<byte[]> run = new ArrayList<>();
        String cursor = null;
        // A feed sends a statement only beside a record sealed under it: any other is refused unread.
        // (One that passes is kept only once such a record is stored: the inbox's part.)
        java.util.Set<io.bulwark.crypto.KeyId> used = FeedFrame.epochsUsed(frames, federation.nation());
        for (FeedFrame f : frames) {
            // Stopped (the peer removed, the node closing): no more of it is applied; the rest comes again.
            if (!running) throw new IllegalStateException("the link to " + peer.nation() + " stopped while applying a response");
            if (f instanceof FeedFrame.Record r) {
                run.add(r.sealed());
                continue;
            }
            if (!run.isEmpty()) {
                for (Optional<String> outcome : inbox.records(origin, run)) {
                    if (outcome.isPresent()) {
                        lastRejection = Optional.of("rejected a record: " + outcome.get());
                        rejections.add(outcome.get());
                    } else {
                        received++;
                    }
                }
                run.clear();
            }
            switch (f) {
                case FeedFrame.Statement s -> {
                    try {
                        if (!used.contains(s.statement().epochKeyId())) {
                            throw new InvalidRecordException(s.statement() + ": no record of the response is sealed under it; not kept");
                        }
                        inbox.statement(origin, s.statement());
                    } catch (InvalidRecordException e) {
                        lastRejection = Optional.of("rejected an epoch key statement: " + e.getMessage());
                        rejections.add(e.getMessage());
                    }
                }
                case FeedFrame.Retract t -> {
                    Optional<String> outcome = inbox.retract(origin, t.tombstone());
                    if (outcome.isPresent()) {
                        lastRejection = Optional.of("rejected a retraction: " + outcome.get());
                        rejections.add(outcome.get());
                    }
                }
                case FeedFrame.Withdraw w -> inbox.withdraw(origin, w.recordId());
                case FeedFrame.End e -> cursor = e.cursor();
                case FeedFrame.Record r -> throw new AssertionError("handled above");
            }
        }
        federation.delivered(this, cursor, received, rejections.size(), lastRejection);
        rejections.forEach(reason -> federation.rejected(peer, reason));
    }

    /**
     * Refuses a response unless the server's certificate is the one pinned for this peer. The TLS
     * handshake accepts any listed peer's certificate (one client serves every link), so without this
     * another listed peer that can reach this node's traffic to the peer's address could answer in its
     * name: serve an identity of its own making under the peer's nation, or withdraw frames.
     */
    private void requirePinnedServer(HttpResponse<?> r) {
        Optional<java.security.cert.X509Certificate> leaf = r.sslSession().flatMap(PeerLink::leaf);
        String presented = leaf.map(PeerPins::fingerprint).orElse("none");
        if (!presented.equals(peer.fingerprint())) {
            throw new InvalidPeerException("the server at " + peer.url() + " presented certificate " + presented + ", not the one pinned for "
                    + peer.nation() + " (" + peer.fingerprint() + "); refused");
        }
        leaf.flatMap(c -> FederationTls.outsideValidity(c, java.time.Instant.now())).ifPresent(why -> {
            throw new InvalidPeerException("the server at " + peer.url() + ": " + why + "; refused");
        });
    }

    private static Optional<java.security.cert.X509Certificate> leaf(javax.net.ssl.SSLSession session) {
        try {
            return session.getPeerCertificates().length > 0 && session.getPeerCertificates()[0] instanceof java.security.cert.X509Certificate c
                    ? Optional.of(c) : Optional.empty();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The detail of a problem+json answer, if it is one. */
    private static String problem(byte[] body) {
        String detail = field(body, "detail");
        return detail.isEmpty() ? "" : ": " + detail;
    }

    private static String field(byte[] problem, String name) {
        try {
            return JSON.readTree(problem).path(name).asText("");
        } catch (IOException e) {
            return "";
        }
    }

    boolean alive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        Throwable c = e.getCause();
        if (c != null && c.getMessage() != null && !m.contains(c.getMessage())) m += " (" + c.getMessage() + ")";
        return m;
    }
}
