package io.bulwark.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * M-of-N approval of sensitive operations (docs/approvals.md). An operator or officer requests an
 * operation; it runs once {@code required} distinct officers other than the requester have approved
 * it before it expires; one rejection ends it. Every approval and rejection is signed with the node's
 * hybrid signing key over {@link #signedBytes}; every step is audited. The requests live in
 * {@code data/approvals.json}, rewritten atomically after each change, so they survive a restart.
 *
 * <p>Synchronized as a whole: approvals are rare and human-paced, and one lock makes "count the
 * approvals, then execute once" trivially race-free.
 */
final class ApprovalService {

    private static final Logger LOG = LoggerFactory.getLogger(ApprovalService.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new Jdk8Module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    static final String SIGNATURE_CONTEXT = "bulwark-approval-v1";
    static final String DIGEST_CONTEXT = "bulwark-operation-v1";
    static final int MAX_REASON = 1024;
    private static final String INTERRUPTED = "interrupted: the node stopped while it ran; check what it did and request it again";

    /**
     * Where a request stands. {@link #EXPIRED} is never stored: a pending request past its expiry is
     * expired. {@link #EXECUTING} is stored before the operation runs, so a request found executing at
     * start was interrupted: it becomes {@link #FAILED} rather than run again.
     */
    enum State {
        PENDING, EXECUTING, EXECUTED, FAILED, REJECTED, EXPIRED;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Verdict {
        APPROVE, REJECT;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * An officer's signed approval or rejection.
     *
     * @param signature  base64 hybrid signature over {@link #signedBytes}
     * @param publicKey  base64 encoding of the public key that signed; its SHA-256 is the {@code signingKey} of {@code bulwark node info}
     * @param identity   who decided, as the token's issuer vouched: what makes officers distinct ({@link #identity(Principal)})
     */
    record Decision(Verdict verdict, String officer, Instant time, Optional<String> reason, String signature, String publicKey,
                    String identity) {}

    /**
     * A request and what became of it.
     *
     * @param digest   hex SHA-256 of the operation and its canonical parameters ({@link #digest})
     * @param required M at the time of the request (a later change of the setting does not move the goalposts)
     * @param result   what the execution did, or why it failed
     * @param requesterIdentity the requester as {@link #identity(Principal)} gives it
     */
    record Request(String id, String operation, Map<String, String> parameters, String digest, String requester,
                   Instant created, Instant expires, int required, List<Decision> approvals, Optional<Decision> rejection,
                   State state, Optional<String> result, String requesterIdentity) {

        Request {
            parameters = new TreeMap<>(parameters);
            approvals = List.copyOf(approvals);
        }

        State state(Instant now) {
            return state == State.PENDING && !now.isBefore(expires) ? State.EXPIRED : state;
        }

        private Request with(List<Decision> approvals, Optional<Decision> rejection, State state, Optional<String> result) {
            return new Request(id, operation, parameters, digest, requester, created, expires, required, approvals, rejection, state, result,
                    requesterIdentity);
        }
    }

    record Stored(List<Request> requests) {}

    private final Path file;
    private final Map<String, SensitiveOperation> operations = new TreeMap<>();
    private final int required;
    private final Duration expiry;
    /** The node's keys as they are now: an approved rotation swaps them. */
    private final java.util.function.Supplier<SigningKeyset> keys;
    private final Auditor audit;
    private final Clock clock;
    private final Map<String, Request> requests = new LinkedHashMap<>();

    ApprovalService(Path file, List<SensitiveOperation> operations, int required, Duration expiry,
                    java.util.function.Supplier<SigningKeyset> keys, Auditor audit, Clock clock) throws IOException {
        this.file = file;
        for (SensitiveOperation o : operations) this.operations.put(o.name(), o);
        this.required = required;
        this.expiry = expiry;
        this.keys = keys;
        this.audit = audit;
        this.clock = clock;
        if (Files.exists(file)) {
            List<Request> interrupted = new ArrayList<>();
            for (Request r : JSON.readValue(file.toFile(), Stored.class).requests()) {
                if (r.state() == State.EXECUTING) { // the node stopped while it ran: what it did is unknown, so it never runs again
                    LOG.warn("approved request {} ({}) was interrupted by a stop while it ran; it is failed, not run again", r.id(), r.operation());
                    r = r.with(r.approvals(), r.rejection(), State.FAILED, Optional.of(INTERRUPTED));
                    interrupted.add(r);
                }
                requests.put(r.id(), r);
            }
            if (!interrupted.isEmpty()) {
                save();
                // The audit showed the approval that made M and then nothing: it says how the execution ended.
                for (Request r : interrupted) {
                    audit.recordNow(Type.ADMIN, "approval:" + r.id(), r.operation(), Outcome.FAILURE, Map.of("request", r.id(),
                            "digest", r.digest(), "reason", INTERRUPTED));
                }
            }
        }
    }

    /** Whether a decision (or request) was made by this identity; files from before identities were kept compare actors. */
    private static boolean same(String storedIdentity, String storedActor, Principal p) {
        return storedIdentity != null ? storedIdentity.equals(p.identity()) : storedActor.equals(Auditor.actor(p));
    }

    /** Puts the request in place and saves; if the save fails, the request is as it was (in memory too). */
    private void store(Request r) {
        Request previous = requests.put(r.id(), r);
        try {
            save();
        } catch (RuntimeException e) {
            if (previous == null) requests.remove(r.id());
            else requests.put(r.id(), previous);
            throw e;
        }
    }

    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** The most requests one requester may have pending at once. */
    static final int MAX_PENDING_PER_REQUESTER = 32;

    /** Files a request; nothing happens until it is approved. */
    synchronized Request request(Principal principal, String operation, Map<String, String> parameters) {
        mayRequest(principal);
        SensitiveOperation op = operations.get(operation);
        if (op == null) {
            throw Problem.badRequest("operation: unknown '" + operation + "'; known: " + String.join(", ", operations.keySet()));
        }
        List<String> known = new ArrayList<>(op.parameters());
        known.addAll(op.optionalParameters());
        for (String name : parameters.keySet()) {
            if (!known.contains(name)) {
                throw Problem.badRequest("parameters." + name + ": not a parameter of " + operation
                        + (known.isEmpty() ? ", which takes none" : "; its parameters: " + String.join(", ", known)));
            }
        }
        for (String name : op.parameters()) {
            if (parameters.get(name) == null) throw Problem.badRequest("parameters." + name + ": required");
        }
        Map<String, String> canonical = op.check(parameters);
        Instant now = now();
        long pending = requests.values().stream()
                .filter(q -> same(q.requesterIdentity(), q.requester(), principal) && q.state(now) == State.PENDING).count();
        if (pending >= MAX_PENDING_PER_REQUESTER) {
            // Every request is kept (for 30 days after its expiry) and rewritten with the file: one operator (or a stolen token)
            // must not bury the officers.
            throw new Problem(429, "Too many pending requests", "you have " + pending + " requests pending, the most one requester may have; "
                    + "wait until they are decided or expire (" + expiry.toMinutes() + " minutes after they were filed)");
        }
        Request r = new Request(UUID.randomUUID().toString(), operation, canonical, HexFormat.of().formatHex(digest(operation, canonical)),
                Auditor.actor(principal), now, now.plus(expiry), required, List.of(), Optional.empty(), State.PENDING, Optional.empty(),
                principal.identity());
        store(r);
        Map<String, String> details = new TreeMap<>(Map.of("action", "request", "operation", operation, "digest", r.digest(),
                "required", String.valueOf(required), "expires", r.expires().toString()));
        // Audit detail keys are lower case: pathStyle is param.path-style.
        canonical.forEach((k, v) -> details.put("param." + k.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT), Auditor.detail(v)));
        audit.recordNow(Type.APPROVAL, r.requester(), r.id(), Outcome.SUCCESS, details);
        return r;
    }

    synchronized List<Request> list(Principal principal, Optional<State> state) {
        mayRead(principal);
        Instant now = now();
        return requests.values().stream().filter(r -> state.isEmpty() || r.state(now) == state.get()).toList().reversed();
    }

    synchronized Request get(Principal principal, String id) {
        mayRead(principal);
        return find(id);
    }

    /**
     * Adds an officer's approval; the request executes on the approval that makes {@code required}.
     * A failed execution is recorded on the request ({@link State#FAILED}), not thrown: the approval
     * itself stands.
     */
    synchronized Request approve(Principal principal, String id) {
        Request r = decidable(principal, id, Verdict.APPROVE);
        String officer = Auditor.actor(principal);
        if (same(r.requesterIdentity(), r.requester(), principal)) {
            throw refused(r, officer, Verdict.APPROVE, Problem.forbidden("you requested " + r.id()
                    + "; its approvals must come from other officers"));
        }
        if (r.approvals().stream().anyMatch(d -> same(d.identity(), d.officer(), principal))) {
            throw refused(r, officer, Verdict.APPROVE, new Problem(409, "Duplicate approval", officer + " has already approved "
                    + r.id() + "; it needs " + r.required() + " distinct officers (" + r.approvals().size() + " so far)"));
        }
        List<Decision> approvals = new ArrayList<>(r.approvals());
        approvals.add(sign(r, principal, Verdict.APPROVE, Optional.empty()));
        boolean runs = approvals.size() >= r.required();
        // Executing is stored before the operation runs: a stop while it runs must not leave a request
        // that the next approval would run a second time.
        r = r.with(approvals, Optional.empty(), runs ? State.EXECUTING : State.PENDING, Optional.empty());
        store(r);
        audit.recordNow(Type.APPROVAL, officer, id, Outcome.SUCCESS, Map.of("action", "approve", "operation", r.operation(),
                "digest", r.digest(), "approvals", approvals.size() + "/" + r.required()));
        if (runs) r = execute(r);
        return r;
    }

    /** Ends a request: one officer's rejection is enough. */
    synchronized Request reject(Principal principal, String id, String reason) {
        Request r = decidable(principal, id, Verdict.REJECT);
        if (reason == null || reason.isBlank()) throw Problem.badRequest("reason: required (why the request is rejected)");
        if (reason.length() > MAX_REASON) throw Problem.badRequest("reason: at most " + MAX_REASON + " characters");
        String officer = Auditor.actor(principal);
        r = r.with(r.approvals(), Optional.of(sign(r, principal, Verdict.REJECT, Optional.of(Auditor.detail(reason)))), State.REJECTED,
                Optional.empty());
        store(r);
        audit.recordNow(Type.APPROVAL, officer, id, Outcome.SUCCESS, Map.of("action", "reject", "operation", r.operation(),
                "digest", r.digest(), "reason", Auditor.detail(reason)));
        return r;
    }

    private Request decidable(Principal principal, String id, Verdict verdict) {
        mayDecide(principal, verdict.id());
        Request r = find(id);
        String officer = Auditor.actor(principal);
        State state = r.state(now());
        if (state == State.EXPIRED) {
            throw refused(r, officer, verdict, new Problem(409, "Request expired", "request " + id + " expired at " + r.expires()
                    + " with " + r.approvals().size() + " of " + r.required() + " approvals; it can no longer run (request it again)"));
        }
        if (state != State.PENDING) {
            throw refused(r, officer, verdict, new Problem(409, "Already decided", "request " + id + " is " + state.id()
                    + "; nothing more can be decided on it"));
        }
        return r;
    }

    /** Audits a refused decision and hands back the problem to throw. */
    private Problem refused(Request r, String officer, Verdict verdict, Problem p) {
        audit.recordNow(Type.APPROVAL, officer, r.id(), Outcome.DENIED, Map.of("action", verdict.id(), "operation", r.operation(),
                "digest", r.digest(), "reason", Auditor.detail(p.detail())));
        return p;
    }

    private Request execute(Request r) {
        SensitiveOperation op = operations.get(r.operation());
        Request done;
        try {
            if (op == null) throw new Problem(501, "Not implemented", r.operation() + " is not an operation of this build");
            if (!HexFormat.of().formatHex(digest(r.operation(), r.parameters())).equals(r.digest())) {
                // What the officers signed is the digest: parameters that no longer give it were changed since.
                throw new Problem(409, "Parameters changed", "its parameters no longer match the digest the officers approved; "
                        + "the approvals file was changed; nothing was done");
            }
            verifyApprovals(r);
            String what = op.execute(r.parameters(), "approval:" + r.id());
            done = r.with(r.approvals(), Optional.empty(), State.EXECUTED, Optional.of(what));
            audit.recordNow(Type.ADMIN, "approval:" + r.id(), r.operation(), Outcome.SUCCESS, Map.of("request", r.id(),
                    "digest", r.digest(), "result", Auditor.detail(what)));
        } catch (Problem e) {
            done = failed(r, e.detail());
        } catch (Exception e) {
            LOG.error("approved request {} ({}) failed", r.id(), r.operation(), e);
            done = failed(r, "the node could not carry it out: " + e.getMessage());
        }
        // What ran is not undone by a failing save, so the outcome stays in memory (the next save
        // writes it) and is answered as it is; rolling back would answer "nothing was stored" and
        // leave the request "executing" though it ran.
        requests.put(done.id(), done);
        try {
            save();
        } catch (RuntimeException e) {
            LOG.error("approved request {} ({}) ended {}, but the approvals file could not be saved; the next save writes it",
                    done.id(), done.operation(), done.state(), e);
        }
        return done;
    }

    /**
     * Checks what the file says was approved against what officers signed: each approval a valid
     * signature by this node's keys over the request's id and digest, from {@code required} distinct
     * officers other than the requester. A digest recomputed after editing the parameters, or an
     * approval added to the file, does not pass; the request's other fields are not signed.
     */
    private void verifyApprovals(Request r) {
        byte[] digest = HexFormat.of().parseHex(r.digest());
        java.util.Set<String> officers = new java.util.HashSet<>();
        for (Decision d : r.approvals()) {
            try {
                if (d.verdict() != Verdict.APPROVE) throw new java.security.SignatureException("not an approval");
                keys.get().verify(Base64.getDecoder().decode(d.signature()), signedBytes(r.id(), digest, d.officer(), d.time(), Verdict.APPROVE));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new Problem(409, "Approvals changed", "the approval by " + d.officer() + " does not verify with this node's keys "
                        + "for this request and digest; the approvals file was changed; nothing was done");
            }
            boolean byRequester = d.identity() != null && r.requesterIdentity() != null
                    ? d.identity().equals(r.requesterIdentity()) : d.officer().equals(r.requester());
            if (byRequester) {
                throw new Problem(409, "Approvals changed", "an approval is by the requester " + r.requester()
                        + "; the approvals file was changed; nothing was done");
            }
            // Distinct signatures (a copied approval repeats one; only the node's key makes new ones) of distinct identities.
            if (!officers.add(d.signature()) || r.approvals().stream().filter(o -> o != d)
                    .anyMatch(o -> java.util.Objects.equals(o.identity(), d.identity()) && o.officer().equals(d.officer()))) {
                throw new Problem(409, "Approvals changed", "an approval by " + d.officer()
                        + " appears twice; the approvals file was changed; nothing was done");
            }
        }
        if (officers.size() < Math.max(1, r.required())) {
            throw new Problem(409, "Approvals changed", officers.size() + " distinct officers approved, " + Math.max(1, r.required())
                    + " are needed; the approvals file was changed; nothing was done");
        }
    }

    private Request failed(Request r, String why) {
        audit.recordNow(Type.ADMIN, "approval:" + r.id(), r.operation(), Outcome.FAILURE, Map.of("request", r.id(),
                "digest", r.digest(), "reason", Auditor.detail(why)));
        return r.with(r.approvals(), Optional.empty(), State.FAILED, Optional.of(why));
    }

    private Decision sign(Request r, Principal principal, Verdict verdict, Optional<String> reason) {
        Instant time = now();
        String officer = Auditor.actor(principal);
        SigningKeyset signer = keys.get();
        try {
            byte[] signature = signer.sign(signedBytes(r.id(), HexFormat.of().parseHex(r.digest()), officer, time, verdict));
            Base64.Encoder b64 = Base64.getEncoder();
            return new Decision(verdict, officer, time, reason, b64.encodeToString(signature), b64.encodeToString(signer.primary().encode()),
                    principal.identity());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the node's signing key failed", e);
        }
    }

    private Request find(String id) {
        Request r = requests.get(id);
        if (r == null) throw new Problem(404, "Not found", "no approval request " + id);
        return r;
    }

    /** Refuses a caller who may not file requests (the role checks come before any input is read). */
    static void mayRequest(Principal principal) {
        if (!principal.has(Role.OPERATOR) && !principal.has(Role.OFFICER)) {
            throw Problem.forbidden("the role operator or officer is needed to request a sensitive operation; you have " + principal.roles());
        }
    }

    /** Refuses a caller who may not approve or reject ({@code verb}) requests. */
    static void mayDecide(Principal principal, String verb) {
        if (!principal.has(Role.OFFICER)) {
            throw Problem.forbidden("the role officer is needed to " + verb + " a request; you have " + principal.roles());
        }
    }

    static void mayRead(Principal principal) {
        if (!principal.has(Role.OPERATOR) && !principal.has(Role.OFFICER)) {
            throw Problem.forbidden("the role operator or officer is needed to see approval requests; you have " + principal.roles());
        }
    }

    /**
     * How long a decided or expired request stays in the file (and the API) after its expiry time:
     * the file is rewritten at every change, so it must not grow for ever. The audit log keeps every
     * request, decision and execution.
     */
    static final Duration KEPT_AFTER_EXPIRY = Duration.ofDays(30);

    private boolean prunable(Request r, Instant now) {
        return r.state(now) != State.PENDING && r.state(now) != State.EXECUTING && r.expires().plus(KEPT_AFTER_EXPIRY).isBefore(now);
    }

    /**
     * Writes every request but those past {@link #KEPT_AFTER_EXPIRY} (which leave memory too once the file
     * is written) to a temporary file, forces it, and renames it over the old one: a crash leaves one or the other.
     */
    private void save() {
        Instant now = now();
        List<Request> kept = requests.values().stream().filter(r -> !prunable(r, now)).toList();
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(new Stored(kept)));
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                d.force(true); // the rename itself is durable only once the directory is
            } catch (IOException e) {
                // some file systems cannot force a directory; the rename is still atomic
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        if (kept.size() < requests.size()) requests.values().removeIf(r -> prunable(r, now));
    }

    /**
     * What identifies an operation: SHA-256 of {@code str("bulwark-operation-v1") || str(operation) ||
     * u32 count || (str(name) || str(value))*} with the parameters sorted by name, where {@code str} is a
     * u32 big-endian byte length and the UTF-8 bytes.
     */
    static byte[] digest(String operation, Map<String, String> parameters) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        str(out, DIGEST_CONTEXT);
        str(out, operation);
        out.writeBytes(ByteBuffer.allocate(4).putInt(parameters.size()).array());
        new TreeMap<>(parameters).forEach((k, v) -> {
            str(out, k);
            str(out, v);
        });
        try {
            return MessageDigest.getInstance("SHA-256").digest(out.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What an officer's decision signs: {@code str("bulwark-approval-v1") || str(request id) ||
     * digest (32 bytes) || str(officer) || u64 time in milliseconds since the epoch || str("approve" | "reject")}.
     */
    static byte[] signedBytes(String requestId, byte[] digest, String officer, Instant time, Verdict verdict) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        str(out, SIGNATURE_CONTEXT);
        str(out, requestId);
        out.writeBytes(digest);
        str(out, officer);
        out.writeBytes(ByteBuffer.allocate(8).putLong(time.toEpochMilli()).array());
        str(out, verdict.id());
        return out.toByteArray();
    }

    private static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        out.writeBytes(b);
    }
}
