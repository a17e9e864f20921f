package io.bulwark.node;

import io.bulwark.crypto.SigningKeyset;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The approval rules on their own, with a clock the test moves: counting, expiry, who may decide. */
class ApprovalServiceTest {

    /** A clock that stands still until the test moves it. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-11-27T10:00:00Z");
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    final List<Map<String, String>> executed = new ArrayList<>();
    final SensitiveOperation op = new SensitiveOperation() {
        @Override public String name() { return "test.op"; }
        @Override public List<String> parameters() { return List.of("x"); }
        @Override public Map<String, String> check(Map<String, String> p) { return Map.copyOf(p); }
        @Override public String execute(Map<String, String> p, String actor) {
            executed.add(p);
            return "done " + p.get("x");
        }
    };
    final TestClock clock = new TestClock();

    static Principal user(String name, Role... roles) {
        return new Principal(name, "DEU", List.of("NATO SECRET"), Set.of(), Set.of(roles), "bulwark:DEU:deu-1");
    }

    /** The node's keys, the same across a test's restarts. */
    final SigningKeyset keys = SigningKeyset.generate();

    ApprovalService service(Path dir, int required) throws Exception {
        return new ApprovalService(dir.resolve("approvals.json"), List.of(op), required, Duration.ofHours(24), () -> keys,
                Auditor.NONE, clock);
    }

    @Test
    void runsOnlyOnTheMthApprovalOfDistinctOfficers(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        assertThat(s.approve(user("olga", Role.OFFICER), r.id()).state()).isEqualTo(ApprovalService.State.PENDING);
        assertThat(executed).as("too few approvals: nothing happens").isEmpty();
        assertThatThrownBy(() -> s.approve(user("olga", Role.OFFICER), r.id()))
                .isInstanceOf(Problem.class).hasMessageContaining("olga@DEU has already approved")
                .extracting(e -> ((Problem) e).status()).isEqualTo(409);
        assertThat(executed).isEmpty();
        var done = s.approve(user("omar", Role.OFFICER), r.id());
        assertThat(done.state()).isEqualTo(ApprovalService.State.EXECUTED);
        assertThat(done.result()).contains("done 1");
        assertThat(executed).containsExactly(Map.of("x", "1"));
        assertThatThrownBy(() -> s.approve(user("oleg", Role.OFFICER), r.id())).hasMessageContaining("is executed")
                .extracting(e -> ((Problem) e).status()).isEqualTo(409);
    }

    /** An operation that ran is answered as run though the approvals file could not be saved then; the next save writes it. */
    @Test
    void whatRanIsAnsweredAsRunWhenItsRecordCannotBeSavedAndTheNextSaveWritesIt(@TempDir Path dir) throws Exception {
        Path obstacle = dir.resolve("approvals.json.tmp");
        SensitiveOperation blocking = new SensitiveOperation() {
            @Override public String name() { return "test.op"; }
            @Override public List<String> parameters() { return List.of("x"); }
            @Override public Map<String, String> check(Map<String, String> p) { return Map.copyOf(p); }
            @Override public String execute(Map<String, String> p, String actor) throws Exception {
                executed.add(p);
                java.nio.file.Files.createDirectory(obstacle); // the save's temporary file cannot be written now
                return "done " + p.get("x");
            }
        };
        ApprovalService s = new ApprovalService(dir.resolve("approvals.json"), List.of(blocking), 2, Duration.ofHours(24), () -> keys,
                Auditor.NONE, clock);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());

        var done = s.approve(user("omar", Role.OFFICER), r.id());

        assertThat(done.state()).isEqualTo(ApprovalService.State.EXECUTED);
        assertThat(s.get(user("olga", Role.OFFICER), r.id()).state()).isEqualTo(ApprovalService.State.EXECUTED);
        java.nio.file.Files.delete(obstacle);
        s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "2"));
        assertThat(service(dir, 2).get(user("olga", Role.OFFICER), r.id()).state()).as("after a restart").isEqualTo(ApprovalService.State.EXECUTED);
        assertThat(executed).containsExactly(Map.of("x", "1"));
    }

    @Test
    void anExpiredRequestCanNeitherBeApprovedNorRun(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());
        clock.now = clock.now.plus(Duration.ofHours(24));
        assertThatThrownBy(() -> s.approve(user("omar", Role.OFFICER), r.id()))
                .isInstanceOf(Problem.class).hasMessageContaining("expired at 2026-11-28T10:00:00Z with 1 of 2 approvals")
                .extracting(e -> ((Problem) e).title()).isEqualTo("Request expired");
        assertThat(executed).isEmpty();
        assertThat(s.list(user("otto", Role.OPERATOR), java.util.Optional.of(ApprovalService.State.EXPIRED))).hasSize(1);
    }

    @Test
    void decidedAndExpiredRequestsLeaveTheFileThirtyDaysAfterTheirExpiry(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 1);
        Principal otto = user("otto", Role.OPERATOR);
        var executedOne = s.request(otto, "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), executedOne.id());
        var expiredOne = s.request(otto, "test.op", Map.of("x", "2"));
        clock.now = clock.now.plus(Duration.ofHours(24)).plus(ApprovalService.KEPT_AFTER_EXPIRY); // exactly 30 days after both expired
        var pendingOne = s.request(otto, "test.op", Map.of("x", "3"));
        assertThat(s.list(otto, java.util.Optional.empty())).extracting(ApprovalService.Request::id)
                .containsExactly(pendingOne.id(), expiredOne.id(), executedOne.id());

        clock.now = clock.now.plusMillis(1);
        s.reject(user("olga", Role.OFFICER), pendingOne.id(), "no"); // any change rewrites the file, without the two old ones
        assertThat(s.list(otto, java.util.Optional.empty())).extracting(ApprovalService.Request::id).containsExactly(pendingOne.id());
        assertThatThrownBy(() -> s.get(otto, executedOne.id())).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).status()).isEqualTo(404);
        assertThat(java.nio.file.Files.readString(dir.resolve("approvals.json"))).doesNotContain(executedOne.id(), expiredOne.id());
        assertThat(service(dir, 1).list(otto, java.util.Optional.empty())).extracting(ApprovalService.Request::id)
                .containsExactly(pendingOne.id());
    }

    @Test
    void theRequesterCannotApproveEvenAsAnOfficerAndOneRejectionEndsIt(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 1);
        Principal both = user("oscar", Role.OPERATOR, Role.OFFICER);
        var r = s.request(both, "test.op", Map.of("x", "1"));
        assertThatThrownBy(() -> s.approve(both, r.id())).hasMessageContaining("you requested")
                .extracting(e -> ((Problem) e).status()).isEqualTo(403);
        assertThatThrownBy(() -> s.approve(user("otto", Role.OPERATOR), r.id())).hasMessageContaining("the role officer is needed")
                .extracting(e -> ((Problem) e).status()).isEqualTo(403);
        assertThatThrownBy(() -> s.reject(user("olga", Role.OFFICER), r.id(), " ")).hasMessageContaining("reason: required");
        assertThat(s.reject(user("olga", Role.OFFICER), r.id(), "not agreed with FRA").state()).isEqualTo(ApprovalService.State.REJECTED);
        assertThatThrownBy(() -> s.approve(user("omar", Role.OFFICER), r.id())).hasMessageContaining("is rejected");
        assertThat(executed).isEmpty();
    }

    @Test
    void oneRequesterHasAtMostSoManyRequestsPending(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 1);
        Principal otto = user("otto", Role.OPERATOR);
        List<ApprovalService.Request> filed = new ArrayList<>();
        for (int i = 0; i < ApprovalService.MAX_PENDING_PER_REQUESTER; i++) filed.add(s.request(otto, "test.op", Map.of("x", "" + i)));
        assertThatThrownBy(() -> s.request(otto, "test.op", Map.of("x", "more")))
                .isInstanceOf(Problem.class).hasMessageContaining("you have 32 requests pending")
                .extracting(e -> ((Problem) e).status()).isEqualTo(429);
        s.request(user("oscar", Role.OPERATOR), "test.op", Map.of("x", "other")); // another requester's are his own
        s.reject(user("olga", Role.OFFICER), filed.getFirst().id(), "no");
        s.request(otto, "test.op", Map.of("x", "after a decision"));
        clock.now = clock.now.plus(Duration.ofHours(24)); // all expired
        s.request(otto, "test.op", Map.of("x", "after expiry"));
    }

    @Test
    void requestsNameWhatIsWrong(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 1);
        Principal otto = user("otto", Role.OPERATOR);
        assertThatThrownBy(() -> s.request(otto, "peer.ad", Map.of())).hasMessage("operation: unknown 'peer.ad'; known: test.op");
        assertThatThrownBy(() -> s.request(otto, "test.op", Map.of())).hasMessage("parameters.x: required");
        assertThatThrownBy(() -> s.request(otto, "test.op", Map.of("x", "1", "y", "2")))
                .hasMessage("parameters.y: not a parameter of test.op; its parameters: x");
        assertThatThrownBy(() -> s.request(user("ana", Role.ANALYST), "test.op", Map.of("x", "1")))
                .hasMessageContaining("the role operator or officer is needed");
    }

    @Test
    void pendingRequestsAndTheirApprovalsSurviveARestart(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());
        ApprovalService again = service(dir, 2);
        var back = again.get(user("otto", Role.OPERATOR), r.id());
        assertThat(back).isEqualTo(s.get(user("otto", Role.OPERATOR), r.id()));
        assertThat(again.approve(user("omar", Role.OFFICER), r.id()).state()).isEqualTo(ApprovalService.State.EXECUTED);
    }

    @Test
    void theSamePersonUnderAnotherNationalityIsNotASecondOfficer(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        String idp = "https://idp.example";
        s.approve(new Principal("alice", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER), idp), r.id());
        // The provider's nationality attribute changed between two approvals: still alice of that provider.
        assertThatThrownBy(() -> s.approve(new Principal("alice", "FRA", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER), idp), r.id()))
                .isInstanceOf(Problem.class).extracting(e -> ((Problem) e).status()).isEqualTo(409);
        assertThat(executed).isEmpty();
        // Another issuer's alice is another person.
        assertThat(s.approve(new Principal("alice", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER), "bulwark:DEU:deu-1"),
                r.id()).state()).isEqualTo(ApprovalService.State.EXECUTED);
    }

    @Test
    void aRequestInterruptedWhileItRanIsFailedAtStartNotRunAgain(@TempDir Path dir) throws Exception {
        SigningKeyset keys = SigningKeyset.generate();
        SensitiveOperation dies = new SensitiveOperation() {
            @Override public String name() { return "test.op"; }
            @Override public List<String> parameters() { return List.of("x"); }
            @Override public Map<String, String> check(Map<String, String> p) { return Map.copyOf(p); }
            @Override public String execute(Map<String, String> p, String actor) {
                executed.add(p);
                throw new Error("the node stops here"); // as a crash: nothing after this point runs
            }
        };
        ApprovalService s = new ApprovalService(dir.resolve("approvals.json"), List.of(dies), 1, Duration.ofHours(24), () -> keys, Auditor.NONE, clock);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        assertThatThrownBy(() -> s.approve(user("olga", Role.OFFICER), r.id())).isInstanceOf(Error.class);

        ApprovalService restarted;
        try (io.bulwark.audit.AuditLog log = new io.bulwark.audit.AuditLog(dir.resolve("audit.db"), keys, Duration.ofHours(1), clock, Duration.ZERO)) {
            restarted = new ApprovalService(dir.resolve("approvals.json"), List.of(op), 1, Duration.ofHours(24), () -> keys,
                    new Auditor(Optional.of(log), clock), clock);
            // The audit said "approve 1/1" and then nothing: now it says how the execution ended.
            assertThat(log.entries(0, 100, Optional.empty())).singleElement().satisfies(e -> {
                assertThat(e.event().type()).isEqualTo(io.bulwark.audit.AuditEvent.Type.ADMIN);
                assertThat(e.event().actor()).isEqualTo("approval:" + r.id());
                assertThat(e.event().outcome()).isEqualTo(io.bulwark.audit.AuditEvent.Outcome.FAILURE);
                assertThat(e.event().details().get("reason")).startsWith("interrupted");
            });
        }
        var after = restarted.get(user("otto", Role.OPERATOR), r.id());
        assertThat(after.state()).isEqualTo(ApprovalService.State.FAILED);
        assertThat(after.result().orElseThrow()).startsWith("interrupted");
        assertThatThrownBy(() -> restarted.approve(user("omar", Role.OFFICER), r.id())).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).status()).isEqualTo(409);
        assertThat(executed).hasSize(1);
    }

    @Test
    void aFileFromBeforeIdentitiesWereKeptStillTakesRequests(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 1);
        s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        Path file = dir.resolve("approvals.json");
        String before = java.nio.file.Files.readString(file);
        String old = before.replaceAll(",?\\s*\"requesterIdentity\"\\s*:\\s*\"[^\"]*\"", "");
        assertThat(old).as("the file as nodes wrote it before identities were kept").isNotEqualTo(before).doesNotContain("requesterIdentity");
        java.nio.file.Files.writeString(file, old);

        ApprovalService restarted = service(dir, 1);
        assertThat(restarted.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "2")).state()).isEqualTo(ApprovalService.State.PENDING);
        assertThat(restarted.request(user("anna", Role.OPERATOR), "test.op", Map.of("x", "3")).state()).isEqualTo(ApprovalService.State.PENDING);
    }

    @Test
    void parametersChangedInTheFileAfterApprovalAreNotExecuted(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());
        Path file = dir.resolve("approvals.json");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace("\"x\" : \"1\"", "\"x\" : \"2\""));
        ApprovalService restarted = service(dir, 2);
        var done = restarted.approve(user("omar", Role.OFFICER), r.id());
        assertThat(done.state()).isEqualTo(ApprovalService.State.FAILED);
        assertThat(done.result().orElseThrow()).contains("no longer match the digest");
        assertThat(executed).isEmpty();
    }

    @Test
    void parametersChangedWithTheirDigestRecomputedAreNotExecuted(@TempDir Path dir) throws Exception {
        ApprovalService s = service(dir, 2);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());
        Path file = dir.resolve("approvals.json");
        String forged = HexFormat.of().formatHex(ApprovalService.digest("test.op", Map.of("x", "2")));
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace("\"x\" : \"1\"", "\"x\" : \"2\"")
                .replace(r.digest(), forged));
        ApprovalService restarted = service(dir, 2);
        var done = restarted.approve(user("omar", Role.OFFICER), r.id());
        assertThat(done.state()).isEqualTo(ApprovalService.State.FAILED);
        assertThat(done.result().orElseThrow()).contains("the approval by olga@DEU does not verify");
        assertThat(executed).isEmpty();
    }

    @Test
    void decisionsAreSignedWithTheKeysOfTheMomentAfterARotation(@TempDir Path dir) throws Exception {
        SigningKeyset before = SigningKeyset.generate();
        SigningKeyset[] current = {before};
        ApprovalService s = new ApprovalService(dir.resolve("approvals.json"), List.of(op), 2, Duration.ofHours(24), () -> current[0],
                Auditor.NONE, clock);
        var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
        s.approve(user("olga", Role.OFFICER), r.id());
        current[0] = SigningKeyset.generate();
        var done = s.approve(user("omar", Role.OFFICER), r.id());
        java.util.Base64.Decoder b64 = java.util.Base64.getDecoder();
        assertThat(done.approvals().get(0).publicKey()).isEqualTo(java.util.Base64.getEncoder().encodeToString(before.primary().encode()));
        assertThat(done.approvals().get(1).publicKey()).isEqualTo(java.util.Base64.getEncoder().encodeToString(current[0].primary().encode()));
        assertThat(b64.decode(done.approvals().get(1).signature())).isNotEmpty();
    }

    @Test
    void aRejectionWhoseReasonHasALoneSurrogateIsStoredAndAudited(@TempDir Path dir) throws Exception {
        SigningKeyset keys = SigningKeyset.generate();
        try (var log = new io.bulwark.audit.AuditLog(dir.resolve("audit.db"), keys)) {
            Auditor audit = new Auditor(java.util.Optional.of(log), clock);
            ApprovalService s = new ApprovalService(dir.resolve("approvals.json"), List.of(op), 2, Duration.ofHours(24), () -> keys, audit, clock);
            var r = s.request(user("otto", Role.OPERATOR), "test.op", Map.of("x", "1"));
            assertThat(s.reject(user("olga", Role.OFFICER), r.id(), "no\ud800").state()).isEqualTo(ApprovalService.State.REJECTED);
            var events = log.entries(0, 10, java.util.Optional.empty()).stream().map(e -> e.event()).toList();
            assertThat(events).extracting(e -> e.details().get("action")).containsExactly("request", "reject");
            assertThat(events.get(1).details().get("reason")).isEqualTo("no");
            // A refused decision is audited with the digest of what it was about, as every approval event is.
            assertThatThrownBy(() -> s.approve(user("omar", Role.OFFICER), r.id())).isInstanceOf(Problem.class);
            var refused = log.entries(0, 10, java.util.Optional.empty()).getLast().event();
            assertThat(refused.outcome()).isEqualTo(io.bulwark.audit.AuditEvent.Outcome.DENIED);
            assertThat(refused.details()).containsEntry("action", "approve").containsEntry("digest", r.digest());
        }
    }
}
