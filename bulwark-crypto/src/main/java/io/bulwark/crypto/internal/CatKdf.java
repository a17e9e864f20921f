package io.bulwark.crypto.internal;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * The concatenation KDF "CatKDF" of ETSI TS 103 744 V1.1.1 (2020-12), clause 8.2, with the
 * concatenate-and-hash context formatting function of clause 7.2.3 (SHA-256) and the HKDF key derivation
 * function of clause 7.4.2 (HKDF-SHA256, RFC 5869):
 *
 * <pre>
 * secret      = psk || k_1 || ... || k_n
 * f_context   = SHA-256( u32(len(context)) || context || u32(len(MA)) || MA || u32(len(MB)) || MB )
 * key         = HKDF-SHA256(salt = label, IKM = secret, info = f_context, L = length)
 * </pre>
 *
 * where {@code u32} is a 4-byte big-endian length. Checked against the standard's test vector C.2.1 in
 * {@code crypto-vectors.json}.
 */
public final class CatKdf {

    private CatKdf() {
    }

    public static byte[] derive(byte[] psk, List<byte[]> sharedSecrets, byte[] ma, byte[] mb,
                                byte[] context, byte[] label, int length) {
        int secretLength = psk.length;
        for (byte[] k : sharedSecrets) {
            secretLength += k.length;
        }
        byte[] secret = new byte[secretLength];
        System.arraycopy(psk, 0, secret, 0, psk.length);
        int at = psk.length;
        for (byte[] k : sharedSecrets) {
            System.arraycopy(k, 0, secret, at, k.length);
            at += k.length;
        }
        try {
            return Hkdf.extractAndExpand(label, secret, fContext(context, ma, mb), length);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** Clause 7.2.3: hash of each argument preceded by its 4-byte big-endian length. */
    static byte[] fContext(byte[]... arguments) {
        MessageDigest sha256 = Jca.sha256();
        for (byte[] argument : arguments) {
            sha256.update(new byte[] {
                    (byte) (argument.length >>> 24), (byte) (argument.length >>> 16),
                    (byte) (argument.length >>> 8), (byte) argument.length});
            sha256.update(argument);
        }
        return sha256.digest();
    }
}
