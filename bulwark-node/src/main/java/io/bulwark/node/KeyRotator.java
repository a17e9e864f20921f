package io.bulwark.node;

import java.io.IOException;
import java.security.GeneralSecurityException;

/**
 * Rotates the node's signing and KEM keys: what an approved {@code keys.rotate} request runs
 * (docs/approvals.md). The approval machinery only decides <em>whether</em> a rotation happens; how it
 * happens (new keys, the rotation statement peers verify) belongs to the implementation handed to
 * {@link Node}. A build without one refuses {@code keys.rotate} when it is requested (501), so that no
 * officer approves what cannot run.
 */
@FunctionalInterface
public interface KeyRotator {

    /**
     * Rotates the keys now, without downtime.
     *
     * @return what changed, one line for the audit log and the requester (e.g. the new key ids)
     */
    String rotate() throws IOException, GeneralSecurityException;
}
