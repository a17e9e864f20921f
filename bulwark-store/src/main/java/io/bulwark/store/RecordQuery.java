package io.bulwark.store;

import io.bulwark.store.internal.Checks;
import io.bulwark.store.internal.Cursors;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A listing of records, newest first (by creation time, then by id, both descending), with filters
 * that all must hold. Start from {@link #all()} and narrow it:
 * {@snippet :
 * RecordQuery q = RecordQuery.all()
 *         .withOriginNation("DEU")
 *         .withLabelValues(List.of("FRA", "ISR"))
 *         .withState(RecordState.ACTIVE)
 *         .withPageSize(50);
 * }
 *
 * <p>Every parameter is checked on construction; a bad one is an {@link InvalidQueryException}
 * naming it (a malformed or altered cursor included).
 *
 * @param originNation   only records from this nation (ISO 3166-1 alpha-3)
 * @param policy         only records labelled under this policy
 * @param classification only records with this classification name
 * @param labelValues    only records whose label values include every one of these (whole values,
 *                       case-sensitive)
 * @param createdAfter   only records created strictly after this time (millisecond precision; finer
 *                       is truncated)
 * @param createdBefore  only records created strictly before this time (millisecond precision; finer
 *                       is truncated)
 * @param state          only records in this state
 * @param pageSize       rows per page, 1 to {@value #MAX_PAGE_SIZE}; for
 *                       {@link MetadataStore#scan} the rows read per round trip
 * @param cursor         continue from the page that issued this cursor
 */
public record RecordQuery(
        Optional<String> originNation,
        Optional<String> policy,
        Optional<String> classification,
        Set<String> labelValues,
        Optional<Instant> createdAfter,
        Optional<Instant> createdBefore,
        Optional<RecordState> state,
        int pageSize,
        Optional<String> cursor) {

    /** The largest page. */
    public static final int MAX_PAGE_SIZE = 1000;
    /** The page size of {@link #all()}. */
    public static final int DEFAULT_PAGE_SIZE = 100;

    public RecordQuery {
        originNation.ifPresent(n -> param("originNation", n, Checks.nation(n)));
        policy.ifPresent(p -> param("policy", p, Checks.text(p)));
        classification.ifPresent(c -> param("classification", c, Checks.text(c)));
        labelValues = Set.copyOf(labelValues);
        for (String v : labelValues) {
            param("labelValues", v, Checks.token(v));
        }
        createdAfter = createdAfter.map(t -> time("createdAfter", t));
        createdBefore = createdBefore.map(t -> time("createdBefore", t));
        Objects.requireNonNull(state, "state");
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new InvalidQueryException("pageSize " + pageSize, "", "must be between 1 and " + MAX_PAGE_SIZE);
        }
        cursor.ifPresent(Cursors::decode);
    }

    /** Every record, newest first, {@value #DEFAULT_PAGE_SIZE} per page. */
    public static RecordQuery all() {
        return new RecordQuery(Optional.empty(), Optional.empty(), Optional.empty(), Set.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), DEFAULT_PAGE_SIZE, Optional.empty());
    }

    public RecordQuery withOriginNation(String nation) {
        return new RecordQuery(Optional.of(nation), policy, classification, labelValues, createdAfter, createdBefore,
                state, pageSize, cursor);
    }

    public RecordQuery withPolicy(String p) {
        return new RecordQuery(originNation, Optional.of(p), classification, labelValues, createdAfter, createdBefore,
                state, pageSize, cursor);
    }

    public RecordQuery withClassification(String c) {
        return new RecordQuery(originNation, policy, Optional.of(c), labelValues, createdAfter, createdBefore,
                state, pageSize, cursor);
    }

    /** Only records whose label values include all of {@code values}. */
    public RecordQuery withLabelValues(Collection<String> values) {
        return new RecordQuery(originNation, policy, classification, Set.copyOf(values), createdAfter, createdBefore,
                state, pageSize, cursor);
    }

    /** Only records whose label values include all of {@code values}. */
    public RecordQuery withLabelValues(String... values) {
        return withLabelValues(List.of(values));
    }

    public RecordQuery withCreatedAfter(Instant t) {
        return new RecordQuery(originNation, policy, classification, labelValues, Optional.of(t), createdBefore,
                state, pageSize, cursor);
    }

    public RecordQuery withCreatedBefore(Instant t) {
        return new RecordQuery(originNation, policy, classification, labelValues, createdAfter, Optional.of(t),
                state, pageSize, cursor);
    }

    public RecordQuery withState(RecordState s) {
        return new RecordQuery(originNation, policy, classification, labelValues, createdAfter, createdBefore,
                Optional.of(s), pageSize, cursor);
    }

    public RecordQuery withPageSize(int size) {
        return new RecordQuery(originNation, policy, classification, labelValues, createdAfter, createdBefore,
                state, size, cursor);
    }

    /**
     * This query continued from a page's {@link Page#nextCursor()}.
     *
     * @throws InvalidQueryException naming the cursor, if it is malformed or was altered
     */
    public RecordQuery withCursor(String c) {
        return new RecordQuery(originNation, policy, classification, labelValues, createdAfter, createdBefore,
                state, pageSize, Optional.of(c));
    }

    /** This query from the newest record again. */
    public RecordQuery withoutCursor() {
        return new RecordQuery(originNation, policy, classification, labelValues, createdAfter, createdBefore,
                state, pageSize, Optional.empty());
    }

    private static void param(String name, String value, Optional<Checks.Violation> violation) {
        violation.ifPresent(v -> {
            throw new InvalidQueryException(name + " " + Checks.quote(value), v.position(), v.rule());
        });
    }

    private static Instant time(String name, Instant t) {
        if (t.isBefore(Instant.EPOCH) || t.isAfter(Fields.LATEST)) {
            throw new InvalidQueryException(name + " " + t, "", "must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z");
        }
        return t.truncatedTo(ChronoUnit.MILLIS);
    }
}
