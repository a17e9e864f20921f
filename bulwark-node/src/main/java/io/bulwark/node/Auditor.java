package io.bulwark.node;

import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditEvent.Outcome;
import io.bulwark.audit.AuditEvent.Type;
import io.bulwark.audit.AuditException;
import io.bulwark.audit.AuditLog;
import io.bulwark.node.identity.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the node's security-relevant acts go: its audit log ({@code data/audit.db}).
 *
 * <p>Events are queued with {@link AuditLog#appendLater}, not appended synchronously: the act that
 * caused one (a publish, a read) does not wait for the audit log's fsync on top of its own. The log's
 * single writer keeps the order in which events were queued and commits them together every
 * {@link #COMMIT_DELAY} at most, so a crash may lose the last ~200 ms of events but never reorders or alters one
 * (docs/decisions/2026-11-27-audit-in-the-node.md). A failed append is logged as an error: the act
 * it records has already happened and is not undone.
 */
final class Auditor implements Consumer<AuditEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(Auditor.class);

    /**
     * How long the log's writer gathers events before it commits them. Nobody waits for that commit,
     * and publishing is bound by fsyncs (4–5 ms each on the build machines): without the delay a busy
     * node made about one audit fsync per publish, competing with the publishes' own; with it, at most
     * five a second (docs/BENCHMARKS.md, "Auditing cost"). Less than the one second of entries that a
     * crash leaves unsigned anyway.
     */
    static final Duration COMMIT_DELAY = Duration.ofMillis(200);

    /** Audits nothing: only for the benchmark that measures what auditing costs ({@link Node#startUnaudited}). */
    static final Auditor NONE = new Auditor(Optional.empty(), Clock.systemUTC());

    private final Optional<AuditLog> log;
    private final Clock clock;

    Auditor(Optional<AuditLog> log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    /** The log, if this node audits. */
    Optional<AuditLog> log() {
        return log;
    }

    @Override
    public void accept(AuditEvent event) {
        if (log.isEmpty()) return;
        try {
            log.get().appendLater(event).whenComplete((index, failure) -> {
                if (failure != null) LOG.error("an audit event was not stored: {} ({})", event, failure.toString());
            });
        } catch (AuditException e) {
            LOG.error("an audit event was not stored: {} ({})", event, e.getMessage());
        }
    }

    /** Records an event that happens now. */
    void record(Type type, String actor, String subject, Outcome outcome, Map<String, String> details) {
        if (log.isEmpty()) return;
        event(type, actor, subject, outcome, details).ifPresent(this::accept);
    }

    /**
     * Records an event that happens now and returns once it is durable: for the rare actions that
     * change who may do what (approvals and what they execute), whose record must not lag behind them.
     */
    void recordNow(Type type, String actor, String subject, Outcome outcome, Map<String, String> details) {
        if (log.isEmpty()) return;
        event(type, actor, subject, outcome, details).ifPresent(e -> {
            try {
                log.get().append(e);
            } catch (AuditException failure) {
                LOG.error("an audit event was not stored: {} ({})", e, failure.getMessage());
            }
        });
    }

    /** The event, or empty (logged) if its fields break the audit format: the action it records has happened, so it must not fail now. */
    private Optional<AuditEvent> event(Type type, String actor, String subject, Outcome outcome, Map<String, String> details) {
        try {
            return Optional.of(new AuditEvent(type, clock.instant(), actor, Optional.ofNullable(subject), outcome, details));
        } catch (io.bulwark.audit.InvalidAuditEventException e) {
            LOG.error("an audit event could not be made ({} by {} on {}): {}", type, actor, subject, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A principal as an actor: {@code name@NATION} (names are unique per nation, not across
     * nations), cut to the audit format's 256 characters.
     */
    static String actor(Principal p) {
        String nation = "@" + p.nationality();
        String name = p.name();
        int room = AuditEvent.MAX_NAME_LENGTH - nation.length();
        if (name.length() > room) name = name.substring(0, Character.isHighSurrogate(name.charAt(room - 1)) ? room - 1 : room);
        return name + nation;
    }

    /** Text from outside (a rejection reason) made safe for a detail value: no control characters, at most 1024 characters. */
    static String detail(String text) {
        String clean = text.codePoints().filter(c -> !Character.isISOControl(c) && Character.getType(c) != Character.SURROGATE) // lone halves
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        if (clean.length() <= AuditEvent.MAX_VALUE_LENGTH) return clean;
        int end = AuditEvent.MAX_VALUE_LENGTH;
        if (Character.isHighSurrogate(clean.charAt(end - 1))) end--;
        return clean.substring(0, end);
    }
}
