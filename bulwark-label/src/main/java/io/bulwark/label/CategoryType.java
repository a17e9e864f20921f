package io.bulwark.label;

/** How a category's values take part in an access decision (STANAG 4774). */
public enum CategoryType {
    /** Every value is required of the subject (e.g. communities of interest). */
    RESTRICTIVE,
    /** Any one value suffices (e.g. Releasable To). */
    PERMISSIVE,
    /** No effect on access. */
    INFORMATIVE
}
