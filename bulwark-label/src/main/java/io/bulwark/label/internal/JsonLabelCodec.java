package io.bulwark.label.internal;

import io.bulwark.label.Category;
import io.bulwark.label.CategoryType;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.InvalidLabelException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/** The JSON form of a label (docs/formats/label-json.md). Canonical output: fixed member order, no spaces. */
public final class JsonLabelCodec {

    // Ordered sets: error messages list the members in canonical order, the same in every run.
    private static final Set<String> LABEL_MEMBERS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(
            "policy", "classification", "privacyMark", "categories", "creationTime", "reviewTime", "alternatives")));
    private static final Set<String> CATEGORY_MEMBERS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of("type", "tagName", "values")));

    private JsonLabelCodec() {}

    public static ConfidentialityLabel decode(String text, String input) {
        Object root = Json.parse(text, (pos, rule) -> new InvalidLabelException(input, pos, rule));
        return label(root, "$", input, true);
    }

    private static ConfidentialityLabel label(Object node, String path, String input, boolean top) {
        Map<String, Object> o = object(node, path, input);
        for (String key : o.keySet()) {
            if (!LABEL_MEMBERS.contains(key)) {
                throw new InvalidLabelException(input, path + "." + key, "unknown member; a label has " + LABEL_MEMBERS);
            }
        }
        String policy = string(o, "policy", path, input, true).orElseThrow();
        String classification = string(o, "classification", path, input, true).orElseThrow();
        Optional<String> privacyMark = string(o, "privacyMark", path, input, false);
        List<Category> categories = new ArrayList<>();
        List<Object> cats = array(o.get("categories"), path + ".categories", input, true);
        for (int i = 0; i < cats.size(); i++) {
            categories.add(category(cats.get(i), path + ".categories[" + i + "]", input));
        }
        Optional<Instant> created = time(o, "creationTime", path, input);
        Optional<Instant> review = time(o, "reviewTime", path, input);
        List<ConfidentialityLabel> alternatives = new ArrayList<>();
        List<Object> alts = array(o.get("alternatives"), path + ".alternatives", input, false);
        if (!top && !alts.isEmpty()) {
            throw new InvalidLabelException(input, path + ".alternatives", "an alternative label has no alternatives of its own");
        }
        for (int i = 0; i < alts.size(); i++) {
            alternatives.add(label(alts.get(i), path + ".alternatives[" + i + "]", input, false));
        }
        return new ConfidentialityLabel(policy, classification, privacyMark, categories, created, review, alternatives);
    }

    private static Category category(Object node, String path, String input) {
        Map<String, Object> o = object(node, path, input);
        for (String key : o.keySet()) {
            if (!CATEGORY_MEMBERS.contains(key)) {
                throw new InvalidLabelException(input, path + "." + key, "unknown member; a category has " + CATEGORY_MEMBERS);
            }
        }
        String type = string(o, "type", path, input, true).orElseThrow();
        CategoryType t;
        try {
            t = CategoryType.valueOf(type);
        } catch (IllegalArgumentException e) {
            throw new InvalidLabelException(input, path + ".type", "'" + type + "' is not RESTRICTIVE, PERMISSIVE or INFORMATIVE");
        }
        String tagName = string(o, "tagName", path, input, true).orElseThrow();
        List<String> values = new ArrayList<>();
        List<Object> raw = array(o.get("values"), path + ".values", input, true);
        for (int i = 0; i < raw.size(); i++) {
            if (!(raw.get(i) instanceof String s)) {
                throw new InvalidLabelException(input, path + ".values[" + i + "]", "a value is a string");
            }
            values.add(s);
        }
        return new Category(t, tagName, values);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object node, String path, String input) {
        if (node instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new InvalidLabelException(input, path, "expected a JSON object");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> array(Object node, String path, String input, boolean required) {
        if (node == null) {
            if (required) throw new InvalidLabelException(input, path, "required array is missing");
            return List.of();
        }
        if (node instanceof List<?> l) return (List<Object>) l;
        throw new InvalidLabelException(input, path, "expected a JSON array");
    }

    private static Optional<String> string(Map<String, Object> o, String key, String path, String input, boolean required) {
        Object v = o.get(key);
        if (v == null) {
            if (required) throw new InvalidLabelException(input, path + "." + key, "required member is missing");
            return Optional.empty();
        }
        if (v instanceof String s) return Optional.of(s);
        throw new InvalidLabelException(input, path + "." + key, "expected a string");
    }

    private static Optional<Instant> time(Map<String, Object> o, String key, String path, String input) {
        Optional<String> s = string(o, key, path, input, false);
        try {
            return s.map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw new InvalidLabelException(input, path + "." + key, "'" + s.get()
                    + "' is not an ISO 8601 UTC instant such as 2026-11-26T12:00:00Z");
        }
    }

    public static String encode(ConfidentialityLabel label) {
        StringBuilder b = new StringBuilder(256);
        write(label, b);
        return b.toString();
    }

    private static void write(ConfidentialityLabel l, StringBuilder b) {
        b.append("{\"policy\":").append(Json.quote(l.policy()))
                .append(",\"classification\":").append(Json.quote(l.classification()));
        l.privacyMark().ifPresent(pm -> b.append(",\"privacyMark\":").append(Json.quote(pm)));
        b.append(",\"categories\":[");
        StringJoiner cats = new StringJoiner(",");
        for (Category c : l.categories()) {
            StringJoiner values = new StringJoiner(",");
            c.values().forEach(v -> values.add(Json.quote(v)));
            cats.add("{\"type\":\"" + c.type() + "\",\"tagName\":" + Json.quote(c.tagName()) + ",\"values\":[" + values + "]}");
        }
        b.append(cats).append(']');
        l.creationTime().ifPresent(t -> b.append(",\"creationTime\":\"").append(t).append('"'));
        l.reviewTime().ifPresent(t -> b.append(",\"reviewTime\":\"").append(t).append('"'));
        if (!l.alternatives().isEmpty()) {
            b.append(",\"alternatives\":[");
            for (int i = 0; i < l.alternatives().size(); i++) {
                if (i > 0) b.append(',');
                write(l.alternatives().get(i), b);
            }
            b.append(']');
        }
        b.append('}');
    }
}
