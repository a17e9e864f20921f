package io.bulwark.store;

import io.bulwark.store.internal.Cursors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.bulwark.store.TestRecords.T0;
import static io.bulwark.store.TestRecords.label;
import static io.bulwark.store.TestRecords.record;
import static io.bulwark.store.TestRecords.uuid7;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link MetadataStore} contract. Every implementation subclasses this and runs it against the
 * real database. One nested class per operation.
 */
public abstract class MetadataStoreContractTest {

    /** Opens the store kept in {@code dir}; opening the same directory again reopens the same data. */
    protected abstract MetadataStore open(Path dir);

    @TempDir
    protected Path dir;
    protected MetadataStore store;
    protected final Random random = new Random(20261126);

    @BeforeEach
    void openStore() {
        store = open(dir);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected MetadataStore reopen() {
        store.close();
        store = open(dir);
        return store;
    }

    protected RecordMetadata newRecord(Instant createdAt) {
        return record(createdAt, random);
    }

    protected RecordMetadata newRecord() {
        return newRecord(T0);
    }

    protected static ChangeReceipt ok(StoreResult<ChangeReceipt> r) {
        assertThat(r).isInstanceOf(StoreResult.Success.class);
        return r.orElseThrow();
    }

    protected List<RecordMetadata> insertMany(int n) {
        List<RecordMetadata> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // Three records per millisecond, so that ties on created_at are broken by id.
            records.add(newRecord(T0.plusMillis(i / 3)));
        }
        store.insertAll(records).forEach(MetadataStoreContractTest::ok);
        return records;
    }

    protected static List<String> ids(List<RecordMetadata> records) {
        return records.stream().map(RecordMetadata::id).toList();
    }

    /** The listing order: created_at desc, then id desc. */
    protected static List<String> newestFirst(Stream<RecordMetadata> records) {
        return records.sorted(Comparator.comparing(RecordMetadata::createdAt).thenComparing(RecordMetadata::id).reversed())
                .map(RecordMetadata::id).toList();
    }

    /** Every page of a scan, following the cursors to the end. */
    protected static List<Page<RecordMetadata>> pages(MetadataStore s, RecordQuery query,
                                                      Predicate<MetadataStore.Candidate> visible, int pageSize) {
        return pages(s, query, visible, pageSize, MetadataStore.SCAN_WINDOW);
    }

    /** Every page of a scan reading {@code window} rows a page, following the cursors to the end. */
    protected static List<Page<RecordMetadata>> pages(MetadataStore s, RecordQuery query,
                                                      Predicate<MetadataStore.Candidate> visible, int pageSize, int window) {
        List<Page<RecordMetadata>> pages = new ArrayList<>();
        RecordQuery q = query;
        while (true) {
            Page<RecordMetadata> page = s.scan(q, visible, pageSize, window);
            pages.add(page);
            if (page.nextCursor().isEmpty()) {
                return pages;
            }
            q = query.withCursor(page.nextCursor().get());
        }
    }

    @Nested
    class Insert {

        @Test
        void storesEveryFieldAsGiven() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            assertThat(store.find(r.id())).contains(r);
        }

        @Test
        void appendsAPublishedEntryInTheSameCommit() {
            RecordMetadata r = newRecord();
            long seq = ok(store.insert(r)).seq();
            assertThat(store.changesSince(0, 10)).singleElement().satisfies(e -> {
                assertThat(e.seq()).isEqualTo(seq);
                assertThat(e.recordId()).isEqualTo(r.id());
                assertThat(e.kind()).isEqualTo(ChangeKind.PUBLISHED);
            });
            assertThat(store.lastSeq()).isEqualTo(seq);
        }

        @Test
        void sequenceNumbersStrictlyIncrease() {
            long previous = 0;
            for (int i = 0; i < 20; i++) {
                ChangeReceipt receipt = ok(store.insert(newRecord()));
                assertThat(receipt.seq()).isGreaterThan(previous);
                assertThat(receipt.replayed()).isFalse();
                previous = receipt.seq();
            }
        }

        @Test
        void aRedeliveredPublicationReturnsTheExistingSeqAndWritesNothing() {
            RecordMetadata r = newRecord();
            long seq = ok(store.insert(r)).seq();
            long last = store.lastSeq();

            ChangeReceipt again = ok(store.insert(r));

            assertThat(again).isEqualTo(new ChangeReceipt(seq, true));
            assertThat(store.lastSeq()).isEqualTo(last);
            assertThat(store.find(r.id())).contains(r);
        }

        @Test
        void aRedeliveryAfterRelabelAndRetractionIsStillAReplay() {
            RecordMetadata r = newRecord();
            long seq = ok(store.insert(r)).seq();
            ok(store.relabel(r.id(), label("CONFIDENTIAL", "DEU"), r.blob(), r.contentDigest()));
            ok(store.retract(r.id(), new byte[] {1, 2, 3}, T0.plusSeconds(60)));
            long last = store.lastSeq();

            assertThat(ok(store.insert(r))).isEqualTo(new ChangeReceipt(seq, true));
            assertThat(store.lastSeq()).isEqualTo(last);
            assertThat(store.find(r.id()).orElseThrow().state()).isEqualTo(RecordState.RETRACTED);
        }

        @Test
        void anotherPublicationUnderTheSameIdIsAConflict() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            long last = store.lastSeq();
            RecordMetadata other = new RecordMetadata(r.id(), r.originNation(), r.originNode(), r.createdAt(),
                    r.contentType(), r.payloadSize(), r.contentDigest(), r.label(), r.residency(),
                    new BlobRef(r.blob().key(), r.blob().size(), TestRecords.sha256("other bytes")), Optional.empty());

            StoreResult<ChangeReceipt> result = store.insert(other);

            assertThat(result).isInstanceOfSatisfying(StoreResult.Conflict.class,
                    c -> assertThat(c.recordId()).isEqualTo(r.id()));
            assertThat(store.lastSeq()).isEqualTo(last);
            assertThat(store.find(r.id())).contains(r);
        }

        @Test
        void refusesARetractedRecord() {
            RecordMetadata r = newRecord().withRetraction(new Retraction(T0, new byte[] {9}));
            assertThatThrownBy(() -> store.insert(r))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining(r.id())
                    .hasMessageContaining("active");
            assertThat(store.find(r.id())).isEmpty();
        }
    }

    @Nested
    class InsertAll {

        @Test
        void insertsEveryRecordWithItsOwnSeqInOrder() {
            List<RecordMetadata> records = IntStream.range(0, 50).mapToObj(i -> newRecord(T0.plusMillis(i))).toList();

            List<StoreResult<ChangeReceipt>> results = store.insertAll(records);

            assertThat(results).hasSize(50);
            List<Long> seqs = results.stream().map(r -> ok(r).seq()).toList();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            List<ChangeEntry> log = store.changesSince(0, 100);
            assertThat(log).extracting(ChangeEntry::seq).containsExactlyElementsOf(seqs);
            assertThat(log).extracting(ChangeEntry::recordId).containsExactlyElementsOf(ids(records));
        }

        @Test
        void aRecordRepeatedInTheListIsAReplayOfItsFirstOccurrence() {
            RecordMetadata r = newRecord();
            List<StoreResult<ChangeReceipt>> results = store.insertAll(List.of(r, r));
            long seq = ok(results.get(0)).seq();
            assertThat(ok(results.get(1))).isEqualTo(new ChangeReceipt(seq, true));
        }

        @Test
        void aConflictFailsOnlyItsOwnEntry() {
            RecordMetadata r = newRecord();
            RecordMetadata clash = new RecordMetadata(r.id(), "FRA", r.originNode(), r.createdAt(), r.contentType(),
                    r.payloadSize(), r.contentDigest(), r.label(), r.residency(), r.blob(), Optional.empty());
            RecordMetadata other = newRecord();

            List<StoreResult<ChangeReceipt>> results = store.insertAll(List.of(r, clash, other));

            assertThat(results.get(0).succeeded()).isTrue();
            assertThat(results.get(1)).isInstanceOf(StoreResult.Conflict.class);
            assertThat(results.get(2).succeeded()).isTrue();
            assertThat(store.find(other.id())).contains(other);
        }

        @Test
        void refusesTheWholeListIfOneRecordIsRetracted() {
            RecordMetadata good = newRecord();
            RecordMetadata retracted = newRecord().withRetraction(new Retraction(T0, new byte[] {9}));
            assertThatThrownBy(() -> store.insertAll(List.of(good, retracted))).isInstanceOf(InvalidRecordException.class);
            assertThat(store.find(good.id())).isEmpty();
            assertThat(store.lastSeq()).isZero();
        }

        @Test
        void anEmptyListWritesNothing() {
            assertThat(store.insertAll(List.of())).isEmpty();
            assertThat(store.lastSeq()).isZero();
        }
    }

    @Nested
    class GroupCommit {

        @Test
        void acknowledgesTwoHundredConcurrentInsertsAndKeepsEveryOne() throws Exception {
            List<RecordMetadata> records = IntStream.range(0, 200).mapToObj(i -> newRecord(T0.plusMillis(i))).toList();
            List<ChangeReceipt> receipts = concurrently(records.stream()
                    .map(r -> (Callable<ChangeReceipt>) () -> ok(store.insert(r))).toList());

            assertThat(receipts).allSatisfy(r -> assertThat(r.replayed()).isFalse());
            assertThat(receipts).extracting(ChangeReceipt::seq).doesNotHaveDuplicates();
            assertThat(store.lastSeq()).isEqualTo(receipts.stream().mapToLong(ChangeReceipt::seq).max().orElseThrow());
            for (RecordMetadata r : records) {
                assertThat(store.find(r.id())).contains(r);
            }
            List<ChangeEntry> log = store.changesSince(0, 1000);
            assertThat(log).hasSize(200);
            assertThat(log).extracting(ChangeEntry::seq).isSorted().doesNotHaveDuplicates();
            assertThat(log).extracting(ChangeEntry::recordId).containsExactlyInAnyOrderElementsOf(ids(records));
        }

        @Test
        void concurrentConflictsFailOnlyThemselves() throws Exception {
            List<RecordMetadata> records = IntStream.range(0, 100).mapToObj(i -> newRecord(T0.plusMillis(i))).toList();
            store.insertAll(records.subList(0, 50)).forEach(MetadataStoreContractTest::ok);
            List<Callable<StoreResult<ChangeReceipt>>> calls = new ArrayList<>();
            for (RecordMetadata r : records.subList(0, 50)) {
                RecordMetadata clash = new RecordMetadata(r.id(), "FRA", r.originNode(), r.createdAt(), r.contentType(),
                        r.payloadSize(), r.contentDigest(), r.label(), r.residency(), r.blob(), Optional.empty());
                calls.add(() -> store.insert(clash));
            }
            for (RecordMetadata r : records.subList(50, 100)) {
                calls.add(() -> store.insert(r));
            }

            List<StoreResult<ChangeReceipt>> results = concurrently(calls);

            assertThat(results.subList(0, 50)).allSatisfy(r -> assertThat(r).isInstanceOf(StoreResult.Conflict.class));
            assertThat(results.subList(50, 100)).allSatisfy(r -> assertThat(ok(r).replayed()).isFalse());
            assertThat(store.changesSince(0, 1000)).hasSize(100);
        }

        private static <T> List<T> concurrently(List<Callable<T>> calls) throws Exception {
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<T>> futures = threads.invokeAll(calls);
                List<T> out = new ArrayList<>();
                for (Future<T> f : futures) {
                    out.add(f.get());
                }
                return out;
            }
        }
    }

    @Nested
    class Find {

        @Test
        void anAbsentRecordIsEmpty() {
            assertThat(store.find(uuid7(T0.toEpochMilli(), random))).isEmpty();
        }

        @Test
        void anIdThatCannotExistIsEmpty() {
            assertThat(store.find("../../etc/passwd")).isEmpty();
            assertThat(store.find("")).isEmpty();
        }
    }

    @Nested
    class Retract {

        @Test
        void marksTheRecordRetractedKeepsTheTombstoneAndAppendsAnEntry() {
            RecordMetadata r = newRecord();
            long published = ok(store.insert(r)).seq();
            byte[] tombstone = {1, 2, 3, 4};
            Instant at = T0.plusSeconds(3600);

            ChangeReceipt receipt = ok(store.retract(r.id(), tombstone, at));

            assertThat(receipt.seq()).isGreaterThan(published);
            assertThat(receipt.replayed()).isFalse();
            RecordMetadata stored = store.find(r.id()).orElseThrow();
            assertThat(stored.state()).isEqualTo(RecordState.RETRACTED);
            assertThat(stored).isEqualTo(r.withRetraction(new Retraction(at, tombstone)));
            assertThat(store.changesSince(published, 10)).singleElement().satisfies(e -> {
                assertThat(e.seq()).isEqualTo(receipt.seq());
                assertThat(e.kind()).isEqualTo(ChangeKind.RETRACTED);
                assertThat(e.recordId()).isEqualTo(r.id());
            });
        }

        @Test
        void anAbsentRecordIsNotFoundAndNothingIsAppended() {
            String id = uuid7(T0.toEpochMilli(), random);
            assertThat(store.retract(id, new byte[] {1}, T0)).isEqualTo(StoreResult.notFound(id));
            assertThat(store.lastSeq()).isZero();
        }

        @Test
        void theSameRetractionAgainIsAReplay() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            long seq = ok(store.retract(r.id(), new byte[] {7, 7}, T0)).seq();
            assertThat(ok(store.retract(r.id(), new byte[] {7, 7}, T0))).isEqualTo(new ChangeReceipt(seq, true));
            assertThat(store.lastSeq()).isEqualTo(seq);
        }

        @Test
        void anotherRetractionOfARetractedRecordIsAConflict() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.retract(r.id(), new byte[] {7, 7}, T0));
            assertThat(store.retract(r.id(), new byte[] {8}, T0)).isInstanceOf(StoreResult.Conflict.class);
            assertThat(store.find(r.id()).orElseThrow().retraction().orElseThrow().tombstone()).containsExactly(7, 7);
        }

        @Test
        void aWithdrawalMarkerGivesWayToTheTombstoneWithoutAChange() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            byte[] marker = "withdrawn: DEU/deu-1: why".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            long seq = ok(store.retract(r.id(), marker, T0.plusSeconds(1))).seq();

            assertThat(ok(store.replaceTombstone(r.id(), marker, new byte[] {7, 7}, T0))).isEqualTo(new ChangeReceipt(seq, false));
            RecordMetadata now = store.find(r.id()).orElseThrow();
            assertThat(now.state()).isEqualTo(RecordState.RETRACTED);
            assertThat(now.retraction().orElseThrow().tombstone()).containsExactly(7, 7);
            assertThat(now.retraction().orElseThrow().at()).isEqualTo(T0);
            assertThat(store.lastSeq()).isEqualTo(seq);
            // the same again is a replay; the marker is gone, so another replacement of it is a conflict, as is another time
            assertThat(ok(store.replaceTombstone(r.id(), marker, new byte[] {7, 7}, T0))).isEqualTo(new ChangeReceipt(seq, true));
            assertThat(store.replaceTombstone(r.id(), marker, new byte[] {8}, T0)).isInstanceOf(StoreResult.Conflict.class);
            assertThat(store.replaceTombstone(r.id(), marker, new byte[] {7, 7}, T0.plusSeconds(5))).isInstanceOf(StoreResult.Conflict.class);
            assertThat(store.find(r.id()).orElseThrow().retraction().orElseThrow().tombstone()).containsExactly(7, 7);
        }

        @Test
        void onlyARetractedRecordsTombstoneIsReplaced() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            assertThat(store.replaceTombstone(r.id(), new byte[] {1}, new byte[] {2}, T0)).isInstanceOf(StoreResult.Conflict.class);
            assertThat(store.find(r.id()).orElseThrow().state()).isEqualTo(RecordState.ACTIVE);
            String absent = uuid7(T0.toEpochMilli(), random);
            assertThat(store.replaceTombstone(absent, new byte[] {1}, new byte[] {2}, T0)).isEqualTo(StoreResult.notFound(absent));
        }

        @Test
        void anEmptyTombstoneIsRefused() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            assertThatThrownBy(() -> store.retract(r.id(), new byte[0], T0))
                    .isInstanceOf(InvalidRecordException.class).hasMessageContaining("tombstone");
        }
    }

    @Nested
    class Relabel {

        @Test
        void replacesTheLabelAndAppendsAnEntry() {
            RecordMetadata r = newRecord();
            long published = ok(store.insert(r)).seq();
            LabelMetadata newLabel = label("CONFIDENTIAL", "DEU", "FRA", "ISR");

            ChangeReceipt receipt = ok(store.relabel(r.id(), newLabel, r.blob(), r.contentDigest()));

            assertThat(receipt.seq()).isGreaterThan(published);
            assertThat(store.find(r.id())).contains(r.withLabel(newLabel));
            assertThat(store.changesSince(published, 10)).singleElement()
                    .satisfies(e -> assertThat(e.kind()).isEqualTo(ChangeKind.RELABELED));
        }

        @Test
        void filtersFollowTheNewLabel() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.relabel(r.id(), label("SECRET", "DEU", "ISR"), r.blob(), r.contentDigest()));

            assertThat(store.list(RecordQuery.all().withLabelValues("FRA")).items()).isEmpty();
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("ISR")).items())).containsExactly(r.id());
        }

        @Test
        void theSameLabelAgainIsAReplayOfTheChangeThatSetIt() {
            RecordMetadata r = newRecord();
            long published = ok(store.insert(r)).seq();
            assertThat(ok(store.relabel(r.id(), r.label(), r.blob(), r.contentDigest()))).isEqualTo(new ChangeReceipt(published, true));

            LabelMetadata newLabel = label("TOP SECRET", "DEU");
            long relabeled = ok(store.relabel(r.id(), newLabel, r.blob(), r.contentDigest())).seq();
            assertThat(ok(store.relabel(r.id(), newLabel, r.blob(), r.contentDigest()))).isEqualTo(new ChangeReceipt(relabeled, true));
            assertThat(store.lastSeq()).isEqualTo(relabeled);
        }

        @Test
        void replacesTheBlobWithTheLabel() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            BlobRef resealed = new BlobRef(r.id() + ".r1", r.blob().size() + 7, TestRecords.sha256("resealed"));

            String newCiphertext = TestRecords.sha256("new ciphertext");
            long seq = ok(store.relabel(r.id(), label("CONFIDENTIAL", "DEU"), resealed, newCiphertext)).seq();

            assertThat(store.find(r.id()).orElseThrow().blob()).isEqualTo(resealed);
            assertThat(store.find(r.id()).orElseThrow().contentDigest()).isEqualTo(newCiphertext);
            assertThat(store.referencedBlobKeys(List.of(r.blob().key(), resealed.key()))).containsExactly(resealed.key());
            assertThat(ok(store.relabel(r.id(), label("CONFIDENTIAL", "DEU"), resealed, newCiphertext))).isEqualTo(new ChangeReceipt(seq, true));
            assertThatThrownBy(() -> store.relabel(r.id(), label("UNCLASSIFIED"), resealed, "NOT-HEX"))
                    .isInstanceOf(InvalidRecordException.class).hasMessageStartingWith("newContentDigest \"NOT-HEX\"");
            assertThat(store.find(r.id()).orElseThrow().label()).as("nothing written").isEqualTo(label("CONFIDENTIAL", "DEU"));
        }

        @Test
        void anAbsentRecordIsNotFound() {
            String id = uuid7(T0.toEpochMilli(), random);
            assertThat(store.relabel(id, label("SECRET"), new BlobRef(id, 1, TestRecords.sha256("x")), TestRecords.sha256("x"))).isEqualTo(StoreResult.notFound(id));
        }

        @Test
        void aRetractedRecordIsAConflict() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.retract(r.id(), new byte[] {1}, T0));
            assertThat(store.relabel(r.id(), label("UNCLASSIFIED"), r.blob(), r.contentDigest())).isInstanceOf(StoreResult.Conflict.class);
            assertThat(store.find(r.id()).orElseThrow().label()).isEqualTo(r.label());
        }
    }

    @Nested
    class Reinstate {

        @Test
        void makesARetractedRecordActiveUnderItsNewLabelAndBlob() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.retract(r.id(), "withdrawn".getBytes(java.nio.charset.StandardCharsets.UTF_8), T0.plusSeconds(1)));
            BlobRef again = new BlobRef(r.id() + ".r2", r.blob().size(), TestRecords.sha256("again"));
            String digest = TestRecords.sha256("ciphertext again");

            ChangeReceipt receipt = ok(store.reinstate(r.id(), label("SECRET", "DEU", "FRA"), again, digest));

            RecordMetadata now = store.find(r.id()).orElseThrow();
            assertThat(now.state()).isEqualTo(RecordState.ACTIVE);
            assertThat(now.retraction()).isEmpty();
            assertThat(now.label()).isEqualTo(label("SECRET", "DEU", "FRA"));
            assertThat(now.blob()).isEqualTo(again);
            assertThat(now.contentDigest()).isEqualTo(digest);
            assertThat(store.changesSince(0, 10)).extracting(ChangeEntry::kind)
                    .containsExactly(ChangeKind.PUBLISHED, ChangeKind.RETRACTED, ChangeKind.RELABELED);
            assertThat(receipt.replayed()).isFalse();
            // and it can be retracted again, this time for good
            ok(store.retract(r.id(), new byte[] {9}, T0.plusSeconds(2)));
            assertThat(store.find(r.id()).orElseThrow().state()).isEqualTo(RecordState.RETRACTED);
        }

        @Test
        void anActiveRecordIsAConflictAndAnAbsentOneNotFound() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            assertThat(store.reinstate(r.id(), label("SECRET"), r.blob(), r.contentDigest())).isInstanceOf(StoreResult.Conflict.class);
            String id = uuid7(T0.toEpochMilli(), random);
            assertThat(store.reinstate(id, label("SECRET"), new BlobRef(id, 1, TestRecords.sha256("x")), TestRecords.sha256("x")))
                    .isEqualTo(StoreResult.notFound(id));
            assertThat(store.find(r.id()).orElseThrow()).isEqualTo(r);
        }
    }

    @Nested
    class Reissue {

        @Test
        void appendsARelabelledEntryAndChangesNothingElse() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));

            ChangeReceipt receipt = ok(store.reissue(r.id()));

            assertThat(store.find(r.id()).orElseThrow()).isEqualTo(r);
            assertThat(store.changesSince(0, 10)).extracting(ChangeEntry::kind).containsExactly(ChangeKind.PUBLISHED, ChangeKind.RELABELED);
            assertThat(receipt.seq()).isEqualTo(store.lastSeq());
            assertThat(receipt.replayed()).isFalse();
        }

        @Test
        void aRetractedRecordIsAConflictAndAnAbsentOneNotFound() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.retract(r.id(), new byte[] {9}, T0.plusSeconds(1)));
            assertThat(store.reissue(r.id())).isInstanceOf(StoreResult.Conflict.class);
            String id = uuid7(T0.toEpochMilli(), random);
            assertThat(store.reissue(id)).isEqualTo(StoreResult.notFound(id));
            assertThat(store.lastSeq()).isEqualTo(2);
        }
    }

    @Nested
    class Listing {

        @Test
        void listsNewestFirstAndBreaksTiesById() {
            List<RecordMetadata> records = insertMany(30);
            Page<RecordMetadata> page = store.list(RecordQuery.all());
            assertThat(ids(page.items())).containsExactlyElementsOf(newestFirst(records.stream()));
            assertThat(page.nextCursor()).isEmpty();
        }

        @Test
        void pagesThroughEveryRecordOnceWithoutSkippingOrRepeating() {
            List<RecordMetadata> records = insertMany(250);
            List<String> seen = new ArrayList<>();
            RecordQuery q = RecordQuery.all().withPageSize(7);
            while (true) {
                Page<RecordMetadata> page = store.list(q);
                assertThat(page.items()).isNotEmpty().hasSizeLessThanOrEqualTo(7);
                seen.addAll(ids(page.items()));
                if (page.nextCursor().isEmpty()) {
                    break;
                }
                assertThat(page.items()).hasSize(7);
                q = q.withCursor(page.nextCursor().get());
            }
            assertThat(seen).containsExactlyElementsOf(newestFirst(records.stream()));
        }

        @Test
        void aFullLastPageHasNoCursor() {
            insertMany(10);
            Page<RecordMetadata> first = store.list(RecordQuery.all().withPageSize(5));
            Page<RecordMetadata> second = store.list(RecordQuery.all().withPageSize(5).withCursor(first.nextCursor().orElseThrow()));
            assertThat(second.items()).hasSize(5);
            assertThat(second.nextCursor()).isEmpty();
        }

        @Test
        void anEmptyStoreListsAnEmptyPage() {
            assertThat(store.list(RecordQuery.all())).isEqualTo(new Page<>(List.of(), Optional.empty()));
        }

        @Test
        void newerRecordsDoNotShiftAPagingInProgress() {
            List<RecordMetadata> records = insertMany(20);
            Page<RecordMetadata> first = store.list(RecordQuery.all().withPageSize(10));
            ok(store.insert(newRecord(T0.plusSeconds(3600))));
            Page<RecordMetadata> second = store.list(RecordQuery.all().withPageSize(10).withCursor(first.nextCursor().orElseThrow()));
            List<String> all = new ArrayList<>(ids(first.items()));
            all.addAll(ids(second.items()));
            assertThat(all).containsExactlyElementsOf(newestFirst(records.stream()));
        }

        @Test
        void filtersByOriginNationPolicyAndClassification() {
            RecordMetadata deu = record(uuid7(T0.toEpochMilli(), random), T0, "DEU", label("SECRET", "DEU"));
            RecordMetadata fra = record(uuid7(T0.toEpochMilli(), random), T0, "FRA", label("CONFIDENTIAL", "FRA"));
            RecordMetadata gbr = record(uuid7(T0.toEpochMilli(), random), T0, "GBR",
                    new LabelMetadata("{}", "GBR", "SECRET", List.of("GBR")));
            store.insertAll(List.of(deu, fra, gbr)).forEach(MetadataStoreContractTest::ok);

            assertThat(ids(store.list(RecordQuery.all().withOriginNation("FRA")).items())).containsExactly(fra.id());
            assertThat(ids(store.list(RecordQuery.all().withPolicy("GBR")).items())).containsExactly(gbr.id());
            assertThat(ids(store.list(RecordQuery.all().withClassification("SECRET")).items()))
                    .containsExactlyInAnyOrder(deu.id(), gbr.id());
            assertThat(ids(store.list(RecordQuery.all().withPolicy("NATO").withClassification("SECRET")).items()))
                    .containsExactly(deu.id());
        }

        @Test
        void labelValuesMustAllBePresentAsWholeCaseSensitiveValues() {
            RecordMetadata a = record(uuid7(T0.toEpochMilli(), random), T0, "DEU", label("SECRET", "DEU", "FRA", "ISR"));
            RecordMetadata b = record(uuid7(T0.toEpochMilli(), random), T0, "DEU", label("SECRET", "DEUX", "FRA"));
            RecordMetadata c = record(uuid7(T0.toEpochMilli(), random), T0, "DEU", label("SECRET", "50%_OFF", "deu"));
            store.insertAll(List.of(a, b, c)).forEach(MetadataStoreContractTest::ok);

            assertThat(ids(store.list(RecordQuery.all().withLabelValues("DEU")).items())).containsExactly(a.id());
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("FRA")).items())).containsExactlyInAnyOrder(a.id(), b.id());
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("DEU", "ISR")).items())).containsExactly(a.id());
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("DEU", "GBR")).items())).isEmpty();
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("deu")).items())).containsExactly(c.id());
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("50%_OFF")).items())).containsExactly(c.id());
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("50%")).items())).isEmpty();
            assertThat(ids(store.list(RecordQuery.all().withLabelValues("DE")).items())).isEmpty();
        }

        @Test
        void createdAfterAndBeforeAreExclusive() {
            List<RecordMetadata> records = IntStream.range(0, 10).mapToObj(i -> newRecord(T0.plusMillis(i))).toList();
            store.insertAll(records).forEach(MetadataStoreContractTest::ok);

            Page<RecordMetadata> page = store.list(RecordQuery.all().withCreatedAfter(T0.plusMillis(2)).withCreatedBefore(T0.plusMillis(6)));

            assertThat(ids(page.items())).containsExactlyElementsOf(newestFirst(records.subList(3, 6).stream()));
        }

        @Test
        void filtersByState() {
            RecordMetadata kept = newRecord();
            RecordMetadata retracted = newRecord();
            store.insertAll(List.of(kept, retracted)).forEach(MetadataStoreContractTest::ok);
            ok(store.retract(retracted.id(), new byte[] {1}, T0));

            assertThat(ids(store.list(RecordQuery.all().withState(RecordState.ACTIVE)).items())).containsExactly(kept.id());
            assertThat(ids(store.list(RecordQuery.all().withState(RecordState.RETRACTED)).items())).containsExactly(retracted.id());
        }

        @Test
        void aTamperedCursorIsAPreciseErrorNamingTheCursor() {
            insertMany(10);
            String cursor = store.list(RecordQuery.all().withPageSize(3)).nextCursor().orElseThrow();
            char flipped = cursor.charAt(5) == 'A' ? 'B' : 'A';
            String tampered = cursor.substring(0, 5) + flipped + cursor.substring(6);

            assertThatThrownBy(() -> store.list(RecordQuery.all().withCursor(tampered)))
                    .isInstanceOfSatisfying(InvalidQueryException.class, e -> {
                        assertThat(e.input()).startsWith("cursor \"");
                        assertThat(e.rule()).contains("checksum");
                    });
            assertThatThrownBy(() -> RecordQuery.all().withCursor(cursor.substring(1)))
                    .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("cursor ");
            assertThatThrownBy(() -> RecordQuery.all().withCursor(cursor + "="))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("at offset " + cursor.length());
            assertThatThrownBy(() -> RecordQuery.all().withCursor(""))
                    .isInstanceOf(InvalidQueryException.class).hasMessageStartingWith("cursor ");
        }

        @Test
        void aPageSizeOutOfRangeIsAPreciseError() {
            assertThatThrownBy(() -> RecordQuery.all().withPageSize(0))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("pageSize 0");
            assertThatThrownBy(() -> RecordQuery.all().withPageSize(1001))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("between 1 and 1000");
        }
    }

    @Nested
    class Scan {

        @Test
        void hiddenRecordsNeverAppearAndNeverCount() {
            List<RecordMetadata> records = insertMany(60);
            Set<String> visibleIds = new HashSet<>();
            for (int i = 0; i < records.size(); i += 3) {
                visibleIds.add(records.get(i).id());
            }
            List<Page<RecordMetadata>> pages = pages(store, RecordQuery.all().withPageSize(5), r -> visibleIds.contains(r.id()), 4);

            List<String> seen = pages.stream().flatMap(p -> ids(p.items()).stream()).toList();
            assertThat(seen).containsExactlyElementsOf(newestFirst(records.stream().filter(r -> visibleIds.contains(r.id()))));
            assertThat(pages.subList(0, pages.size() - 1)).allSatisfy(p -> assertThat(p.items()).hasSize(4));
        }

        @Test
        void noCursorIsIssuedWhenOnlyHiddenRecordsFollow() {
            List<RecordMetadata> records = insertMany(30);
            String newest = newestFirst(records.stream()).getFirst();

            Page<RecordMetadata> page = store.scan(RecordQuery.all(), r -> r.id().equals(newest), 1, MetadataStore.SCAN_WINDOW);

            assertThat(ids(page.items())).containsExactly(newest);
            assertThat(page.nextCursor()).isEmpty();
        }

        @Test
        void aFullPagesCursorNamesOnlyARecordTheCallerMaySee() {
            List<RecordMetadata> records = insertMany(40);
            Set<String> visibleIds = new HashSet<>(ids(records.subList(0, 40)).stream().filter(id -> id.hashCode() % 4 == 0).toList());
            for (Page<RecordMetadata> page : pages(store, RecordQuery.all().withPageSize(2), r -> visibleIds.contains(r.id()), 2)) {
                page.nextCursor().ifPresent(c -> assertThat(visibleIds).contains(Cursors.decode(c).id()));
            }
        }

        @Test
        void nothingVisibleIsOneEmptyPage() {
            insertMany(50);
            Page<RecordMetadata> page = store.scan(RecordQuery.all().withPageSize(7), r -> false, 10, MetadataStore.SCAN_WINDOW);
            assertThat(page).isEqualTo(new Page<>(List.of(), Optional.empty()));
        }

        /** The page's records are read whole after the decision; one relabelled in between is decided again, on its new label. */
        @Test
        void aRecordRelabelledWhileItsPageIsReadIsDecidedAgainOnItsNewLabel() {
            List<RecordMetadata> records = insertMany(10);
            RecordMetadata target = records.get(5);
            String open = target.label().json();
            LabelMetadata closed = label("TOP SECRET", "DEU");
            Page<RecordMetadata> page = store.scan(RecordQuery.all(), c -> {
                if (c.id().equals(target.id()) && c.labelJson().equals(open)) {
                    ok(store.relabel(target.id(), closed, target.blob(), target.contentDigest())); // between the two reads
                    return true;
                }
                return !c.labelJson().equals(closed.json());
            }, 20, MetadataStore.SCAN_WINDOW);
            assertThat(ids(page.items())).hasSize(9).doesNotContain(target.id());
        }

        /** Likewise one retracted in between: the records are read whole under the query's filters again. */
        @Test
        void aRecordRetractedWhileItsPageIsReadIsLeftOut() {
            List<RecordMetadata> records = insertMany(10);
            RecordMetadata target = records.get(9); // the newest: on the first page
            boolean[] retracted = {false};
            RecordQuery active = RecordQuery.all().withState(RecordState.ACTIVE).withPageSize(4);
            Page<RecordMetadata> first = store.scan(active, c -> {
                if (c.id().equals(target.id()) && !retracted[0]) {
                    ok(store.retract(target.id(), new byte[] {1}, T0.plusSeconds(1))); // between the two reads
                    retracted[0] = true;
                }
                return true;
            }, 5, MetadataStore.SCAN_WINDOW);
            assertThat(retracted[0]).isTrue();
            assertThat(ids(first.items())).hasSize(4).doesNotContain(target.id());
            Page<RecordMetadata> rest = store.scan(active.withCursor(first.nextCursor().orElseThrow()), c -> true, 5, MetadataStore.SCAN_WINDOW);
            List<String> expected = newestFirst(records.stream()).stream().filter(id -> !id.equals(target.id())).toList();
            assertThat(ids(first.items())).containsExactlyElementsOf(expected.subList(0, 4));
            assertThat(ids(rest.items())).containsExactlyElementsOf(expected.subList(4, 9));
        }

        @Test
        void aPageSizeOrWindowOutOfRangeIsAPreciseError() {
            assertThatThrownBy(() -> store.scan(RecordQuery.all(), r -> true, 0, 10))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("pageSize 0");
            assertThatThrownBy(() -> store.scan(RecordQuery.all(), r -> true, 1001, 5000))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("pageSize 1001");
            assertThatThrownBy(() -> store.scan(RecordQuery.all(), r -> true, 10, 9))
                    .isInstanceOf(InvalidQueryException.class).hasMessageContaining("window 9").hasMessageContaining("at least the page size, 10");
        }

        @Test
        void aPageReadsAtMostItsWindowAndEndsItWithACursor() {
            insertMany(50);
            int[] count = {0};
            List<Page<RecordMetadata>> pages = pages(store, RecordQuery.all().withPageSize(7), r -> {
                count[0]++;
                return false;
            }, 5, 10);
            assertThat(pages).hasSize(5);
            assertThat(pages).allSatisfy(p -> assertThat(p.items()).isEmpty());
            assertThat(pages.subList(0, 4)).allSatisfy(p -> assertThat(p.nextCursor()).isPresent());
            assertThat(pages.getLast().nextCursor()).isEmpty();
            assertThat(count[0]).as("each row read once").isEqualTo(50);
        }

        @Test
        void aFilterThatMatchesNothingReadsWindowByWindow() {
            insertMany(50);
            List<Page<RecordMetadata>> pages = pages(store, RecordQuery.all().withOriginNation("ITA"), r -> true, 5, 20);
            assertThat(pages).hasSize(3).allSatisfy(p -> assertThat(p.items()).isEmpty());
            assertThat(pages.getLast().nextCursor()).isEmpty();
        }

        @Test
        void visibleRecordsAcrossWindowsComeOnceEachInOrder() {
            List<RecordMetadata> records = insertMany(60);
            Set<String> visibleIds = new HashSet<>();
            for (int i = 0; i < records.size(); i += 7) visibleIds.add(records.get(i).id());
            List<Page<RecordMetadata>> pages = pages(store, RecordQuery.all().withPageSize(3), r -> visibleIds.contains(r.id()), 3, 10);
            List<String> seen = pages.stream().flatMap(p -> ids(p.items()).stream()).toList();
            assertThat(seen).containsExactlyElementsOf(newestFirst(records.stream().filter(r -> visibleIds.contains(r.id()))));
            assertThat(pages).as("windows of 10 rows, one visible row in 7").hasSizeGreaterThanOrEqualTo(6);
        }

        @Test
        void aWindowStartsAtCreatedBefore() {
            List<RecordMetadata> records = insertMany(60); // three a millisecond from T0
            RecordQuery early = RecordQuery.all().withCreatedBefore(T0.plusMillis(10)); // the first 30 rows
            List<Page<RecordMetadata>> pages = pages(store, early, r -> true, 30, 30);
            assertThat(pages).hasSize(1);
            assertThat(ids(pages.getFirst().items())).containsExactlyElementsOf(newestFirst(records.subList(0, 30).stream()));
        }

        /** Whether a window reaches past createdAfter, a time the caller chooses, would tell where hidden rows lie. */
        @Test
        void createdAfterNeverEndsAWindowOrTheListing() {
            List<RecordMetadata> records = insertMany(60);
            RecordQuery late = RecordQuery.all().withCreatedAfter(T0.plusMillis(9)); // the last 30 rows
            List<Page<RecordMetadata>> pages = pages(store, late, r -> true, 30, 30);
            assertThat(pages).hasSize(2);
            assertThat(ids(pages.getFirst().items())).containsExactlyElementsOf(newestFirst(records.subList(30, 60).stream()));
            assertThat(pages.getFirst().nextCursor()).as("30 older rows follow, whether the caller may see them or not").isPresent();
            assertThat(pages.getLast().items()).isEmpty();
            assertThat(pages.getLast().nextCursor()).isEmpty();
            // And the same whatever the caller may see: a page's end never depends on where hidden rows lie.
            List<Page<RecordMetadata>> blind = pages(store, late, r -> false, 30, 30);
            assertThat(blind).hasSize(2);
            assertThat(blind.getFirst().nextCursor()).isPresent();
        }
    }

    @Nested
    class ChangeLog {

        @Test
        void anEmptyLogHasLastSeqZero() {
            assertThat(store.lastSeq()).isZero();
            assertThat(store.changesSince(0, 10)).isEmpty();
        }

        @Test
        void changesSinceReturnsLaterEntriesInOrderUpToTheLimit() {
            List<RecordMetadata> records = insertMany(10);
            ok(store.retract(records.get(3).id(), new byte[] {1}, T0));
            List<ChangeEntry> all = store.changesSince(0, 100);
            assertThat(all).hasSize(11).extracting(ChangeEntry::seq).isSorted().doesNotHaveDuplicates();

            List<ChangeEntry> after = store.changesSince(all.get(4).seq(), 3);
            assertThat(after).containsExactlyElementsOf(all.subList(5, 8));
            assertThat(store.changesSince(all.getLast().seq(), 10)).isEmpty();
        }

        @Test
        void sequenceNumbersKeepIncreasingAcrossCloseAndReopen() {
            List<Long> seqs = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 3; i++) {
                    seqs.add(ok(store.insert(newRecord())).seq());
                }
                long last = store.lastSeq();
                reopen();
                assertThat(store.lastSeq()).isEqualTo(last);
            }
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(store.changesSince(0, 100)).extracting(ChangeEntry::seq).containsExactlyElementsOf(seqs);
        }

        @Test
        void badArgumentsArePreciseErrors() {
            assertThatThrownBy(() -> store.changesSince(-1, 10)).isInstanceOf(InvalidQueryException.class).hasMessageContaining("seq -1");
            assertThatThrownBy(() -> store.changesSince(0, 0)).isInstanceOf(InvalidQueryException.class).hasMessageContaining("limit 0");
            assertThatThrownBy(() -> store.changesSince(0, MetadataStore.MAX_CHANGES + 1)).isInstanceOf(InvalidQueryException.class);
        }
    }

    @Nested
    class OriginChangesSince {

        static final String NATION = "DEU";
        static final String NODE = "node-deu";

        /** A record from another node of the same nation: its nation alone does not make it the origin's. */
        RecordMetadata fromNode(String node) {
            RecordMetadata r = newRecord();
            return new RecordMetadata(r.id(), r.originNation(), node, r.createdAt(), r.contentType(), r.payloadSize(),
                    r.contentDigest(), r.label(), r.residency(), r.blob(), r.retraction());
        }

        RecordMetadata fromNation(String nation) {
            return record(uuid7(T0.toEpochMilli(), random), T0, nation, label("SECRET", "DEU", "FRA"));
        }

        /** What the method must return: the origin's among what recordChangesSince reads (itself checked against changesSince and find). */
        List<RecordChange> expected(long seq, int limit) {
            return store.recordChangesSince(seq, limit).stream()
                    .filter(c -> c.record().originNation().equals(NATION) && c.record().originNode().equals(NODE))
                    .toList();
        }

        @Test
        void returnsTheOriginsEntriesWithTheirRecordsAndSkipsEveryOtherOrigin() {
            RecordMetadata own1 = newRecord();
            RecordMetadata french = fromNation("FRA");
            RecordMetadata otherNode = fromNode("deu-2");
            RecordMetadata own2 = newRecord();
            RecordMetadata israeli = fromNation("ISR");
            store.insertAll(List.of(own1, french, otherNode, own2, israeli)).forEach(MetadataStoreContractTest::ok);
            List<ChangeEntry> log = store.changesSince(0, 100);

            OriginChanges read = store.originChangesSince(0, NATION, NODE, 100);

            assertThat(read.changes()).extracting(RecordChange::entry).containsExactly(log.get(0), log.get(3));
            assertThat(read.changes()).extracting(RecordChange::record).containsExactly(own1, own2);
            assertThat(read.read()).isEqualTo(5);
            assertThat(read.lastSeq()).as("the last entry read, though another origin's").isEqualTo(log.getLast().seq());
            assertThat(store.originChangesSince(0, "FRA", "node-fra", 100).changes()).extracting(c -> c.record().id())
                    .containsExactly(french.id());
        }

        @Test
        void aReadOfOnlyOtherOriginsReturnsNothingButMovesPastThem() {
            List<RecordMetadata> others = List.of(fromNation("FRA"), fromNation("FRA"), fromNode("deu-2"));
            store.insertAll(others).forEach(MetadataStoreContractTest::ok);
            long last = store.lastSeq();

            OriginChanges read = store.originChangesSince(0, NATION, NODE, 10);

            assertThat(read.changes()).isEmpty();
            assertThat(read.read()).isEqualTo(3);
            assertThat(read.lastSeq()).isEqualTo(last);
            assertThat(store.originChangesSince(last, NATION, NODE, 10)).isEqualTo(new OriginChanges(List.of(), 0, last));
        }

        @Test
        void theLimitCountsEntriesOfEveryOrigin() {
            List<RecordMetadata> records = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                records.add(i % 3 == 0 ? newRecord() : fromNation("FRA"));
            }
            store.insertAll(records).forEach(MetadataStoreContractTest::ok);
            List<ChangeEntry> log = store.changesSince(0, 100);

            OriginChanges first = store.originChangesSince(0, NATION, NODE, 4);
            assertThat(first.read()).isEqualTo(4);
            assertThat(first.lastSeq()).isEqualTo(log.get(3).seq());
            assertThat(first.changes()).extracting(c -> c.record().id()).containsExactly(records.get(0).id(), records.get(3).id());

            OriginChanges second = store.originChangesSince(first.lastSeq(), NATION, NODE, 4);
            assertThat(second.read()).isEqualTo(4);
            assertThat(second.lastSeq()).as("the span ends on another origin's entry").isEqualTo(log.get(7).seq());
            assertThat(second.changes()).extracting(c -> c.record().id()).containsExactly(records.get(6).id());

            OriginChanges third = store.originChangesSince(second.lastSeq(), NATION, NODE, 4);
            assertThat(third.read()).as("fewer than the limit: the end of the log").isEqualTo(2);
            assertThat(third.lastSeq()).isEqualTo(log.getLast().seq());
            assertThat(third.changes()).extracting(c -> c.record().id()).containsExactly(records.get(9).id());
        }

        @Test
        void retractedAndRelabelledRecordsComeAsTheyAreNowWithEachOfTheirEntries() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            ok(store.insert(fromNation("FRA")));
            LabelMetadata relabelled = label("CONFIDENTIAL", "DEU");
            ok(store.relabel(r.id(), relabelled, r.blob(), r.contentDigest()));
            ok(store.retract(r.id(), new byte[] {7, 7}, T0.plusSeconds(5)));
            RecordMetadata now = store.find(r.id()).orElseThrow();
            assertThat(now.state()).isEqualTo(RecordState.RETRACTED);

            OriginChanges read = store.originChangesSince(0, NATION, NODE, 10);

            assertThat(read.changes()).extracting(c -> c.entry().kind())
                    .containsExactly(ChangeKind.PUBLISHED, ChangeKind.RELABELED, ChangeKind.RETRACTED);
            assertThat(read.changes()).extracting(RecordChange::record).containsOnly(now);
            assertThat(now.label()).isEqualTo(relabelled);
            assertThat(now.retraction()).contains(new Retraction(T0.plusSeconds(5), new byte[] {7, 7}));
            assertThat(read.changes()).extracting(RecordChange::entry).containsExactlyElementsOf(
                    store.changesSince(0, 10).stream().filter(e -> e.recordId().equals(r.id())).toList());
        }

        @Test
        void readingOnFromEachLastSeqReturnsEveryEntryOfTheOriginOnce() {
            List<RecordMetadata> records = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                records.add(random.nextInt(10) == 0 ? newRecord() : random.nextBoolean() ? fromNation("FRA") : fromNode("deu-2"));
            }
            store.insertAll(records).forEach(MetadataStoreContractTest::ok);
            for (int i = 0; i < 300; i += 7) {
                ok(store.retract(records.get(i).id(), new byte[] {(byte) i}, T0));
            }
            List<RecordChange> all = expected(0, MetadataStore.MAX_CHANGES);

            List<RecordChange> seen = new ArrayList<>();
            long after = 0;
            while (true) {
                int limit = 1 + random.nextInt(40);
                OriginChanges read = store.originChangesSince(after, NATION, NODE, limit);
                assertThat(read.changes()).isEqualTo(expected(after, limit));
                assertThat(read.read()).isEqualTo(Math.min(limit, store.changesSince(after, limit).size()));
                if (read.read() == 0) {
                    assertThat(read.lastSeq()).isEqualTo(after);
                    break;
                }
                assertThat(read.lastSeq()).isEqualTo(store.changesSince(after, limit).getLast().seq());
                seen.addAll(read.changes());
                after = read.lastSeq();
            }
            assertThat(seen).isEqualTo(all).isNotEmpty();
            assertThat(after).isEqualTo(store.lastSeq());
        }

        @Test
        void anEmptyLogOrOneReadToTheEndReadsNothing() {
            assertThat(store.originChangesSince(0, NATION, NODE, 10)).isEqualTo(new OriginChanges(List.of(), 0, 0));
            assertThat(store.originChangesSince(42, NATION, NODE, 10)).isEqualTo(new OriginChanges(List.of(), 0, 42));
        }

        @Test
        void badArgumentsArePreciseErrors() {
            assertThatThrownBy(() -> store.originChangesSince(-1, NATION, NODE, 10)).isInstanceOf(InvalidQueryException.class)
                    .hasMessageContaining("seq -1");
            assertThatThrownBy(() -> store.originChangesSince(0, NATION, NODE, 0)).isInstanceOf(InvalidQueryException.class)
                    .hasMessageContaining("limit 0");
            assertThatThrownBy(() -> store.originChangesSince(0, NATION, NODE, MetadataStore.MAX_CHANGES + 1))
                    .isInstanceOf(InvalidQueryException.class);
        }
    }

    @Nested
    class RecordChangesSince {

        @Test
        void everyEntryComesWithItsRecordAsItIsNowInSequenceOrder() {
            RecordMetadata a = newRecord();
            RecordMetadata b = newRecord();
            store.insertAll(List.of(a, b)).forEach(MetadataStoreContractTest::ok);
            ok(store.retract(a.id(), new byte[] {3}, T0));
            List<ChangeEntry> log = store.changesSince(0, 10);

            List<RecordChange> read = store.recordChangesSince(0, 10);

            assertThat(read).extracting(RecordChange::entry).containsExactlyElementsOf(log);
            assertThat(read).extracting(RecordChange::record).containsExactly(store.find(a.id()).orElseThrow(), b,
                    store.find(a.id()).orElseThrow());
            assertThat(store.recordChangesSince(log.get(0).seq(), 1)).extracting(RecordChange::entry).containsExactly(log.get(1));
            assertThat(store.recordChangesSince(log.getLast().seq(), 10)).isEmpty();
            assertThatThrownBy(() -> store.recordChangesSince(-1, 10)).isInstanceOf(InvalidQueryException.class).hasMessageContaining("seq -1");
            assertThatThrownBy(() -> store.recordChangesSince(0, MetadataStore.MAX_CHANGES + 1)).isInstanceOf(InvalidQueryException.class);
        }

        @Test
        void eachEntryKeepsTheLabelItLeftAndARelabelTheOneItReplaced() {
            RecordMetadata r = newRecord();
            ok(store.insert(r));
            LabelMetadata narrower = label("CONFIDENTIAL", "DEU");
            ok(store.relabel(r.id(), narrower, r.blob(), r.contentDigest()));
            ok(store.retract(r.id(), new byte[] {4}, T0));
            ok(store.reinstate(r.id(), r.label(), r.blob(), r.contentDigest()));

            List<RecordChange> read = store.recordChangesSince(0, 10);

            assertThat(read).extracting(c -> c.entry().kind())
                    .containsExactly(ChangeKind.PUBLISHED, ChangeKind.RELABELED, ChangeKind.RETRACTED, ChangeKind.RELABELED);
            assertThat(read).extracting(RecordChange::label).as("the label each entry left in force").containsExactly(
                    Optional.of(r.label().json()), Optional.of(narrower.json()), Optional.of(narrower.json()), Optional.of(r.label().json()));
            assertThat(read).extracting(RecordChange::previousLabel).containsExactly(Optional.empty(), Optional.of(r.label().json()),
                    Optional.empty(), Optional.empty()); // a reinstated record was nobody's under its last label
            assertThat(store.originChangesSince(0, "DEU", "node-deu", 10).changes()).isEqualTo(read);
        }

        @Test
        void aCommitMovesTheSignalSoThatAWaiterWakes() throws Exception {
            long seen = store.committed().version();
            assertThat(store.committed().await(seen, java.time.Duration.ZERO)).as("nothing committed yet").isFalse();
            Thread writer = Thread.ofVirtual().start(() -> ok(store.insert(newRecord())));
            assertThat(store.committed().await(seen, java.time.Duration.ofSeconds(30))).isTrue();
            writer.join();
            assertThat(store.lastSeq()).isPositive();
        }
    }

    @Nested
    class BlobReferences {

        @Test
        void returnsTheKeysActiveRecordsReferTo() {
            RecordMetadata active = newRecord();
            RecordMetadata retracted = newRecord();
            store.insertAll(List.of(active, retracted)).forEach(MetadataStoreContractTest::ok);
            ok(store.retract(retracted.id(), new byte[] {1}, T0));

            Set<String> referenced = store.referencedBlobKeys(List.of(active.blob().key(), retracted.blob().key(), "orphan"));

            assertThat(referenced).as("a retracted record's blob is to be deleted: nothing keeps it").containsExactly(active.blob().key());
            assertThat(store.referencedBlobKeys(List.of())).isEmpty();
        }

        @Test
        void listsEveryReferencedKeyInOnePass() {
            List<RecordMetadata> records = insertMany(1200);
            ok(store.retract(records.getFirst().id(), new byte[] {1}, T0));
            List<String> listed = new ArrayList<>();

            store.forEachReferencedBlobKey(listed::add);

            assertThat(listed).containsExactlyInAnyOrderElementsOf(records.stream().skip(1).map(r -> r.blob().key()).toList());
        }

        @Test
        void handlesMoreKeysThanOneQueryTakes() {
            List<RecordMetadata> records = insertMany(1200);
            List<String> keys = new ArrayList<>(records.stream().map(r -> r.blob().key()).toList());
            keys.add("orphan-1");
            assertThat(store.referencedBlobKeys(keys)).hasSize(1200).doesNotContain("orphan-1");
        }
    }

    @Nested
    class Close {

        @Test
        void aClosedStoreRefusesWritesAndReadsWithAStoreException() {
            store.close();
            assertThatThrownBy(() -> store.insert(newRecord())).isInstanceOf(StoreException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> store.lastSeq()).isInstanceOf(StoreException.class).hasMessageContaining("closed");
            store.close(); // closing twice is harmless
        }
    }

    // ---- property: paging with visibility (jqwik; its own store, since jqwik does not run @TempDir) ----

    private Path pagingDir;
    private MetadataStore pagingStore;
    private List<RecordMetadata> pagingRecords;

    @BeforeProperty
    void openPagingStore() throws IOException {
        pagingDir = Files.createTempDirectory("bulwark-paging");
        pagingStore = open(pagingDir);
        Random r = new Random(4774);
        List<RecordMetadata> records = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            Instant t = T0.plusMillis(i / 4); // four records per millisecond: ties are common
            String nation = i % 5 == 0 ? "FRA" : "DEU";
            records.add(record(uuid7(t.toEpochMilli(), r), t, nation, label("SECRET", nation)));
        }
        for (int i = 0; i < records.size(); i += 500) {
            pagingStore.insertAll(records.subList(i, i + 500)).forEach(MetadataStoreContractTest::ok);
        }
        pagingRecords = records;
    }

    @AfterProperty
    void closePagingStore() throws IOException {
        pagingStore.close();
        try (Stream<Path> files = Files.walk(pagingDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Property(tries = 30)
    void scanningTwoThousandFiveHundredRowsReturnsEveryVisibleRowOnceAndNoHiddenOne(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 100) int visiblePercent,
            @ForAll @IntRange(min = 1, max = 300) int pageSize,
            @ForAll @IntRange(min = 1, max = 1000) int fetchSize,
            @ForAll @IntRange(min = 0, max = 3000) int windowBeyondPage,
            @ForAll boolean onlyFrance) {
        int window = pageSize + windowBeyondPage;
        Predicate<MetadataStore.Candidate> visible = r -> Math.floorMod(mix(seed ^ r.id().hashCode()), 100) < visiblePercent;
        RecordQuery query = RecordQuery.all().withPageSize(fetchSize);
        if (onlyFrance) {
            query = query.withOriginNation("FRA");
        }
        Predicate<RecordMetadata> matches = r -> !onlyFrance || r.originNation().equals("FRA");
        List<String> expected = newestFirst(pagingRecords.stream().filter(matches).filter(r -> visible.test(MetadataStore.Candidate.of(r))));

        Map<String, RecordMetadata> byId = new HashMap<>();
        pagingRecords.forEach(r -> byId.put(r.id(), r));
        List<Integer> offeredPerPage = new ArrayList<>();
        List<Page<RecordMetadata>> pages = new ArrayList<>();
        RecordQuery q = query;
        while (true) {
            Set<String> offered = new HashSet<>(); // rows decided on (a row shown is decided twice: as candidate, then whole)
            Page<RecordMetadata> page = pagingStore.scan(q, r -> {
                assertThat(matches.test(byId.get(r.id()))).as("the store offers only rows matching the query").isTrue();
                offered.add(r.id());
                return visible.test(r);
            }, pageSize, window);
            assertThat(page.items()).as("the store returns only rows matching the query").allMatch(matches);
            pages.add(page);
            offeredPerPage.add(offered.size());
            if (page.nextCursor().isEmpty()) break;
            q = query.withCursor(page.nextCursor().get());
        }

        List<String> seen = pages.stream().flatMap(p -> ids(p.items()).stream()).toList();
        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(offeredPerPage).as("a page reads at most its window").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(window));
        if (window >= pagingRecords.size()) { // one window covers everything: pages as without one
            for (int i = 0; i < pages.size() - 1; i++) {
                assertThat(pages.get(i).items()).as("a page with a cursor is full").hasSize(pageSize);
            }
            if (pages.size() > 1) {
                assertThat(pages.getLast().items()).as("a cursor is issued only if a visible row follows").isNotEmpty();
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
