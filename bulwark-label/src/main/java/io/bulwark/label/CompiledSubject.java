package io.bulwark.label;

/**
 * A subject compiled for decisions: clearance level per loaded policy and a bitset of what it holds
 * (its nation, the groups its nation belongs to, its communities of interest). Immutable.
 */
public final class CompiledSubject {

    private final Subject subject;
    final int[] clearance;
    final long[] holdings;

    CompiledSubject(Subject subject, int[] clearance, long[] holdings) {
        this.subject = subject;
        this.clearance = clearance;
        this.holdings = holdings;
    }

    public Subject subject() {
        return subject;
    }
}
