package io.bulwark.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.bulwark.audit.AuditEntry;
import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.audit.AuditJson;
import io.bulwark.audit.AuditLog;
import io.bulwark.crypto.CursorSeal;
import io.bulwark.node.identity.AuthResult;
import io.bulwark.node.identity.IdentityProviderException;
import io.bulwark.federation.Federation;
import io.bulwark.federation.PeerStatus;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.TokenVerifier;
import io.bulwark.store.InvalidInputException;
import io.bulwark.store.Page;
import io.bulwark.store.RecordChange;
import io.bulwark.store.RecordMetadata;
import io.bulwark.store.RecordQuery;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * The client API (OpenAPI 3.1 at {@code /openapi.json}): records, health, metrics, federation state
 * and the audit log. Every error is {@code application/problem+json} (RFC 9457); a request that fails
 * stores nothing. A refused bearer token is audited ({@code auth.failed}, with the reason, never the token).
 */
final class HttpApi extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final String RECORDS = "/api/v1/records";
    static final String CHANGES = "/api/v1/changes";
    /** Binds a change cursor to its use: a peer's feed cursor does not open here. */
    private static final String CHANGES_CURSOR = "bulwark-changes-cursor-v1";
    private static final String LISTING_CURSOR = "bulwark-listing-cursor-v1";
    static final int MAX_AUDIT_ENTRIES = 1000;
    /** Entries one call for audit entries reads at most, matching or not. */
    static final long MAX_AUDIT_SCAN = 100_000;
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new Jdk8Module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature()) // {"a":1,"a":2} is refused, not read as 2
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS); // {...}{...} is refused, not read as the first

    private final RecordService records;
    private final Optional<Federation> federation;
    private final TokenVerifier tokens;
    private final CurrentUsers users;
    private final PrometheusMeterRegistry meters;
    private final NodeConfig config;
    private final Semaphore inFlight;
    /** Standing requests for changes wait apart: they would otherwise hold the slots of the requests they wait for. */
    private final Semaphore watching;
    /** Request bodies held in memory, in KiB, across requests ({@code limits.maxBufferedBytes}). */
    private final Semaphore bodyBudget;
    private final int bodyBudgetKib;
    /** Standing requests (wait > 0) one identity holds: one client cannot take every slot. */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> standing = new java.util.concurrent.ConcurrentHashMap<>();
    static final int MAX_STANDING_PER_IDENTITY = 8;
    private final CursorSeal cursors;
    /** The listing's cursors, under a key of their own: a listing cursor may name a hidden record's position. */
    private final CursorSeal listingCursors;
    private final byte[] openApi;
    private final Auditor audit;
    private final ApprovalService approvals;
    private final NodeStorage storage;
    /** Which refused tokens are audited one by one; a flood of them is audited as summaries. */
    private final AuthFailures authFailures = new AuthFailures(java.time.Clock.systemUTC());

    HttpApi(RecordService records, TokenVerifier tokens, CurrentUsers users, PrometheusMeterRegistry meters, NodeConfig config,
            Optional<Federation> federation, Auditor audit, ApprovalService approvals, NodeStorage storage, CursorSeal cursors,
            CursorSeal listingCursors) throws IOException {
        this.cursors = cursors;
        this.listingCursors = listingCursors;
        this.approvals = approvals;
        this.storage = storage;
        this.federation = federation;
        this.audit = audit;
        this.records = records;
        this.users = users;
        this.tokens = tokens;
        this.meters = meters;
        this.config = config;
        this.inFlight = new Semaphore(config.limits().maxConcurrentRequests());
        this.watching = new Semaphore(config.limits().maxConcurrentRequests());
        this.bodyBudgetKib = (int) Math.min(Integer.MAX_VALUE, config.limits().bufferBudget() / 1024);
        this.bodyBudget = new Semaphore(bodyBudgetKib, true); // in turn: a large body is not passed over by a stream of small ones
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            this.openApi = in.readAllBytes();
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        boolean changes = CHANGES.equals(Request.getPathInContext(request));
        Semaphore slots = changes ? watching : inFlight;
        if (!slots.tryAcquire()) {
            problem(response, callback, new Problem(503, "Too many requests in flight",
                    "this node serves at most " + config.limits().maxConcurrentRequests() + (changes ? " requests for changes" : " requests")
                            + " at once; retry shortly"));
            return true;
        }
        // The slot is held until the response is written or failed, not until this method returns:
        // Jetty writes on, and a slow reader of a large payload would otherwise hold its bytes with no slot.
        SlotCallback done = new SlotCallback(callback, slots);
        try {
            route(request, response, done);
        } catch (Problem p) {
            problem(response, done, p);
        } catch (InvalidInputException e) {
            problem(response, done, Problem.badRequest(e.getMessage()));
        } catch (IdentityProviderException e) {
            // The provider's fault, not the token's (the verifier has logged it): retry later.
            problem(response, done, new Problem(503, "Identity provider unavailable", e.publicDetail()));
        } catch (RuntimeException | IOException e) {
            LOG.error("request {} {} failed", request.getMethod(), Request.getPathInContext(request), e);
            problem(response, done, new Problem(500, "Internal error", "the node could not complete the request; nothing was stored"));
        } catch (Error e) {
            done.release(); // Jetty fails its own callback, not this one
            throw e;
        }
        return true;
    }

    /** The request's callback, giving its slot back once: when the response completes, either way. */
    private static final class SlotCallback implements Callback {
        private final Callback callback;
        private final Semaphore slots;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        SlotCallback(Callback callback, Semaphore slots) {
            this.callback = callback;
            this.slots = slots;
        }

        void release() {
            if (released.compareAndSet(false, true)) slots.release();
        }

        @Override
        public void succeeded() {
            release();
            callback.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            release();
            callback.failed(x);
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }
    }

    private void route(Request request, Response response, Callback callback) throws IOException {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        switch (path) {
            case "/health" -> {
                only(method, "GET");
                json(response, callback, 200, Map.of("status", "UP", "nation", config.nation(), "node", config.node()));
            }
            case "/metrics" -> {
                only(method, "GET");
                // What a node stores and exchanges, in numbers: operating data, not for every token holder.
                operatorOrOfficer(authenticate(request), "read the metrics");
                write(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape().getBytes(StandardCharsets.UTF_8));
            }
            case "/openapi.json" -> {
                only(method, "GET");
                write(response, callback, 200, "application/json", openApi);
            }
            case RECORDS -> {
                switch (method) {
                    case "POST" -> publish(request, response, callback);
                    case "GET" -> list(request, response, callback);
                    default -> throw methodNotAllowed(method, "GET, POST");
                }
            }
            case CHANGES -> {
                only(method, "GET");
                changes(request, response, callback);
            }
            case "/api/v1/federation/peers" -> {
                only(method, "GET");
                peers(request, response, callback);
            }
            case "/api/v1/federation/confirmations" -> {
                only(method, "GET");
                confirmations(request, response, callback);
            }
            case "/api/v1/audit/head" -> {
                only(method, "GET");
                AuditLog log = auditLog(authenticate(request));
                known(query(request));
                json(response, callback, 200, AuditJson.head(log.signTreeHead()));
            }
            case "/api/v1/audit/entries" -> {
                only(method, "GET");
                auditEntries(request, response, callback);
            }
            case "/api/v1/audit/proof/inclusion" -> {
                only(method, "GET");
                inclusionProof(request, response, callback);
            }
            case "/api/v1/audit/proof/consistency" -> {
                only(method, "GET");
                consistencyProof(request, response, callback);
            }
            case "/api/v1/storage" -> {
                only(method, "GET");
                operatorOrOfficer(authenticate(request), "read the storage status");
                known(query(request));
                json(response, callback, 200, storageStatus(storage));
            }
            case APPROVALS -> {
                switch (method) {
                    case "POST" -> requestApproval(request, response, callback);
                    case "GET" -> listApprovals(request, response, callback);
                    default -> throw methodNotAllowed(method, "GET, POST");
                }
            }
            default -> {
                if (path.startsWith(APPROVALS + "/")) {
                    approvalResource(request, response, callback, path.substring(APPROVALS.length() + 1), method);
                } else if (path.startsWith(RECORDS + "/") && path.endsWith("/label") && path.indexOf('/', RECORDS.length() + 1) == path.length() - 6) {
                    only(method, "PUT");
                    relabel(request, response, callback, path.substring(RECORDS.length() + 1, path.length() - 6));
                } else if (path.startsWith(RECORDS + "/") && path.indexOf('/', RECORDS.length() + 1) < 0) {
                    String id = path.substring(RECORDS.length() + 1);
                    switch (method) {
                        case "GET" -> read(request, response, callback, id);
                        case "DELETE" -> retract(request, response, callback, id);
                        default -> throw methodNotAllowed(method, "GET, DELETE");
                    }
                } else {
                    throw new Problem(404, "Not found", "no such resource: " + path + " (see /openapi.json)");
                }
            }
        }
    }

    private static void only(String method, String allowed) {
        if (!method.equals(allowed)) throw methodNotAllowed(method, allowed);
    }

    private static Problem methodNotAllowed(String method, String allowed) {
        return new Problem(405, "Method not allowed", method + " is not allowed here; use " + allowed);
    }

    private Principal authenticate(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw authFailed(request, "anonymous", "no bearer token",
                    "a bearer token is required: Authorization: Bearer <token> (bulwark token prints one)");
        }
        AuthResult.Authenticated authenticated = switch (tokens.verify(header.substring(7).strip())) {
            case AuthResult.Authenticated a -> a;
            // The reason names the failed check and never contains the token (AuthResult.Rejected).
            case AuthResult.Rejected r -> throw authFailed(request, "anonymous", r.reason(), "the bearer token was refused: " + r.reason());
        };
        Principal fromToken = authenticated.principal();
        return users.current(fromToken, authenticated.issuedAt()).orElseThrow(() -> authFailed(request, Auditor.actor(fromToken), "local user no longer exists",
                "the bearer token was refused: local user '" + fromToken.name() + "' no longer exists on this node"));
    }

    private Problem authFailed(Request request, String actor, String reason, String detail) {
        String remote = Request.getRemoteAddr(request);
        meters.counter("bulwark_auth_failed_total").increment();
        if (authFailures.admit(remote)) {
            audit.record(Type.AUTH_FAILED, actor, null, Outcome.DENIED, Map.of("reason", Auditor.detail(reason),
                    "remote", remote, "path", Auditor.detail(Request.getPathInContext(request))));
        }
        return Problem.unauthorized(detail);
    }

    /** Audits the refusals that were not audited one by one since the last call: one summary per address. */
    void auditSuppressedAuthFailures() {
        for (AuthFailures.Summary s : authFailures.drain()) {
            audit.record(Type.AUTH_FAILED, "anonymous", null, Outcome.DENIED, Map.of(
                    "reason", "suppressed: " + s.count() + " more refused requests, beyond the budget audited one by one",
                    "remote", s.remote(), "suppressed", String.valueOf(s.count()),
                    "since", s.since().toString(), "until", s.until().toString()));
        }
    }

    private static void operatorOrOfficer(Principal principal, String what) {
        if (!principal.has(Role.OPERATOR) && !principal.has(Role.OFFICER)) {
            throw Problem.forbidden("the role operator or officer is needed to " + what + "; you have " + principal.roles());
        }
    }

    // ---- approvals (docs/approvals.md) -----------------------------------------------------------

    static final String APPROVALS = "/api/v1/approvals";

    /** {@code {id}}, {@code {id}/approve} or {@code {id}/reject}. */
    private void approvalResource(Request request, Response response, Callback callback, String rest, String method) throws IOException {
        String[] parts = rest.split("/", -1);
        if (parts.length == 1 && !parts[0].isEmpty()) {
            only(method, "GET");
            json(response, callback, 200, approval(approvals.get(authenticate(request), parts[0])));
        } else if (parts.length == 2 && parts[1].equals("approve")) {
            only(method, "POST");
            json(response, callback, 200, approval(approvals.approve(authenticate(request), parts[0])));
        } else if (parts.length == 2 && parts[1].equals("reject")) {
            only(method, "POST");
            Principal principal = authenticate(request);
            ApprovalService.mayDecide(principal, ApprovalService.Verdict.REJECT.id()); // before the body is read
            var body = jsonBody(request);
            for (var names = body.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("reason")) throw Problem.badRequest("unknown field '" + name + "'; known: reason");
            }
            if (body.has("reason") && !body.get("reason").isTextual()) throw Problem.badRequest("reason: a string");
            json(response, callback, 200, approval(approvals.reject(principal, parts[0], body.path("reason").asText(null))));
        } else {
            throw new Problem(404, "Not found", "no such resource: " + APPROVALS + "/" + rest + " (see /openapi.json)");
        }
    }

    private void requestApproval(Request request, Response response, Callback callback) throws IOException {
        Principal principal = authenticate(request);
        ApprovalService.mayRequest(principal); // before the body is read
        var body = jsonBody(request);
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("operation") && !name.equals("parameters")) {
                throw Problem.badRequest("unknown field '" + name + "'; known: operation, parameters");
            }
        }
        if (!body.path("operation").isTextual()) throw Problem.badRequest("operation: required, a string such as peer.add");
        Map<String, String> parameters = new LinkedHashMap<>();
        var p = body.path("parameters");
        if (!p.isMissingNode() && !p.isObject()) throw Problem.badRequest("parameters: an object of strings");
        for (var fields = p.fields(); fields.hasNext(); ) {
            var f = fields.next();
            if (!f.getValue().isTextual()) throw Problem.badRequest("parameters." + f.getKey() + ": a string");
            parameters.put(f.getKey(), f.getValue().asText());
        }
        ApprovalService.Request r = approvals.request(principal, body.get("operation").asText(), parameters);
        response.getHeaders().put(HttpHeader.LOCATION, APPROVALS + "/" + r.id());
        json(response, callback, 202, approval(r));
    }

    private void listApprovals(Request request, Response response, Callback callback) {
        Principal principal = authenticate(request);
        ApprovalService.mayRead(principal); // before the query is read
        Fields q = query(request);
        known(q, "state");
        Optional<ApprovalService.State> state = Optional.ofNullable(q.getValue("state")).map(v -> {
            for (ApprovalService.State s : ApprovalService.State.values()) if (s.id().equals(v)) return s;
            throw Problem.badRequest("state: pending, executing, executed, failed, rejected or expired, not '" + v + "'");
        });
        json(response, callback, 200, Map.of("requests", approvals.list(principal, state).stream().map(this::approval).toList()));
    }

    /** A small body (at most 64 KiB) read whole; 400 if it ends or stalls before its end, 413 if longer. */
    private static byte[] smallBody(Request request, String limit) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes(64 * 1024 + 1);
            if (bytes.length > 64 * 1024) throw new Problem(413, "Payload too large", limit);
            return bytes;
        } catch (IOException e) {
            throw bodyCut(request.getLength());
        }
    }

    /** A body whose connection ended inside it (Jetty's early EOF), or that stalled past the idle timeout: the caller's, so 400. */
    private static Problem bodyCut(long declared) {
        return Problem.badRequest("the body ended or stalled before its end" + (declared >= 0 ? " (" + declared + " bytes declared)" : ""));
    }

    private com.fasterxml.jackson.databind.JsonNode jsonBody(Request request) {
        byte[] bytes = smallBody(request, "a request body here is at most 64 KiB");
        if (bytes.length == 0) return JSON.createObjectNode();
        // UTF-8 only (RFC 8259 §8.1): Jackson would guess UTF-16 or UTF-32 from the first bytes, and fail outside its own errors.
        int bom = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        String text = utf8("the body", java.util.Arrays.copyOfRange(bytes, bom, bytes.length)); // a byte order mark may be ignored (§8.1)
        try {
            var node = JSON.readTree(text);
            if (node == null || !node.isObject()) throw Problem.badRequest("the body is a JSON object");
            return node;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            var at = e.getLocation();
            throw Problem.badRequest("the body is not JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage());
        }
    }

    private Map<String, Object> approval(ApprovalService.Request r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("operation", r.operation());
        m.put("parameters", r.parameters());
        m.put("digest", r.digest());
        m.put("requester", r.requester());
        m.put("created", r.created().toString());
        m.put("expires", r.expires().toString());
        m.put("state", r.state(approvals.now()).id());
        m.put("required", r.required());
        m.put("approvals", r.approvals().stream().map(HttpApi::decision).toList());
        m.put("rejection", r.rejection().map(HttpApi::decision).orElse(null));
        m.put("result", r.result().orElse(null));
        return m;
    }

    private static Map<String, Object> decision(ApprovalService.Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("officer", d.officer());
        m.put("time", d.time().toString());
        m.put("timeMillis", d.time().toEpochMilli());
        d.reason().ifPresent(reason -> m.put("reason", reason));
        m.put("signature", d.signature());
        m.put("publicKey", d.publicKey());
        return m;
    }

    // ---- the audit log ---------------------------------------------------------------------------

    private AuditLog auditLog(Principal principal) {
        operatorOrOfficer(principal, "read the audit log");
        return audit.log().orElseThrow(() -> new Problem(404, "Not found", "this node keeps no audit log"));
    }

    /** {@code ?from=INDEX&since=ISO-8601&limit=N}: entries oldest first, and {@code next} (the index to ask from) if there may be more. */
    private void auditEntries(Request request, Response response, Callback callback) {
        AuditLog log = auditLog(authenticate(request));
        Fields q = query(request);
        long from = 0;
        Optional<Instant> since = Optional.empty();
        int limit = 100;
        for (Fields.Field f : q) {
            switch (f.getName()) {
                case "from" -> from = longParam("from", f.getValue());
                case "since" -> since = Optional.of(time("since", f.getValue()));
                case "limit" -> {
                    limit = number("limit", f.getValue());
                    if (limit < 1 || limit > MAX_AUDIT_ENTRIES) {
                        throw Problem.badRequest("limit: between 1 and " + MAX_AUDIT_ENTRIES + ", not " + limit);
                    }
                }
                default -> throw Problem.badRequest("unknown query parameter '" + f.getName() + "'; known: from, since, limit");
            }
        }
        // One call reads at most MAX_AUDIT_SCAN entries: a 'since' in the future would otherwise read the whole
        // log, holding the reader every other audit read waits for; 'next' says where to go on.
        long size = log.size();
        long to = Math.min(size, from + MAX_AUDIT_SCAN); // from has at most 18 digits: no overflow
        List<AuditEntry> entries = log.entries(from, to, limit, since);
        List<Map<String, Object>> items = new ArrayList<>();
        for (AuditEntry e : entries) {
            Map<String, Object> item = AuditJson.entry(e);
            item.put("event", event(e.event()));
            items.add(item);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("size", size);
        body.put("entries", items);
        if (entries.size() == limit) body.put("next", entries.getLast().index() + 1);
        else if (to < size) body.put("next", to); // the scan stopped at its bound, not at the end of the log
        json(response, callback, 200, body);
    }

    private static Map<String, Object> event(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", e.type().wireName());
        m.put("time", e.time().toString());
        m.put("actor", e.actor());
        m.put("subject", e.subject().orElse(null));
        m.put("outcome", e.outcome().wireName());
        m.put("details", e.details());
        return m;
    }

    /** {@code ?index=&size=}; without {@code size}, against a tree head signed now (returned beside the proof). */
    private void inclusionProof(Request request, Response response, Callback callback) {
        AuditLog log = auditLog(authenticate(request));
        Fields q = query(request);
        known(q, "index", "size");
        long index = longParam("index", required(q, "index"));
        Map<String, Object> body = new LinkedHashMap<>();
        long size;
        boolean given = q.getValue("size") != null;
        if (!given) {
            // Checked before a head is signed for it: a request that fails stores nothing.
            long now = log.size();
            if (index >= now) throw Problem.badRequest("index: " + index + " is not below the log's size, " + now + " (size not given)");
            var head = log.signTreeHead();
            size = head.treeSize();
            body.put("head", AuditJson.head(head));
        } else {
            size = longParam("size", q.getValue("size"));
        }
        try {
            body.putAll(AuditJson.inclusion(log.inclusionProof(index, size)));
        } catch (IllegalArgumentException e) {
            // Name the parameter at fault; the size is checked first. Without size, the tree is the log's as it is now.
            String parameter = e.getMessage().startsWith("tree size") ? "size" : "index";
            throw Problem.badRequest(parameter + ": " + e.getMessage() + (given ? "" : " (size not given: the log's current size)"));
        }
        json(response, callback, 200, body);
    }

    /** {@code ?from=&to=}: that the tree of {@code from} entries is a prefix of the tree of {@code to}. */
    private void consistencyProof(Request request, Response response, Callback callback) {
        AuditLog log = auditLog(authenticate(request));
        Fields q = query(request);
        known(q, "from", "to");
        long from = longParam("from", required(q, "from"));
        long to = longParam("to", required(q, "to"));
        try {
            json(response, callback, 200, AuditJson.consistency(log.consistencyProof(from, to)));
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest((from < 0 || from > to ? "from" : "to") + ": " + e.getMessage());
        }
    }

    private static void known(Fields q, String... names) {
        for (Fields.Field f : q) {
            if (!List.of(names).contains(f.getName())) {
                throw Problem.badRequest("unknown query parameter '" + f.getName() + "'; "
                        + (names.length == 0 ? "this resource takes none" : "known: " + String.join(", ", names)));
            }
        }
    }

    private static String required(Fields q, String name) {
        String v = q.getValue(name);
        if (v == null) throw Problem.badRequest(name + ": required");
        return v;
    }

    private static long longParam(String name, String v) {
        if (v == null || !v.matches("[0-9]{1,18}")) throw Problem.badRequest(name + ": a whole number, not '" + v + "'");
        return Long.parseLong(v);
    }

    private void publish(Request request, Response response, Callback callback) throws IOException {
        Principal principal = authenticate(request);
        RecordService.requireRole(principal, Role.ANALYST, "publish"); // before the body is read: others may not make the node hold one
        long declared = request.getLength();
        long max = config.limits().maxPayloadBytes();
        if (declared > max) {
            throw new Problem(413, "Payload too large", "the payload is " + declared + " bytes; the limit is " + max);
        }
        // Reserved before a byte is read (the body is read into an array of its declared length): the
        // body and its sealed record, or the most a body of unknown length may be. Requests that declare
        // large bodies and send nothing hold memory only up to the budget; beyond it they get 503.
        int kib = (int) Math.min(bodyBudgetKib, (2 * (declared >= 0 ? declared : max) + 1023) / 1024);
        try {
            if (!bodyBudget.tryAcquire(kib, 2, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new Problem(503, "Busy", "the request bodies this node holds in memory at once (limits.maxBufferedBytes, "
                        + config.limits().bufferBudget() + " bytes) are in use; retry shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem(503, "Busy", "the node is stopping");
        }
        try {
            publishWithin(principal, request, response, callback, declared, max);
        } finally {
            bodyBudget.release(kib);
        }
    }

    private void publishWithin(Principal principal, Request request, Response response, Callback callback, long declared, long max) throws IOException {
        byte[] payload;
        try (InputStream in = Content.Source.asInputStream(request)) {
            if (declared >= 0 && declared <= Integer.MAX_VALUE - 8) {
                // Into an array of the declared length (Jetty holds a body to its Content-Length):
                // readNBytes(int) would gather chunks and copy them all once more.
                payload = new byte[(int) declared];
                int n = in.readNBytes(payload, 0, payload.length);
                if (n < payload.length) throw Problem.badRequest("the body ended after " + n + " of its declared " + declared + " bytes");
            } else {
                payload = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            }
        } catch (IOException e) {
            throw bodyCut(declared);
        }
        if (payload.length > max) {
            throw new Problem(413, "Payload too large", "the payload exceeds the limit of " + max + " bytes");
        }
        String label = labelHeader(request);
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        var boundary = Multipart.boundary(contentType);
        if (boundary.isPresent()) {
            // multipart/form-data: a 'label' part (marking, STANAG 4774 XML or JSON) and a 'payload' part
            var parts = Multipart.parse(payload, boundary.get());
            for (String name : parts.keySet()) {
                if (!name.equals("label") && !name.equals("payload")) {
                    throw Problem.badRequest("multipart: unknown part '" + Multipart.quoted(name) + "'; the parts are 'label' and 'payload'");
                }
            }
            Multipart.Part labelPart = parts.get("label");
            Multipart.Part payloadPart = parts.get("payload");
            if (payloadPart == null) throw Problem.badRequest("multipart: the 'payload' part is missing");
            if (labelPart != null && label != null) {
                throw Problem.badRequest("the label is given twice: in the Bulwark-Label header and in a 'label' part");
            }
            if (labelPart != null) label = utf8("multipart part 'label'", labelPart.body());
            payload = payloadPart.body();
            contentType = payloadPart.contentType().orElse("application/octet-stream");
        }
        RecordService.Published p = records.publish(principal, label, request.getHeaders().get("Bulwark-Residency"), contentType, payload);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", p.id());
        body.put("label", p.marking());
        body.put("contentType", p.contentType());
        body.put("size", p.size());
        body.put("created", p.created().toString());
        body.put("residency", p.residency());
        response.getHeaders().put(HttpHeader.LOCATION, RECORDS + "/" + p.id());
        json(response, callback, 201, body);
    }

    private void read(Request request, Response response, Callback callback, String id) {
        Principal principal = authenticate(request);
        RecordService.Opened opened = records.read(principal, id).orElseThrow(Problem::notFound);
        response.getHeaders().put("Bulwark-Label", opened.marking());
        response.getHeaders().put("Bulwark-Origin", opened.metadata().originNation() + "/" + opened.metadata().originNode());
        write(response, callback, 200, opened.metadata().contentType(), opened.payload());
    }

    private void relabel(Request request, Response response, Callback callback, String id) throws IOException {
        Principal principal = authenticate(request);
        RecordService.requireRole(principal, Role.ANALYST, "relabel records"); // before the body is read
        String label = labelHeader(request);
        byte[] body = smallBody(request, "a label is at most 64 KiB");
        if (label != null && body.length > 0) {
            throw Problem.badRequest("the label is given twice: in Bulwark-Label and in the body; give it once");
        }
        if (label == null) label = utf8("the label in the body", body);
        RecordService.Published p = records.relabel(principal, id, label);
        json(response, callback, 200, Map.of("id", p.id(), "label", p.marking()));
    }

    private Federation federation(Principal principal) {
        operatorOrOfficer(principal, "see federation state");
        return federation.orElseThrow(() -> new Problem(404, "Not found",
                "this node has no federation API (set federation.listen in bulwark.yaml, or init with --federation-listen)"));
    }

    private void peers(Request request, Response response, Callback callback) {
        Federation f = federation(authenticate(request));
        known(query(request));
        json(response, callback, 200, Map.of("peers", f.status().stream().map(HttpApi::peer).toList()));
    }

    /** The sites with health and holdings, under-replicated records, and the running or last evacuation. */
    static Map<String, Object> storageStatus(NodeStorage storage) {
        StorageAdmin.Status status = storage.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sites", status.sites().stream().map(s -> {
            Map<String, Object> site = new LinkedHashMap<>();
            site.put("id", s.id());
            site.put("provider", s.provider());
            site.put("jurisdiction", s.jurisdiction());
            site.put("operator", s.operator());
            site.put("kind", s.kind());
            site.put("up", s.up());
            site.put("acceptsWrites", s.acceptsWrites());
            site.put("blobs", s.blobs());
            site.put("bytes", s.bytes());
            return site;
        }).toList());
        m.put("underReplicated", status.examples());
        m.put("underReplicatedCount", status.underReplicated());
        NodeStorage.EvacuationState e = storage.evacuationState();
        Map<String, Object> evacuation = new LinkedHashMap<>();
        e.progress().ifPresent(p -> {
            evacuation.put("records", p.records());
            evacuation.put("totalRecords", p.totalRecords());
            evacuation.put("bytes", p.bytes());
            evacuation.put("totalBytes", p.totalBytes());
        });
        e.report().ifPresent(r -> {
            evacuation.put("provider", r.provider());
            evacuation.put("moved", r.moved());
            evacuation.put("alreadyElsewhere", r.alreadyElsewhere());
            evacuation.put("impossible", r.impossible().stream().map(d -> d.recordId() + ": " + d.reason()).toList());
            evacuation.put("failed", r.failed());
        });
        if (!evacuation.isEmpty()) m.put("evacuation", evacuation);
        return m;
    }

    static Map<String, Object> peer(PeerStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nation", s.nation());
        m.put("url", s.url());
        m.put("fingerprint", s.fingerprint());
        m.put("node", s.node().orElse(null));
        m.put("state", s.state());
        m.put("ackedSeq", s.ackedSeq());
        m.put("lagRecords", s.lagRecords().isPresent() ? s.lagRecords().getAsLong() : null); // null: not yet known
        m.put("lagCapped", s.lagCapped());
        m.put("lagSeconds", s.lagSeconds().isPresent() ? s.lagSeconds().getAsLong() : null);
        m.put("lastAck", s.lastAck().map(Instant::toString).orElse(null));
        m.put("received", s.received());
        m.put("rejected", s.rejected());
        m.put("lastDelivery", s.lastDelivery().map(Instant::toString).orElse(null));
        m.put("lastError", s.lastError().orElse(null));
        m.put("lastErrorAt", s.lastErrorAt().map(Instant::toString).orElse(null));
        return m;
    }

    private void confirmations(Request request, Response response, Callback callback) {
        Federation f = federation(authenticate(request));
        Fields q = query(request);
        known(q, "record");
        Optional<String> record = Optional.ofNullable(q.getValue("record"));
        json(response, callback, 200, Map.of("confirmations", f.confirmations(record).stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("record", c.recordId());
            m.put("nation", c.nation());
            m.put("kind", c.kind());
            m.put("requested", c.requestedAt().toString());
            m.put("confirmed", c.confirmedAt().map(Instant::toString).orElse(null));
            return m;
        }).toList()));
    }

    private void retract(Request request, Response response, Callback callback, String id) {
        Principal principal = authenticate(request);
        if (!records.retract(principal, id)) throw Problem.notFound();
        response.setStatus(204);
        callback.succeeded();
    }

    private void list(Request request, Response response, Callback callback) {
        Principal principal = authenticate(request);
        RecordService.requireRole(principal, Role.ANALYST, "list records"); // before the query is read
        Fields q = query(request, "value");
        RecordQuery query = RecordQuery.all();
        String cursor = null;
        for (Fields.Field f : q) {
            String v = f.getValue();
            try {
                query = switch (f.getName()) {
                    case "cursor" -> {
                        cursor = v;
                        yield query;
                    }
                    case "limit" -> query.withPageSize(number("limit", v));
                    case "origin" -> query.withOriginNation(v);
                    case "policy" -> query.withPolicy(v);
                    case "classification" -> query.withClassification(v);
                    case "value" -> query.withLabelValues(f.getValues());
                    case "after" -> query.withCreatedAfter(time("after", v));
                    case "before" -> query.withCreatedBefore(time("before", v));
                    default -> throw Problem.badRequest("unknown query parameter '" + f.getName()
                            + "'; known: cursor, limit, origin, policy, classification, value, after, before");
                };
            } catch (InvalidInputException e) { // named as the caller named it, not as the store does
                throw Problem.badRequest(f.getName() + " '" + (f.getName().equals("value") ? String.join("', '", f.getValues()) : v)
                        + "'" + e.position().map(at -> " at " + at).orElse("") + ": " + e.rule());
            }
        }
        // A cursor holds for the caller and the query that got it: it may name a record the caller may
        // not see, and must not anchor another caller's or another query's window.
        String context = listingContext(principal, query);
        if (cursor != null) {
            String given = cursor;
            Problem notIssued = Problem.badRequest("cursor '" + given + "': not a cursor this node issued to you for this listing "
                    + "(the same filters); pass one back exactly as a page gave it, or start again without one");
            String position = listingCursors.openBytes(given, context).map(p -> new String(p, StandardCharsets.US_ASCII))
                    .orElseThrow(() -> notIssued);
            try {
                query = query.withCursor(position);
            } catch (InvalidInputException e) { // never echo the position: it may be a hidden record's
                throw notIssued;
            }
        }
        Page<RecordMetadata> page = records.list(principal, query, config.limits().listingWindow());
        List<Map<String, Object>> items = new ArrayList<>();
        for (RecordMetadata m : page.items()) items.add(item(m, new LinkedHashMap<>()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        page.nextCursor().ifPresent(c -> body.put("next", listingCursors.seal(c.getBytes(StandardCharsets.US_ASCII), context)));
        json(response, callback, 200, body);
    }

    /** What a listing cursor is bound to: its use, the caller, and the query's filters (not its page size). */
    private static String listingContext(Principal principal, RecordQuery q) {
        return String.join("\0", LISTING_CURSOR, principal.identity(), q.originNation().orElse(""), q.policy().orElse(""),
                q.classification().orElse(""), String.join(",", new java.util.TreeSet<>(q.labelValues())),
                q.createdAfter().map(t -> Long.toString(t.toEpochMilli())).orElse(""),
                q.createdBefore().map(t -> Long.toString(t.toEpochMilli())).orElse(""));
    }

    /** A record's metadata as lists and changes show it, added to {@code item}. */
    private Map<String, Object> item(RecordMetadata m, Map<String, Object> item) {
        item.put("id", m.id());
        item.put("label", records.compiledLabel(m).canonicalMarking());
        item.put("origin", m.originNation() + "/" + m.originNode());
        item.put("created", m.createdAt().toString());
        item.put("contentType", m.contentType());
        item.put("size", m.payloadSize());
        return item;
    }

    /**
     * The changes the caller may see after its cursor (or from the beginning, or from now), oldest
     * first; with {@code wait}, a standing request that answers as soon as one commits. The cursor
     * is this node's change-log position, sealed: it moves past changes the caller may not see
     * without telling that they exist.
     */
    private void changes(Request request, Response response, Callback callback) {
        Principal principal = authenticate(request);
        RecordService.requireRole(principal, Role.ANALYST, "read the changes to records"); // before the query is read
        Fields q = query(request);
        known(q, "cursor", "from", "limit", "wait");
        String cursor = q.getValue("cursor");
        String from = q.getValue("from");
        if (cursor != null && from != null) throw Problem.badRequest("give either cursor or from, not both");
        int limit = q.getValue("limit") == null ? 100 : number("limit", q.getValue("limit"));
        if (limit < 1 || limit > RecordQuery.MAX_PAGE_SIZE) {
            throw Problem.badRequest("limit '" + limit + "': must be between 1 and " + RecordQuery.MAX_PAGE_SIZE);
        }
        // Cut to half the request timeout, so that the connection's idle timeout never ends a wait.
        int wait = Math.min(q.getValue("wait") == null ? 0 : number("wait", q.getValue("wait")), config.limits().requestTimeoutSeconds() / 2);
        long after;
        if (cursor != null) {
            after = cursors.open(cursor, CHANGES_CURSOR).orElseThrow(() -> Problem.badRequest("cursor '" + cursor
                    + "': not a cursor this node issued for changes; pass one back exactly as a response gave it, or start again with from"));
        } else if (from == null || from.equals("beginning")) {
            after = 0;
        } else if (from.equals("latest")) {
            after = records.latestChange(principal);
        } else {
            throw Problem.badRequest("from '" + from + "': must be beginning or latest");
        }
        String identity = principal.identity();
        if (wait > 0 && standing.merge(identity, 1, Integer::sum) > MAX_STANDING_PER_IDENTITY) {
            standing.computeIfPresent(identity, (k, n) -> n == 1 ? null : n - 1);
            throw new Problem(429, "Too many standing requests", "you hold " + MAX_STANDING_PER_IDENTITY
                    + " standing requests for changes at this node already; one is enough: continue with the cursor of its answer");
        }
        RecordService.SeenChanges seen;
        try {
            seen = records.changesAfter(principal, after, limit, java.time.Duration.ofSeconds(wait));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem(503, "Node stopping", "the node is stopping; ask again with the same cursor once it is back");
        } finally {
            if (wait > 0) standing.computeIfPresent(identity, (k, n) -> n == 1 ? null : n - 1);
        }
        List<Map<String, Object>> items = new ArrayList<>();
        for (RecordService.SeenChange s : seen.changes()) {
            RecordChange c = s.change();
            Map<String, Object> item = new LinkedHashMap<>();
            // Removed says only which record the caller no longer has, not why (retracted, or relabelled away).
            item.put("change", s.seen() == RecordService.Seen.AS_REMOVED ? "removed" : c.entry().kind().name().toLowerCase(java.util.Locale.ROOT));
            item.put("at", c.entry().at().toString());
            if (s.seen() == RecordService.Seen.AS_REMOVED) item.put("id", c.record().id());
            else item(c.record(), item);
            items.add(item);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("cursor", cursors.seal(seen.after(), CHANGES_CURSOR));
        json(response, callback, 200, body);
    }

    private static final String EXT_VALUE_PREFIX = "UTF-8''";

    /**
     * A header's text. HTTP carries header values as ASCII (clients such as {@code java.net.http}
     * cannot send anything else), so text that is not — a marking such as {@code VS-NUR FÜR DEN
     * DIENSTGEBRAUCH} — comes as an RFC 8187 ext-value: {@code UTF-8''} and the percent-encoded UTF-8
     * bytes. Any other value is taken as it is.
     */
    static String extValue(String name, String value) {
        if (value == null || !value.regionMatches(true, 0, EXT_VALUE_PREFIX, 0, EXT_VALUE_PREFIX.length())) return value;
        String encoded = value.substring(EXT_VALUE_PREFIX.length());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            int offset = EXT_VALUE_PREFIX.length() + i;
            if (c == '%') {
                int hi = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(encoded.charAt(i + 2), 16);
                if (lo < 0) {
                    throw Problem.badRequest(name + " at offset " + offset + ": in an RFC 8187 ext-value (UTF-8''...), "
                            + "'%' is followed by two hexadecimal digits");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c >= 0x20 && c < 0x7f) {
                bytes.write(c);
            } else {
                throw Problem.badRequest(name + " at offset " + offset + ": an RFC 8187 ext-value (UTF-8''...) is ASCII; "
                        + "percent-encode every other byte");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw Problem.badRequest(name + ": the percent-encoded bytes of the RFC 8187 ext-value (UTF-8''...) are not UTF-8");
        }
    }

    /** The Bulwark-Label header's value, if given; 400 if it is given more than once (which would count is not the caller's guess). */
    private static String labelHeader(Request request) {
        List<String> values = request.getHeaders().getValuesList("Bulwark-Label");
        if (values.size() > 1) throw Problem.badRequest("Bulwark-Label is given " + values.size() + " times; give it once");
        return extValue("Bulwark-Label", values.isEmpty() ? null : values.getFirst());
    }

    /** The bytes as UTF-8 text; 400 naming {@code what} and the offset if they are not UTF-8 (never replaced by U+FFFD). */
    static String utf8(String what, byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw Problem.badRequest(what + " at byte " + in.position() + ": not UTF-8");
        }
    }

    private static boolean percentEncodedUtf8(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (lo < 0) return false;
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                return false; // a request line is ASCII
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray()));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static int number(String name, String v) {
        if (v == null || !v.matches("[0-9]{1,9}")) throw Problem.badRequest(name + ": a whole number, not '" + v + "'");
        return Integer.parseInt(v);
    }

    /**
     * The request's query parameters; 400 if the query string is not percent-encoded UTF-8, or if a
     * parameter other than {@code repeatable} ones is given more than once (which value would count
     * is not the caller's guess to make).
     */
    private static Fields query(Request request, String... repeatable) {
        String raw = request.getHttpURI().getQuery();
        if (raw != null && !percentEncodedUtf8(raw)) {
            // Jetty would fail on a bad escape and put U+FFFD for bytes that are not UTF-8.
            throw Problem.badRequest("the query string is not valid: each '%' is followed by two hexadecimal digits, "
                    + "and the bytes they give are UTF-8");
        }
        Fields q = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        for (Fields.Field f : q) {
            if (f.getValues().size() > 1 && !List.of(repeatable).contains(f.getName())) {
                throw Problem.badRequest("query parameter '" + f.getName() + "' is given " + f.getValues().size() + " times; give it once");
            }
        }
        return q;
    }

    private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private static Instant time(String name, String v) {
        Instant t;
        try {
            t = Instant.parse(v);
        } catch (DateTimeParseException | NullPointerException e) {
            throw Problem.badRequest(name + ": an ISO 8601 UTC instant such as 2026-11-26T12:00:00Z, not '" + v + "'");
        }
        if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
            throw Problem.badRequest(name + ": an instant in the years 0000 to 9999, not '" + v + "'");
        }
        return t;
    }

    private static void json(Response response, Callback callback, int status, Object body) {
        try {
            write(response, callback, status, "application/json", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void problem(Response response, Callback callback, Problem p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.detail());
        if (p.status() == 401) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
        }
        try {
            write(response, callback, p.status(), "application/problem+json", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    private static void write(Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
