package io.bulwark.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Round trips, and random mutations rejected, for every primitive. */
class CryptoPropertiesTest {

    private static final AeadKey AEAD = AeadKey.generate();
    private static final StreamingAeadKey STREAM = StreamingAeadKey.generate();
    private static final SigningKeyset SIGNER = SigningKeyset.generate();
    private static final KemKeyset KEM = KemKeyset.generate();
    private static final byte[] MESSAGE = "a labelled record".getBytes();
    private static final byte[] SIGNATURE;
    private static final Encapsulation ENCAPSULATION;
    private static final byte[] STREAM_PLAINTEXT = StreamingAeadTest.plaintext(2 * StreamingAeadKey.SEGMENT_SIZE + 333);
    private static final byte[] STREAM_CIPHERTEXT;

    static {
        try {
            SIGNATURE = SIGNER.sign(MESSAGE);
            ENCAPSULATION = KEM.primary().encapsulate();
            STREAM_CIPHERTEXT = StreamingAeadTest.encrypt(STREAM, STREAM_PLAINTEXT, MESSAGE);
        } catch (GeneralSecurityException | IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A position in an array of {@code length} bytes and a non-zero XOR mask. */
    record Mutation(int position, byte mask) {
        byte[] applyTo(byte[] bytes) {
            byte[] mutated = bytes.clone();
            mutated[position % bytes.length] ^= mask;
            return mutated;
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return net.jqwik.api.Combinators.combine(
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.bytes().filter(b -> b != 0)).as(Mutation::new);
    }

    @Property(tries = 200)
    void aeadRoundTrips(@ForAll @Size(max = 5000) byte[] plaintext, @ForAll @Size(max = 100) byte[] ad) throws Exception {
        assertThat(AEAD.decrypt(AEAD.encrypt(plaintext, ad), ad)).isEqualTo(plaintext);
    }

    @Property(tries = 300)
    void aeadRejectsEveryMutation(@ForAll @Size(max = 300) byte[] plaintext, @ForAll("mutations") Mutation mutation) throws Exception {
        byte[] ciphertext = AEAD.encrypt(plaintext, MESSAGE);

        assertThatThrownBy(() -> AEAD.decrypt(mutation.applyTo(ciphertext), MESSAGE))
                .isInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 300)
    void aeadRejectsEveryTruncationAndExtension(@ForAll @IntRange(min = 1, max = 50) int cut, @ForAll boolean extend) throws Exception {
        byte[] ciphertext = AEAD.encrypt(new byte[20], MESSAGE);
        byte[] changed = Arrays.copyOf(ciphertext, extend ? ciphertext.length + cut : Math.max(0, ciphertext.length - cut));

        assertThatThrownBy(() -> AEAD.decrypt(changed, MESSAGE)).isInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 25)
    void streamsRoundTripWhateverTheLengthAndWriteSizes(@ForAll @IntRange(max = 200_000) int length,
                                                      @ForAll @IntRange(min = 1, max = 100_000) int writeSize) throws Exception {
        byte[] plaintext = StreamingAeadTest.plaintext(length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypting = STREAM.newEncryptingStream(out, MESSAGE)) {
            for (int at = 0; at < length; at += writeSize) {
                encrypting.write(plaintext, at, Math.min(writeSize, length - at));
            }
        }
        assertThat(out.size()).isEqualTo((int) StreamingAeadKey.ciphertextLength(length));
        assertThat(StreamingAeadTest.decrypt(STREAM, out.toByteArray(), MESSAGE)).isEqualTo(plaintext);
    }

    @Property(tries = 60)
    void streamsRejectEveryMutation(@ForAll("mutations") Mutation mutation) {
        byte[] mutated = mutation.applyTo(STREAM_CIPHERTEXT);

        assertThat(catchThrowable(() -> StreamingAeadTest.decrypt(STREAM, mutated, MESSAGE)))
                .isInstanceOf(IOException.class).hasCauseInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 60)
    void streamsRejectEveryTruncation(@ForAll @IntRange(min = 1) int cut) {
        byte[] truncated = Arrays.copyOf(STREAM_CIPHERTEXT, STREAM_CIPHERTEXT.length - 1 - cut % (STREAM_CIPHERTEXT.length - 1));

        assertThat(catchThrowable(() -> StreamingAeadTest.decrypt(STREAM, truncated, MESSAGE)))
                .isInstanceOf(IOException.class).hasCauseInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 50)
    void streamsNeverReleaseAByteOfAFailingSegment(@ForAll("mutations") Mutation mutation) throws Exception {
        // Whatever byte is damaged, what a reader gets before the error is an authentic prefix made of whole segments.
        byte[] mutated = mutation.applyTo(STREAM_CIPHERTEXT);
        ByteArrayOutputStream released = new ByteArrayOutputStream();
        try (InputStream in = STREAM.newDecryptingStream(new ByteArrayInputStream(mutated), MESSAGE)) {
            in.transferTo(released);
        } catch (IOException expected) {
            // the failure itself is covered above
        }
        byte[] prefix = released.toByteArray();
        assertThat(prefix.length % StreamingAeadKey.SEGMENT_SIZE).isZero();
        assertThat(prefix).isEqualTo(Arrays.copyOf(STREAM_PLAINTEXT, prefix.length));
    }

    @Property(tries = 50)
    void signaturesRoundTrip(@ForAll @Size(max = 2000) byte[] message) throws Exception {
        SIGNER.primary().verify(SIGNER.sign(message), message);
    }

    @Property(tries = 150)
    void signaturesRejectEveryMutation(@ForAll("mutations") Mutation mutation) {
        assertThatThrownBy(() -> SIGNER.verify(mutation.applyTo(SIGNATURE), MESSAGE))
                .isInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 150)
    void signaturesRejectEveryMutationOfTheMessage(@ForAll("mutations") Mutation mutation) {
        assertThatThrownBy(() -> SIGNER.verify(SIGNATURE, mutation.applyTo(MESSAGE)))
                .isInstanceOf(GeneralSecurityException.class);
    }

    @Property(tries = 100)
    void mutatedEncapsulationsNeverYieldTheSecret(@ForAll("mutations") Mutation mutation) {
        byte[] mutated = mutation.applyTo(ENCAPSULATION.encapsulation());
        try {
            assertThat(KEM.decapsulate(mutated).getEncoded()).isNotEqualTo(ENCAPSULATION.sharedSecret().getEncoded());
        } catch (GeneralSecurityException rejected) {
            // as good: a malformed header, an unknown key id, or a refused X25519 share
        }
    }

    @Property(tries = 200)
    void publicKeyParsersOnlyEverThrowInvalidEncoding(@ForAll("keyLikeBytes") byte[] bytes) {
        for (ThrowingParser parser : List.<ThrowingParser>of(HybridPublicSigningKey::parse, HybridPublicKemKey::parse)) {
            Throwable thrown = catchThrowable(() -> parser.parse(bytes));
            assertThat(thrown).satisfiesAnyOf(t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(InvalidEncodingException.class));
        }
    }

    @Provide
    Arbitrary<byte[]> keyLikeBytes() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(2100);
        Arbitrary<byte[]> mutatedSigning = mutations().map(m -> m.applyTo(SIGNER.primary().encode()));
        Arbitrary<byte[]> mutatedKem = mutations().map(m -> m.applyTo(KEM.primary().encode()));
        return Arbitraries.oneOf(random, mutatedSigning, mutatedKem);
    }

    @FunctionalInterface
    interface ThrowingParser {
        Object parse(byte[] bytes) throws Exception;
    }
}
