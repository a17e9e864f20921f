package io.bulwark.node;

import java.util.List;
import java.util.Map;

/**
 * An operation that takes effect only after M-of-N approval by officers ({@link ApprovalService}).
 * Each has a name ({@code peer.add}) and string parameters. Adding one is writing an
 * implementation and listing it where
 * {@link Node} builds the {@link ApprovalService}; the API, the CLI's {@code bulwark request}, the
 * signatures and the audit trail need no change.
 */
interface SensitiveOperation {

    /** The name requests carry, e.g. {@code peer.add}. */
    String name();

    /** The required parameters; no other is accepted, except {@link #optionalParameters()}. */
    List<String> parameters();

    /** Parameters that may be left out (the operation says which apply when); none by default. */
    default List<String> optionalParameters() {
        return List.of();
    }

    /**
     * Checks a request at the time it is made, so that officers approve only what can run, and
     * returns the parameters in canonical form (what is digested and signed).
     *
     * @param parameters every one of {@link #parameters()} and any of {@link #optionalParameters()}, each a string
     * @throws Problem naming the parameter and the rule (400), or why this node cannot do it (409, 501)
     */
    Map<String, String> check(Map<String, String> parameters);

    /**
     * Carries the operation out once approved. The world may have changed since {@link #check}, so it
     * checks again and throws a {@link Problem} if the operation no longer applies.
     *
     * @param actor who acts, for any audit event the operation records itself: {@code approval:ID},
     *              the approved request (its requester and officers are in the approval's own events)
     * @return what was done, one line for the audit log and the requester
     */
    String execute(Map<String, String> parameters, String actor) throws Exception;
}
