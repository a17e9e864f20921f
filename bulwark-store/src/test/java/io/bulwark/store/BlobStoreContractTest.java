package io.bulwark.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link BlobStore} contract. Every implementation subclasses this. One nested class per operation. */
public abstract class BlobStoreContractTest {

    /** Opens the blob store kept in {@code dir}. */
    protected abstract BlobStore open(Path dir);

    @TempDir
    protected Path dir;
    protected BlobStore blobs;
    protected final Random random = new Random(4774);

    @BeforeEach
    void openStore() {
        blobs = open(dir);
    }

    @AfterEach
    void closeStore() {
        blobs.close();
    }

    protected byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    protected static byte[] read(BlobStore s, String key) {
        try (InputStream in = s.open(key).orElseThrow()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    protected static List<BlobEntry> listed(BlobStore s) {
        try (Stream<BlobEntry> entries = s.list()) {
            return entries.toList();
        }
    }

    /** A stream that yields {@code good} bytes, then fails. */
    protected static InputStream failingAfter(byte[] good) {
        return new InputStream() {
            private int i;

            @Override
            public int read() throws IOException {
                if (i < good.length) {
                    return good[i++] & 0xff;
                }
                throw new IOException("the network went away");
            }
        };
    }

    @Nested
    class Put {

        @Test
        void storesTheBytesAndReturnsTheirSizeAndDigest() {
            byte[] content = bytes(100_000);
            BlobRef ref = blobs.put("rec-1", new ByteArrayInputStream(content));
            assertThat(ref).isEqualTo(new BlobRef("rec-1", content.length, TestRecords.sha256(content)));
            assertThat(read(blobs, "rec-1")).isEqualTo(content);
        }

        @Test
        void storesAnEmptyBlob() {
            BlobRef ref = blobs.put("empty", InputStream.nullInputStream());
            assertThat(ref.size()).isZero();
            assertThat(ref.sha256()).isEqualTo(TestRecords.sha256(new byte[0]));
            assertThat(read(blobs, "empty")).isEmpty();
        }

        @Test
        void streamsALargeBlob() {
            byte[] content = bytes(6 * 1024 * 1024 + 17);
            BlobRef ref = blobs.put("large", new ByteArrayInputStream(content));
            assertThat(ref.size()).isEqualTo(content.length);
            assertThat(TestRecords.sha256(read(blobs, "large"))).isEqualTo(ref.sha256());
        }

        @Test
        void replacesAnExistingBlobWhole() {
            blobs.put("k", new ByteArrayInputStream(bytes(5000)));
            byte[] second = bytes(10);
            blobs.put("k", new ByteArrayInputStream(second));
            assertThat(read(blobs, "k")).isEqualTo(second);
            assertThat(listed(blobs)).singleElement().satisfies(e -> assertThat(e.size()).isEqualTo(10));
        }

        @Test
        void aFailingStreamStoresNothingAndLeavesThePreviousBlob() {
            byte[] before = bytes(300);
            blobs.put("k", new ByteArrayInputStream(before));

            assertThatThrownBy(() -> blobs.put("k", failingAfter(bytes(70_000))))
                    .isInstanceOf(StoreException.class).hasMessageContaining("\"k\"");
            assertThatThrownBy(() -> blobs.put("fresh", failingAfter(bytes(10))))
                    .isInstanceOf(StoreException.class).hasMessageContaining("\"fresh\"");

            assertThat(read(blobs, "k")).isEqualTo(before);
            assertThat(blobs.exists("fresh")).isFalse();
            assertThat(listed(blobs)).extracting(BlobEntry::key).containsExactly("k");
        }

        @Test
        void concurrentPutsFromVirtualThreadsAllLand() throws Exception {
            List<byte[]> contents = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                contents.add(bytes(2000 + i));
            }
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<BlobRef>> refs = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    refs.add(threads.submit(() -> blobs.put("blob-" + n, new ByteArrayInputStream(contents.get(n)))));
                }
                for (int i = 0; i < 50; i++) {
                    assertThat(refs.get(i).get().sha256()).isEqualTo(TestRecords.sha256(contents.get(i)));
                }
            }
            for (int i = 0; i < 50; i++) {
                assertThat(read(blobs, "blob-" + i)).isEqualTo(contents.get(i));
            }
        }
    }

    @Nested
    class PutCopy {

        private BlobRef refOf(String key, byte[] content) {
            return new BlobRef(key, content.length, TestRecords.sha256(content));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 100_000, 6 * 1024 * 1024 + 17})
        void storesAnExactCopyAndReturnsItsRef(int size) {
            byte[] content = bytes(size);
            BlobRef expected = refOf("copy", content);
            assertThat(blobs.putCopy(expected, new ByteArrayInputStream(content))).isEqualTo(expected);
            assertThat(read(blobs, "copy")).isEqualTo(content);
        }

        @ParameterizedTest
        @ValueSource(ints = {100, 6 * 1024 * 1024 + 17})
        void bytesThatAreNotTheBlobStoreNothingAndLeaveThePreviousBlob(int size) {
            byte[] before = bytes(300);
            blobs.put("k", new ByteArrayInputStream(before));
            byte[] content = bytes(size);
            byte[] flipped = content.clone();
            flipped[size / 2] ^= 1;

            assertThatThrownBy(() -> blobs.putCopy(refOf("k", content), new ByteArrayInputStream(flipped)))
                    .isInstanceOfSatisfying(BlobMismatchException.class, e -> assertThat(e.expected()).isEqualTo(refOf("k", content)))
                    .hasMessageStartingWith("the copy of blob \"k\" does not match its recorded size and SHA-256 (" + size + " bytes with SHA-256 "
                            + TestRecords.sha256(flipped) + " given");
            assertThatThrownBy(() -> blobs.putCopy(refOf("fresh", content), new ByteArrayInputStream(content, 0, size - 1)))
                    .isInstanceOf(BlobMismatchException.class).hasMessageContaining((size - 1) + " bytes");
            byte[] longer = java.util.Arrays.copyOf(content, size + 1);
            assertThatThrownBy(() -> blobs.putCopy(refOf("fresh", content), new ByteArrayInputStream(longer)))
                    .isInstanceOf(BlobMismatchException.class).hasMessageContaining((size + 1) + " bytes");

            assertThat(read(blobs, "k")).isEqualTo(before);
            assertThat(blobs.exists("fresh")).isFalse();
            assertThat(listed(blobs)).extracting(BlobEntry::key).containsExactly("k");
        }

        @Test
        void aFailingStreamIsAStoreExceptionNotAMismatch() {
            byte[] content = bytes(70_000);
            assertThatThrownBy(() -> blobs.putCopy(refOf("k", content), failingAfter(java.util.Arrays.copyOf(content, 1000))))
                    .isInstanceOf(StoreException.class).isNotInstanceOf(BlobMismatchException.class).hasMessageContaining("\"k\"");
            assertThat(blobs.exists("k")).isFalse();
        }
    }

    @Nested
    class PutKnown {

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 100_000, 6 * 1024 * 1024 + 17})
        void storesTheBytesAndReturnsTheGivenRef(int size) {
            byte[] content = bytes(size);
            BlobRef ref = new BlobRef("known", size, TestRecords.sha256(content));
            assertThat(blobs.putKnown(ref, content)).isEqualTo(ref);
            assertThat(read(blobs, "known")).isEqualTo(content);
        }

        @Test
        void replacesAnExistingBlobWhole() {
            blobs.put("k", new ByteArrayInputStream(bytes(5000)));
            byte[] content = bytes(70);
            blobs.putKnown(new BlobRef("k", 70, TestRecords.sha256(content)), content);
            assertThat(read(blobs, "k")).isEqualTo(content);
        }

        @Test
        void bytesOfAnotherSizeAreRefusedAndNothingIsStored() {
            byte[] content = bytes(100);
            assertThatThrownBy(() -> blobs.putKnown(new BlobRef("k", 101, TestRecords.sha256(content)), content))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("blob \"k\": 100 bytes given for a blob of 101");
            assertThat(blobs.exists("k")).isFalse();
        }
    }

    @Nested
    class Keys {

        @ParameterizedTest
        @ValueSource(strings = {"../etc/passwd", ".hidden", ".", "..", "a/b", "a\\b", "", "caf\u00e9", "sp ace", "nul\u0000",
                "tab\t", "colon:", "star*"})
        void anUnsafeKeyIsRefusedBeforeAnyByteIsRead(String key) {
            InputStream untouchable = new InputStream() {
                @Override
                public int read() {
                    throw new AssertionError("the stream was read for a refused key");
                }
            };
            assertThatThrownBy(() -> blobs.put(key, untouchable))
                    .isInstanceOfSatisfying(InvalidBlobKeyException.class, e -> {
                        assertThat(e.input()).startsWith("blob key \"");
                        assertThat(e.rule()).isNotBlank();
                    });
            assertThatThrownBy(() -> blobs.open(key)).isInstanceOf(InvalidBlobKeyException.class);
            assertThatThrownBy(() -> blobs.delete(key)).isInstanceOf(InvalidBlobKeyException.class);
            assertThatThrownBy(() -> blobs.exists(key)).isInstanceOf(InvalidBlobKeyException.class);
        }

        @Test
        void theMessageNamesTheOffsetAndTheRule() {
            assertThatThrownBy(() -> blobs.put("ab/cd", InputStream.nullInputStream()))
                    .hasMessage("blob key \"ab/cd\" at offset 2: a key may contain only A-Z, a-z, 0-9, '.', '_' and '-'");
            assertThatThrownBy(() -> blobs.put("x".repeat(201), InputStream.nullInputStream()))
                    .hasMessageContaining("1 to 200 characters; length is 201");
        }

        @ParameterizedTest
        @ValueSource(strings = {"a", "A-b_c.d", "0192f3a4-5b6c-7d8e-9f01-23456789abcd", "x..y", "trailing."})
        void aSafeKeyIsAccepted(String key) {
            blobs.put(key, new ByteArrayInputStream(new byte[] {1}));
            assertThat(blobs.exists(key)).isTrue();
        }

        @Test
        void theLongestKeyIsAccepted() {
            String key = "k".repeat(200);
            blobs.put(key, new ByteArrayInputStream(new byte[] {1}));
            assertThat(read(blobs, key)).containsExactly(1);
        }
    }

    @Nested
    class OpenExistsDelete {

        @Test
        void anAbsentBlobIsEmptyAndDoesNotExist() {
            assertThat(blobs.open("nothing")).isEmpty();
            assertThat(blobs.exists("nothing")).isFalse();
            assertThat(blobs.size("nothing")).isEmpty();
            assertThat(blobs.delete("nothing")).isFalse();
        }

        @Test
        void sizeIsWhatWasStored() {
            blobs.put("small", new ByteArrayInputStream(bytes(10)));
            blobs.put("large", new ByteArrayInputStream(bytes(300_000)));
            blobs.put("empty", InputStream.nullInputStream());
            assertThat(blobs.size("small")).hasValue(10);
            assertThat(blobs.size("large")).hasValue(300_000);
            assertThat(blobs.size("empty")).hasValue(0);
            blobs.put("small", new ByteArrayInputStream(bytes(7)));
            assertThat(blobs.size("small")).as("after a replace").hasValue(7);
        }

        @Test
        void deleteRemovesTheBlobAndSaysSo() {
            blobs.put("k", new ByteArrayInputStream(bytes(10)));
            assertThat(blobs.exists("k")).isTrue();
            assertThat(blobs.delete("k")).isTrue();
            assertThat(blobs.exists("k")).isFalse();
            assertThat(blobs.open("k")).isEmpty();
        }

        @Test
        void deleteAllRemovesEveryListedBlobAndSkipsAbsentOnes() {
            for (String k : List.of("a", "b", "c")) {
                blobs.put(k, new ByteArrayInputStream(bytes(10)));
            }
            blobs.deleteAll(List.of("a", "c", "never-there"));
            assertThat(listed(blobs)).extracting(BlobEntry::key).containsExactly("b");
            assertThatThrownBy(() -> blobs.deleteAll(List.of("b", "../x"))).isInstanceOf(InvalidBlobKeyException.class);
        }

        @Test
        void anOpenStreamReadsTheBlobAsItWasWhenReplaced() throws IOException {
            byte[] first = bytes(200_000);
            blobs.put("k", new ByteArrayInputStream(first));
            try (InputStream in = blobs.open("k").orElseThrow()) {
                blobs.put("k", new ByteArrayInputStream(bytes(5)));
                assertThat(in.readAllBytes()).isEqualTo(first);
            }
        }
    }

    @Nested
    class ListAndSweep {

        @Test
        void listsEveryBlobOnceWithItsSize() {
            for (int i = 0; i < 40; i++) {
                blobs.put("b" + i, new ByteArrayInputStream(bytes(i)));
            }
            List<BlobEntry> entries = listed(blobs);
            assertThat(entries).hasSize(40).extracting(BlobEntry::key).doesNotHaveDuplicates();
            assertThat(entries).allSatisfy(e -> assertThat(e.size()).isEqualTo(Long.parseLong(e.key().substring(1))));
        }

        @Test
        void anEmptyStoreListsNothing() {
            assertThat(listed(blobs)).isEmpty();
        }

        @Test
        void deleteIncompleteNeverTouchesAStoredBlob() {
            blobs.put("kept", new ByteArrayInputStream(bytes(10)));
            assertThat(blobs.deleteIncomplete(Instant.now().plusSeconds(3600))).isZero();
            assertThat(blobs.exists("kept")).isTrue();
        }
    }
}
