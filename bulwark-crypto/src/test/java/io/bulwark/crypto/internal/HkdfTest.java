package io.bulwark.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;
import org.junit.jupiter.api.Test;

class HkdfTest {

    private static final HexFormat HEX = HexFormat.of();

    /** RFC 5869 appendix A, test cases 1-3 (SHA-256). */
    @Test
    void rfc5869Vectors() {
        assertThat(HEX.formatHex(Hkdf.extractAndExpand(HEX.parseHex("000102030405060708090a0b0c"),
                HEX.parseHex("0b".repeat(22)), HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42)))
                .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
        assertThat(HEX.formatHex(Hkdf.extractAndExpand(range(0x60, 80), range(0x00, 80), range(0xb0, 80), 82)))
                .isEqualTo("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                        + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                        + "cc30c58179ec3e87c14c01d5c1f3434f1d87");
        assertThat(HEX.formatHex(Hkdf.extractAndExpand(new byte[0], HEX.parseHex("0b".repeat(22)), new byte[0], 42)))
                .isEqualTo("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    /** The same bytes as the JDK's HKDF, for every length class of salt, key material, info and output. */
    @Test
    void equalsTheJdksHkdf() throws Exception {
        Random random = new Random(5869);
        KDF jdk = KDF.getInstance("HKDF-SHA256", "SunJCE");
        int[] sizes = {0, 1, 31, 32, 33, 64, 65, 200};
        List<String> failed = new ArrayList<>();
        for (int salt : sizes) {
            for (int ikm : sizes) {
                for (int length : new int[] {1, 32, 40, 64, 65, 255 * 32}) {
                    byte[] s = bytes(random, salt);
                    byte[] k = bytes(random, ikm);
                    byte[] info = bytes(random, random.nextInt(80));
                    byte[] expected = jdk.deriveData(HKDFParameterSpec.ofExtract().addIKM(k).addSalt(s).thenExpand(info, length));
                    if (!HEX.formatHex(Hkdf.extractAndExpand(s, k, info, length)).equals(HEX.formatHex(expected))) {
                        failed.add("salt " + salt + ", ikm " + ikm + ", length " + length);
                    }
                }
            }
        }
        assertThat(failed).isEmpty();
    }

    @Test
    void refusesLengthsHkdfCannotGive() {
        assertThatThrownBy(() -> Hkdf.extractAndExpand(new byte[0], new byte[32], new byte[0], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Hkdf.extractAndExpand(new byte[0], new byte[32], new byte[0], 255 * 32 + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] range(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
        return b;
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
