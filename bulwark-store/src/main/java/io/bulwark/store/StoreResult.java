package io.bulwark.store;

import java.util.Objects;

/**
 * The outcome of a store operation whose failure is expected rather than a fault: the record is not
 * there, or the request clashes with what is stored. Faults are {@link StoreException}s instead.
 *
 * <p>Switch over it:
 * {@snippet :
 * switch (store.retract(id, tombstone, now)) {
 *     case StoreResult.Success<ChangeReceipt>(var receipt) -> audit(receipt.seq());
 *     case StoreResult.NotFound<ChangeReceipt> n -> respond404();
 *     case StoreResult.Conflict<ChangeReceipt>(var recordId, var reason) -> respond409(reason);
 * }
 * }
 *
 * @param <T> the value on success
 */
public sealed interface StoreResult<T> permits StoreResult.Success, StoreResult.NotFound, StoreResult.Conflict {

    /** The operation took effect (or had already taken effect; see {@link ChangeReceipt#replayed()}). */
    record Success<T>(T value) implements StoreResult<T> {
        public Success {
            Objects.requireNonNull(value, "value");
        }
    }

    /** No record has this id. */
    record NotFound<T>(String recordId) implements StoreResult<T> {
        public NotFound {
            Objects.requireNonNull(recordId, "recordId");
        }
    }

    /** The request clashes with the stored record; {@code reason} says how, in words. */
    record Conflict<T>(String recordId, String reason) implements StoreResult<T> {
        public Conflict {
            Objects.requireNonNull(recordId, "recordId");
            Objects.requireNonNull(reason, "reason");
        }
    }

    static <T> StoreResult<T> success(T value) {
        return new Success<>(value);
    }

    static <T> StoreResult<T> notFound(String recordId) {
        return new NotFound<>(recordId);
    }

    static <T> StoreResult<T> conflict(String recordId, String reason) {
        return new Conflict<>(recordId, reason);
    }

    /** Whether this is a {@link Success}. */
    default boolean succeeded() {
        return this instanceof Success;
    }

    /**
     * The value of a {@link Success}.
     *
     * @throws IllegalStateException naming the outcome, if this is not a success
     */
    default T orElseThrow() {
        return switch (this) {
            case Success<T>(T value) -> value;
            case NotFound<T>(String id) -> throw new IllegalStateException("record " + id + " not found");
            case Conflict<T>(String id, String reason) -> throw new IllegalStateException("record " + id + ": " + reason);
        };
    }
}
