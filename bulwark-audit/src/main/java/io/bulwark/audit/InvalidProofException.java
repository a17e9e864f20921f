package io.bulwark.audit;

import java.security.GeneralSecurityException;

/** A Merkle proof that does not prove what it claims; the message says which check failed. */
public final class InvalidProofException extends GeneralSecurityException {

    public InvalidProofException(String message) {
        super(message);
    }
}
