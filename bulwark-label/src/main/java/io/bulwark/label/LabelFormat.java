package io.bulwark.label;

/** The encodings of a label. */
public enum LabelFormat {
    /** STANAG 4774 XML, namespace {@code urn:nato:stanag:4774:confidentialitymetadatalabel:1:0}. */
    XML,
    /** Bulwark's JSON form (see docs/formats/label-json.md). */
    JSON,
    /**
     * The display marking drawn from the policy's marking data, as ADatP-4774 shows it, e.g.
     * {@code NATO RESTRICTED Releasable to Japan, Switzerland, Ukraine}. Decoding also takes the
     * compact form.
     */
    MARKING,
    /** The compact form people type, e.g. {@code NATO SECRET//REL TO DEU, FRA, GBR//COI ISR}. */
    COMPACT
}
