package io.bulwark.label.internal;

import io.bulwark.label.Category;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.PolicySet;
import io.bulwark.label.SecurityPolicy;
import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.SecurityPolicy.MarkingQualifier;
import io.bulwark.label.SecurityPolicy.TagSet;
import io.bulwark.label.SecurityPolicy.TagValue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Marking strings, both ways, in two forms (docs/formats/label-marking.md):
 * <ul>
 *   <li>display: from the policy's marking data, as ADatP-4774 shows it —
 *       {@code NATO RESTRICTED Releasable to Japan, Switzerland, Ukraine}, in any language the
 *       policy defines; a privacy mark follows in square brackets;</li>
 *   <li>compact: what people type — {@code NATO SECRET//REL TO DEU, FRA, GBR//COI ISR//PM STAFF}.</li>
 * </ul>
 * Reading is case-insensitive; writing is canonical.
 */
public final class MarkingCodec {

    /** A classification of a policy. */
    public record ClassRef(SecurityPolicy policy, Classification classification) {}

    private final PolicySet policies;
    /** Upper-cased classification tokens (every phrase in every language, and "POLICY NAME") to what they name. */
    private final Map<String, Set<ClassRef>> tokens = new HashMap<>();
    /** Tokens longest first, for reading display markings. */
    private final List<String> tokensLongestFirst;

    public MarkingCodec(PolicySet policies) {
        this.policies = policies;
        for (SecurityPolicy p : policies.policies()) {
            for (Classification c : p.classifications()) {
                ClassRef ref = new ClassRef(p, c);
                for (String phrase : c.phrases().values()) {
                    tokens.computeIfAbsent(upper(phrase), k -> new LinkedHashSet<>()).add(ref);
                }
                tokens.computeIfAbsent(upper(p.name() + " " + c.name()), k -> new LinkedHashSet<>()).add(ref);
            }
        }
        tokensLongestFirst = tokens.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    private static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    /** The classification a token names, e.g. {@code NATO SECRET}, {@code GEHEIM}, {@code USA SECRET}. */
    public ClassRef classification(String token, String input) {
        Set<ClassRef> refs = tokens.get(upper(token.strip()));
        if (refs == null) {
            throw new InvalidLabelException(input, "offset 0", "'" + token.strip() + "' is not a classification of any loaded policy ("
                    + String.join(", ", policies.policies().stream().map(SecurityPolicy::name).toList())
                    + "); write it as its marking phrase (NATO SECRET) or as policy and level (DEU GEHEIM)");
        }
        if (refs.size() > 1) {
            throw new InvalidLabelException(input, "offset 0", "'" + token.strip() + "' is ambiguous: it names "
                    + refs.stream().map(r -> r.policy().name() + " " + r.classification().name()).toList()
                    + "; prefix the policy name");
        }
        return refs.iterator().next();
    }

    // === writing ==================================================================================

    public String compact(ConfidentialityLabel label) {
        SecurityPolicy policy = policies.policy(label.policy()).orElseThrow();
        Classification cls = policy.classification(label.classification()).orElseThrow();
        String phrase = cls.phrase("").orElseThrow();
        Set<ClassRef> named = tokens.get(upper(phrase));
        StringBuilder b = new StringBuilder(named.size() == 1 ? phrase : policy.name() + " " + cls.name());
        for (Category c : label.categories()) {
            TagSet t = tagSet(policy, c);
            b.append("//").append(t.compactPrefix()).append(' ').append(String.join(", ", c.values()));
        }
        label.privacyMark().ifPresent(pm -> b.append("//PM ").append(pm));
        return b.toString();
    }

    public String display(ConfidentialityLabel label, String language) {
        SecurityPolicy policy = policies.policy(label.policy()).orElseThrow();
        Classification cls = policy.classification(label.classification()).orElseThrow();
        StringBuilder b = new StringBuilder(cls.phrase(language).orElseThrow());
        for (Category c : label.categories()) {
            TagSet t = tagSet(policy, c);
            MarkingQualifier q = t.qualifier(language);
            List<String> phrases = c.values().stream().map(v -> t.value(v).orElseThrow().phrase(language)).toList();
            b.append(' ').append(q.prefix()).append(String.join(q.separator(), phrases)).append(q.suffix());
        }
        label.privacyMark().ifPresent(pm -> b.append(" [").append(pm).append(']'));
        return b.toString();
    }

    private static TagSet tagSet(SecurityPolicy policy, Category c) {
        return policy.tagSets().stream().filter(t -> t.name().equals(c.tagName()) && t.type() == c.type())
                .findFirst().orElseThrow();
    }

    // === reading ==================================================================================

    public ConfidentialityLabel decode(String text, String input) {
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (Character.isISOControl(ch) && ch != '\t') {
                throw new InvalidLabelException(input, "offset " + i, "control characters are not allowed in a marking");
            }
            // The grammar's white space is WSP only. Another space (an em space, a no-break space
            // pasted from a document) would be stripped as white space or read as part of a word,
            // depending on where it stands: refused, and named, since it looks like a space.
            if (ch != ' ' && ch != '\t' && (Character.isWhitespace(ch) || Character.isSpaceChar(ch))) {
                throw new InvalidLabelException(input, "offset " + i, String.format(Locale.ROOT,
                        "U+%04X (%s) is not white space in a marking: separate with a space or a tab", (int) ch, Character.getName(ch)));
            }
        }
        return text.contains("//") ? decodeCompact(text, input) : decodeDisplay(text, input);
    }

    private ConfidentialityLabel decodeCompact(String text, String input) {
        String[] segments = text.split("//", -1);
        ClassRef cls = classification(segments[0], input);
        SecurityPolicy policy = cls.policy();
        Map<TagSet, List<String>> categories = new LinkedHashMap<>();
        Optional<String> privacyMark = Optional.empty();
        int offset = segments[0].length();
        for (int s = 1; s < segments.length; s++) {
            offset += 2;
            String segment = segments[s];
            String at = "offset " + (offset + leadingSpaces(segment));
            String body = segment.strip();
            offset += segment.length();
            if (body.isEmpty()) {
                throw new InvalidLabelException(input, at, "empty segment between '//' separators");
            }
            String upper = upper(body);
            if (startsWithWord(upper, "PM")) {
                if (privacyMark.isPresent()) throw new InvalidLabelException(input, at, "only one privacy mark (PM)");
                privacyMark = Optional.of(body.substring(2).strip());
                continue;
            }
            TagSet tagSet = null;
            for (TagSet t : policy.tagSets()) {
                String prefix = upper(t.compactPrefix());
                if (startsWithWord(upper, prefix)
                        && (tagSet == null || prefix.length() > tagSet.compactPrefix().length())) {
                    tagSet = t;
                }
            }
            if (tagSet == null) {
                throw new InvalidLabelException(input, at, "'" + body + "' does not start with a category of policy "
                        + policy.name() + ": " + String.join(", ", policy.tagSets().stream().map(TagSet::compactPrefix).toList())
                        + ", or PM for a privacy mark");
            }
            if (categories.containsKey(tagSet)) {
                throw new InvalidLabelException(input, at, "duplicate category '" + tagSet.name() + "'");
            }
            String list = body.substring(tagSet.compactPrefix().length()).strip();
            if (list.isEmpty()) {
                throw new InvalidLabelException(input, at, "'" + tagSet.compactPrefix() + "' needs at least one value");
            }
            List<String> values = new ArrayList<>();
            int valueOffset = offset - segment.length() + segment.indexOf(body) + body.length() - list.length();
            for (String raw : list.split(",", -1)) {
                String v = raw.strip();
                String vAt = "offset " + (valueOffset + leadingSpaces(raw));
                valueOffset += raw.length() + 1;
                if (v.isEmpty()) throw new InvalidLabelException(input, vAt, "empty value in '" + body + "'");
                TagSet t = tagSet;
                String name = t.values().stream().map(TagValue::name).filter(n -> n.equalsIgnoreCase(v)).findFirst()
                        .orElseThrow(() -> new InvalidLabelException(input, vAt, "'" + v + "' is not a value of '"
                                + t.name() + "' in policy " + policy.name()));
                values.add(name);
            }
            categories.put(tagSet, values);
        }
        return label(cls, categories, privacyMark);
    }

    /** Whether {@code s} is {@code word}, or starts with it and white space (WSP: a space or a tab, as the grammar says). */
    private static boolean startsWithWord(String s, String word) {
        return s.startsWith(word) && (s.length() == word.length() || s.charAt(word.length()) == ' ' || s.charAt(word.length()) == '\t');
    }

    private static int leadingSpaces(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static ConfidentialityLabel label(ClassRef cls, Map<TagSet, List<String>> categories, Optional<String> privacyMark) {
        List<Category> list = new ArrayList<>();
        categories.forEach((t, v) -> list.add(new Category(t.type(), t.name(), v)));
        return new ConfidentialityLabel(cls.policy().name(), cls.classification().name(), privacyMark, list,
                Optional.empty(), Optional.empty(), List.of());
    }

    private ConfidentialityLabel decodeDisplay(String text, String input) {
        String s = text.strip();
        int lead = leadingSpaces(text); // offsets in errors count from the start of the input, not of s
        Optional<String> privacyMark = Optional.empty();
        if (s.endsWith("]")) {
            int open = s.lastIndexOf('[');
            if (open < 0) throw new InvalidLabelException(input, "offset " + (lead + s.length() - 1), "']' without '['");
            privacyMark = Optional.of(s.substring(open + 1, s.length() - 1).strip());
            s = s.substring(0, open).stripTrailing();
        }
        DisplayReader best = null;
        List<ConfidentialityLabel> readings = new ArrayList<>();
        for (String token : tokensLongestFirst) {
            if (!s.regionMatches(true, 0, token, 0, token.length())
                    || (s.length() > token.length() && s.charAt(token.length()) != ' ')) {
                continue;
            }
            for (ClassRef cls : tokens.get(token)) {
                DisplayReader r = new DisplayReader(s, cls.policy());
                Optional<Map<TagSet, List<String>>> cats = r.read(token.length());
                if (cats.isPresent()) {
                    readings.add(label(cls, cats.get(), privacyMark));
                } else if (best == null || r.furthest > best.furthest) {
                    best = r;
                }
            }
            if (!readings.isEmpty()) break; // the longest classification phrase that reads wins
        }
        if (readings.size() == 1) {
            return readings.getFirst();
        }
        if (readings.size() > 1) {
            throw new InvalidLabelException(input, "offset " + lead, "ambiguous marking: it reads under policies "
                    + readings.stream().map(ConfidentialityLabel::policy).toList() + "; prefix the policy name (e.g. "
                    + readings.getFirst().policy() + " " + readings.getFirst().classification() + ")");
        }
        if (best == null) {
            // Examples from the loaded policies: the bundled ones may not be loaded.
            SecurityPolicy p = policies.policies().getFirst();
            Classification top = p.classifications().getLast();
            throw new InvalidLabelException(input, "offset " + lead, "does not start with a classification of any loaded policy ("
                    + String.join(", ", policies.policies().stream().map(SecurityPolicy::name).toList())
                    + "): write its marking phrase (e.g. " + top.phrase("").orElseThrow() + ") or policy and level (e.g. "
                    + p.name() + " " + top.name() + ")");
        }
        String rest = s.substring(Math.min(best.furthest, s.length()));
        throw new InvalidLabelException(input, "offset " + (lead + best.furthest), "expected a category marking of policy "
                + best.policy.name() + " (e.g. '" + example(best.policy) + "') or the end, found '"
                + (rest.length() > 40 ? rest.substring(0, 40) + "…" : rest) + "'");
    }

    private static String example(SecurityPolicy policy) {
        TagSet t = policy.tagSets().stream().filter(TagSet::releasability).findFirst().orElse(policy.tagSets().getFirst());
        MarkingQualifier q = t.qualifier("");
        return q.prefix() + t.values().getFirst().phrase("") + q.suffix();
    }

    /** Backtracking reader of the categories after the classification phrase. */
    private static final class DisplayReader {
        private final String text;
        private final SecurityPolicy policy;
        private int furthest;

        DisplayReader(String text, SecurityPolicy policy) {
            this.text = text;
            this.policy = policy;
        }

        Optional<Map<TagSet, List<String>>> read(int pos) {
            Map<TagSet, List<String>> out = new LinkedHashMap<>();
            return parts(pos, out) ? Optional.of(out) : Optional.empty();
        }

        private boolean parts(int pos, Map<TagSet, List<String>> out) {
            furthest = Math.max(furthest, pos);
            if (pos == text.length()) return true;
            if (text.charAt(pos) != ' ') return false;
            int start = pos + 1;
            for (TagSet t : policy.tagSets()) {
                if (out.containsKey(t)) continue;
                Set<MarkingQualifier> seen = new LinkedHashSet<>();
                for (var q : t.qualifiers().entrySet()) {
                    if (!seen.add(q.getValue())) continue;
                    MarkingQualifier mq = q.getValue();
                    if (!text.regionMatches(true, start, mq.prefix(), 0, mq.prefix().length())) continue;
                    List<String> values = new ArrayList<>();
                    out.put(t, values);
                    if (values(t, mq, start + mq.prefix().length(), values, out)) return true;
                    out.remove(t);
                }
            }
            return false;
        }

        /** Reads one value, then a separator and more values, or the suffix and the remaining parts. */
        private boolean values(TagSet t, MarkingQualifier q, int pos, List<String> values, Map<TagSet, List<String>> out) {
            furthest = Math.max(furthest, pos);
            for (TagValue v : t.values()) {
                if (values.contains(v.name())) continue;
                for (String phrase : new LinkedHashSet<>(v.phrases().isEmpty() ? List.of(v.name()) : v.phrases().values())) {
                    if (!text.regionMatches(true, pos, phrase, 0, phrase.length())) continue;
                    int end = pos + phrase.length();
                    values.add(v.name());
                    if (text.regionMatches(true, end, q.separator(), 0, q.separator().length())
                            && values(t, q, end + q.separator().length(), values, out)) {
                        return true;
                    }
                    if (text.regionMatches(true, end, q.suffix(), 0, q.suffix().length())
                            && parts(end + q.suffix().length(), out)) {
                        return true;
                    }
                    values.removeLast();
                }
            }
            return false;
        }
    }
}
