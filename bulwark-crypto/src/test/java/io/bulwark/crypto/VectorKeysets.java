package io.bulwark.crypto;

import io.bulwark.crypto.internal.ByteWriter;
import java.util.HexFormat;

/**
 * Not a test: prints a fresh signing keyset and KEM keyset in the keystore payload encoding, as hex, one
 * per line. {@code src/test/python/crypto_vectors.py} builds the vectors that need JDK private keys
 * (KEM decapsulation, keystore file) from them. Run once; the results are committed in
 * {@code crypto-vectors.json}.
 */
public final class VectorKeysets {

    private VectorKeysets() {
    }

    public static void main(String[] args) {
        ByteWriter signing = new ByteWriter(8192);
        SigningKeyset.generate().encodePrivate(signing);
        ByteWriter kem = new ByteWriter(4096);
        KemKeyset.generate().encodePrivate(kem);
        System.out.println(HexFormat.of().formatHex(signing.toByteArray()));
        System.out.println(HexFormat.of().formatHex(kem.toByteArray()));
    }
}
