package io.bulwark.node;

/**
 * Rotates a running node's signing and KEM keys ({@link Node#keyRotator()}): the hook the approval
 * flow calls once a {@code keys.rotate} request is approved. Nothing here checks who may ask.
 */
public interface KeyRotator {
    RotationResult rotate(String requestedBy) throws Exception;
}
