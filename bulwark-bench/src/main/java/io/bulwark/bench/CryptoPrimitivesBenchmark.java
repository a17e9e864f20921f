package io.bulwark.bench;

import io.bulwark.crypto.AeadKey;
import io.bulwark.crypto.Encapsulation;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.crypto.StreamingAeadKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KDF;
import javax.crypto.KEM;
import javax.crypto.KeyAgreement;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The JDK 25 primitives Bulwark's crypto is made of, each beside the bulwark-crypto operation built on it.
 * The raw JDK calls are the floors: {@code jdk*} benchmarks are what the platform costs; the
 * {@code bulwark*} ones add framing, key ids, domain separation and the second algorithm of a hybrid.
 *
 * <pre>
 * ./mvnw -q -B -ntp -pl bulwark-bench -am package -DskipTests
 * $JAVA_HOME/bin/java -jar bulwark-bench/target/benchmarks.jar CryptoPrimitives -f 1 -wi 2 -w 1s -i 3 -r 1s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CryptoPrimitivesBenchmark {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    private final SecureRandom random = new SecureRandom();
    private final byte[] message = "NATO SECRET//REL TO DEU, FRA: a record's label binding".getBytes(StandardCharsets.UTF_8);
    private final byte[] associatedData = "record 42".getBytes(StandardCharsets.UTF_8);

    private KeyPair mlKem;
    private byte[] mlKemCiphertext;
    private KeyPair mlDsa;
    private byte[] mlDsaSignature;
    private KeyPair ed25519;
    private byte[] ed25519Signature;
    private KeyPair x25519Mine;
    private KeyPair x25519Theirs;

    private SigningKeyset signingKeyset;
    private byte[] hybridSignature;
    private KemKeyset kemKeyset;
    private byte[] hybridEncapsulation;

    private byte[] hkdfIkm;
    private byte[] hkdfSalt;

    private SecretKey aesKey;
    private Cipher jdkGcm;
    private long jdkGcmCounter;
    private AeadKey aeadKey;
    private byte[] plaintext1KiB;
    private byte[] plaintext1MiB;
    private byte[] ciphertext1KiB;
    private byte[] ciphertext1MiB;

    private StreamingAeadKey streamingKey;
    private byte[] stream1MiB;
    private final byte[] readBuffer = new byte[64 * KIB];

    @Setup
    public void setUp() throws Exception {
        mlKem = KeyPairGenerator.getInstance("ML-KEM-768").generateKeyPair();
        mlKemCiphertext = KEM.getInstance("ML-KEM").newEncapsulator(mlKem.getPublic()).encapsulate().encapsulation();
        mlDsa = KeyPairGenerator.getInstance("ML-DSA-65").generateKeyPair();
        mlDsaSignature = jdkMlDsa65Sign();
        ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        ed25519Signature = jdkEd25519Sign();
        x25519Mine = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        x25519Theirs = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        signingKeyset = SigningKeyset.generate();
        hybridSignature = signingKeyset.sign(message);
        kemKeyset = KemKeyset.generate();
        hybridEncapsulation = kemKeyset.primary().encapsulate().encapsulation();

        hkdfIkm = new byte[64];
        hkdfSalt = new byte[32];
        random.nextBytes(hkdfIkm);
        random.nextBytes(hkdfSalt);

        byte[] key = new byte[32];
        random.nextBytes(key);
        aesKey = new SecretKeySpec(key, "AES");
        jdkGcm = Cipher.getInstance("AES/GCM/NoPadding");
        aeadKey = AeadKey.generate();
        plaintext1KiB = new byte[KIB];
        plaintext1MiB = new byte[MIB];
        random.nextBytes(plaintext1KiB);
        random.nextBytes(plaintext1MiB);
        ciphertext1KiB = aeadKey.encrypt(plaintext1KiB, associatedData);
        ciphertext1MiB = aeadKey.encrypt(plaintext1MiB, associatedData);

        streamingKey = StreamingAeadKey.generate();
        stream1MiB = bulwarkStreamingAeadEncrypt1MiB();
        primeSymmetricPaths();
    }

    /**
     * The JDK's AES-GCM intrinsics apply only once the calling provider code is C2-compiled, which takes
     * thousands of calls; at 1 MiB per call a short JMH warm-up never gets there and measures the
     * interpreter (about 30 MB/s on this machine). Priming with many small calls through the same code
     * reaches the steady state a long-running node is in.
     */
    private void primeSymmetricPaths() throws Exception {
        byte[] small = java.util.Arrays.copyOf(plaintext1KiB, 4 * KIB);
        StreamingAeadKey primingKey = StreamingAeadKey.generate();
        for (int i = 0; i < 20_000; i++) {
            jdkGcmEncrypt(plaintext1KiB);
            aeadKey.decrypt(aeadKey.encrypt(plaintext1KiB, associatedData), associatedData);
            if (i % 4 == 0) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (OutputStream encrypting = primingKey.newEncryptingStream(out, associatedData)) {
                    encrypting.write(small);
                }
                try (InputStream decrypting = primingKey.newDecryptingStream(new ByteArrayInputStream(out.toByteArray()), associatedData)) {
                    decrypting.read(readBuffer);
                }
            }
        }
    }

    // --- ML-KEM-768 -----------------------------------------------------------------------------

    @Benchmark
    public KEM.Encapsulated jdkMlKem768Encapsulate() throws Exception {
        return KEM.getInstance("ML-KEM").newEncapsulator(mlKem.getPublic()).encapsulate();
    }

    @Benchmark
    public SecretKey jdkMlKem768Decapsulate() throws Exception {
        return KEM.getInstance("ML-KEM").newDecapsulator(mlKem.getPrivate()).decapsulate(mlKemCiphertext);
    }

    // --- ML-DSA-65 ------------------------------------------------------------------------------

    @Benchmark
    public byte[] jdkMlDsa65Sign() throws Exception {
        Signature signer = Signature.getInstance("ML-DSA-65");
        signer.initSign(mlDsa.getPrivate());
        signer.update(message);
        return signer.sign();
    }

    @Benchmark
    public boolean jdkMlDsa65Verify() throws Exception {
        Signature verifier = Signature.getInstance("ML-DSA-65");
        verifier.initVerify(mlDsa.getPublic());
        verifier.update(message);
        return verifier.verify(mlDsaSignature);
    }

    // --- Ed25519 and X25519 ---------------------------------------------------------------------

    @Benchmark
    public byte[] jdkEd25519Sign() throws Exception {
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(ed25519.getPrivate());
        signer.update(message);
        return signer.sign();
    }

    @Benchmark
    public boolean jdkEd25519Verify() throws Exception {
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(ed25519.getPublic());
        verifier.update(message);
        return verifier.verify(ed25519Signature);
    }

    @Benchmark
    public byte[] jdkX25519Agreement() throws Exception {
        KeyAgreement agreement = KeyAgreement.getInstance("X25519");
        agreement.init(x25519Mine.getPrivate());
        agreement.doPhase(x25519Theirs.getPublic(), true);
        return agreement.generateSecret();
    }

    // --- Hybrids --------------------------------------------------------------------------------

    @Benchmark
    public byte[] bulwarkHybridSign() throws Exception {
        return signingKeyset.sign(message);
    }

    @Benchmark
    public SigningKeyset bulwarkHybridVerify() throws Exception {
        signingKeyset.verify(hybridSignature, message);
        return signingKeyset;
    }

    @Benchmark
    public Encapsulation bulwarkHybridKemEncapsulate() throws Exception {
        return kemKeyset.primary().encapsulate();
    }

    @Benchmark
    public SecretKey bulwarkHybridKemDecapsulate() throws Exception {
        return kemKeyset.decapsulate(hybridEncapsulation);
    }

    // --- HKDF -----------------------------------------------------------------------------------

    @Benchmark
    public byte[] jdkHkdfSha256() throws Exception {
        return KDF.getInstance("HKDF-SHA256").deriveData(
                HKDFParameterSpec.ofExtract().addIKM(hkdfIkm).addSalt(hkdfSalt).thenExpand(associatedData, 32));
    }

    // --- AES-256-GCM: the JDK floor (counter nonce, reused Cipher) and bulwark's Aead ----------------

    private byte[] jdkGcmEncrypt(byte[] plaintext) throws Exception {
        byte[] iv = new byte[12];
        long counter = ++jdkGcmCounter;
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (counter >>> (8 * i));
        }
        jdkGcm.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, iv));
        jdkGcm.updateAAD(associatedData);
        return jdkGcm.doFinal(plaintext);
    }

    @Benchmark
    public byte[] jdkAesGcmEncrypt1KiB() throws Exception {
        return jdkGcmEncrypt(plaintext1KiB);
    }

    @Benchmark
    public byte[] jdkAesGcmEncrypt1MiB() throws Exception {
        return jdkGcmEncrypt(plaintext1MiB);
    }

    @Benchmark
    public byte[] bulwarkAeadEncrypt1KiB() throws Exception {
        return aeadKey.encrypt(plaintext1KiB, associatedData);
    }

    @Benchmark
    public byte[] bulwarkAeadDecrypt1KiB() throws Exception {
        return aeadKey.decrypt(ciphertext1KiB, associatedData);
    }

    @Benchmark
    public byte[] bulwarkAeadEncrypt1MiB() throws Exception {
        return aeadKey.encrypt(plaintext1MiB, associatedData);
    }

    @Benchmark
    public byte[] bulwarkAeadDecrypt1MiB() throws Exception {
        return aeadKey.decrypt(ciphertext1MiB, associatedData);
    }

    // --- Streaming AEAD, 1 MiB (16 segments) ----------------------------------------------------

    @Benchmark
    public byte[] bulwarkStreamingAeadEncrypt1MiB() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) StreamingAeadKey.ciphertextLength(MIB));
        try (OutputStream encrypting = streamingKey.newEncryptingStream(out, associatedData)) {
            encrypting.write(plaintext1MiB);
        }
        return out.toByteArray();
    }

    @Benchmark
    public long bulwarkStreamingAeadDecrypt1MiB() throws Exception {
        long total = 0;
        try (InputStream decrypting = streamingKey.newDecryptingStream(new ByteArrayInputStream(stream1MiB), associatedData)) {
            int n;
            while ((n = decrypting.read(readBuffer)) >= 0) {
                total += n;
            }
        }
        return total;
    }
}
