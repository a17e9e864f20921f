package io.bulwark.crypto.internal;

import java.security.GeneralSecurityException;
import java.security.ProviderException;
import javax.crypto.spec.HKDFParameterSpec;

/** HKDF-SHA256 (RFC 5869) through the JDK's {@code KDF.getInstance("HKDF-SHA256")}. */
public final class Hkdf {

    private Hkdf() {
    }

    /** HKDF-Expand(HKDF-Extract(salt, ikm), info, length). */
    public static byte[] extractAndExpand(byte[] salt, byte[] ikm, byte[] info, int length) {
        try {
            return Jca.hkdfSha256().deriveData(
                    HKDFParameterSpec.ofExtract().addIKM(ikm).addSalt(salt).thenExpand(info, length));
        } catch (GeneralSecurityException e) {
            throw new ProviderException("HKDF-SHA256 failed on valid input", e);
        }
    }
}
