package io.bulwark.store;

import io.bulwark.store.internal.Checks;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the store keeps of a record's label. The store does not interpret any of it: the node
 * supplies the canonical label JSON (kept verbatim, returned verbatim) and, for filtering, the
 * policy name, the classification name and the category values as flat tokens.
 *
 * @param json           the canonical label JSON, opaque to the store; non-empty
 * @param policy         the security policy's name, e.g. {@code NATO}
 * @param classification the classification's name, e.g. {@code SECRET}
 * @param values         the category values, e.g. {@code [DEU, FRA, ISR]}: each a token without
 *                       whitespace (1 to 128 characters), no duplicates, order kept as given
 */
public record LabelMetadata(String json, String policy, String classification, List<String> values) {

    public LabelMetadata {
        Objects.requireNonNull(json, "json");
        if (json.isEmpty()) {
            throw new InvalidRecordException("labelJson", "", "must not be empty");
        }
        Fields.check("policy", policy, Checks.text(policy));
        Fields.check("classification", classification, Checks.text(classification));
        values = List.copyOf(values);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            Fields.check("labelValues[" + i + "]", v, Checks.token(v));
            if (!seen.add(v)) {
                throw new InvalidRecordException("labelValues[" + i + "] " + Checks.quote(v), "", "duplicates an earlier value");
            }
        }
    }
}
