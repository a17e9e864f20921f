package io.bulwark.node;

/** What a key rotation did: the signing key it replaced and the new signing and KEM keys (SHA-256 fingerprints, hex). */
public record RotationResult(String previousSigningKey, String newSigningKey, String newKemKey) {}
