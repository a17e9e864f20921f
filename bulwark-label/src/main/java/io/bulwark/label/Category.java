package io.bulwark.label;

import java.util.List;
import java.util.Objects;

/**
 * One security category of a label: the tag (by its tag set name, STANAG 4774 {@code TagName}),
 * its type and its values (the SPIF tag category names, e.g. {@code DEU}).
 */
public record Category(CategoryType type, String tagName, List<String> values) {

    public Category {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tagName, "tagName");
        values = List.copyOf(values);
    }
}
