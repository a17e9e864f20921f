package io.bulwark.label;

import io.bulwark.label.SecurityPolicy.CategoryRef;
import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.SecurityPolicy.Equivalence;
import io.bulwark.label.SecurityPolicy.RequiredCategory;
import io.bulwark.label.SecurityPolicy.TagSet;
import io.bulwark.label.SecurityPolicy.TagValue;
import io.bulwark.label.internal.JsonLabelCodec;
import io.bulwark.label.internal.MarkingCodec;
import io.bulwark.label.internal.XmlLabelCodec;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The security policies a node knows, and everything done with labels under them: validating,
 * decoding and encoding, compiling for fast decisions, and combining.
 *
 * <p>Immutable and thread-safe. Category values are interned across all policies by name, so a
 * nation, a group or a community of interest is the same bit in every policy. Restrictive values
 * (communities of interest) have bits apart from nations and groups: a community named like a nation
 * (NATO's ISR and Israel's ISO code ISR) is never held by nationality, nor does membership make a
 * subject a national.
 *
 * <p><b>Security guarantees.</b> Deny by default: a label that does not validate cannot be
 * compiled, an unknown subject attribute is refused, a classification without an equivalence in
 * the subject's policies is never satisfied, and a label without a releasability category is
 * released only to its policy's default (all NATO members under NATO, the nation itself under a
 * national policy).
 */
public final class PolicySet {

    /** Longer label inputs are refused before parsing. */
    public static final int MAX_LABEL_CHARS = 64 * 1024;
    private static final int MAX_CATEGORIES = 64;
    private static final int MAX_VALUES = 512;
    private static final int MAX_ALTERNATIVES = 8;
    private static final int MAX_PRIVACY_MARK = 200;
    private static final Pattern NATION = Pattern.compile("[A-Z]{3}");
    private static final Pattern PRIVACY_MARK = Pattern.compile("[\\p{L}\\p{N} .,:;'_+-]+");
    private static final String[] DEFAULTS = {"nato", "deu", "fra", "gbr", "usa"};

    private final List<SecurityPolicy> policies;
    private final Map<String, SecurityPolicy> byName = new LinkedHashMap<>();
    private final Map<String, SecurityPolicy> byId = new HashMap<>();
    private final Map<String, Integer> policyIndex = new HashMap<>();
    private final Map<String, Set<String>> groups = new LinkedHashMap<>();
    /** Every nation, group and category value name, to its bit. */
    private final Map<String, Integer> bits = new LinkedHashMap<>();
    private final List<String> bitNames = new ArrayList<>();
    private final int words;
    private final Set<String> restrictiveValues = new TreeSet<>();
    private final Set<String> knownNations = new TreeSet<>();
    private final MarkingCodec markings;
    /** Labels compiled before, by value (validation and compilation are pure, so the result can be reused). */
    private final Map<ConfidentialityLabel, CompiledLabel> compiled = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int COMPILED_CACHE = 4096;
    /**
     * JSON labels already decoded, by their exact text: every sealed record and metadata row carries
     * its label as JSON, and a node receiving records decodes the same few labels over and over.
     * Labels are immutable and the policies do not change, so the text decides the result.
     */
    private final Map<String, ConfidentialityLabel> decodedJson = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each known nation's holdings: itself and the groups it belongs to. */
    private final Map<String, long[]> nationHoldings = new HashMap<>();

    private PolicySet(List<SecurityPolicy> policies) {
        this.policies = List.copyOf(policies);
        for (SecurityPolicy p : this.policies) {
            if (byName.putIfAbsent(p.name(), p) != null) {
                throw new InvalidPolicyException(p.name(), "", "two loaded policies are named '" + p.name() + "'");
            }
            if (byId.putIfAbsent(p.id(), p) != null) {
                throw new InvalidPolicyException(p.name(), "", "two loaded policies have the id " + p.id());
            }
            policyIndex.put(p.name(), policyIndex.size());
            for (var g : p.groups().entrySet()) {
                Set<String> before = groups.putIfAbsent(g.getKey(), g.getValue());
                if (before != null && !before.equals(g.getValue())) {
                    throw new InvalidPolicyException(p.name(), "extensions/bulwark/nationGroup[name=" + g.getKey() + "]",
                            "group '" + g.getKey() + "' has other members than in an earlier policy: "
                                    + difference(before, g.getValue()));
                }
                knownNations.addAll(g.getValue());
            }
        }
        for (SecurityPolicy p : this.policies) {
            for (TagSet t : p.tagSets()) {
                for (TagValue v : t.values()) {
                    if (t.type() == CategoryType.RESTRICTIVE) {
                        intern(restrictiveKey(v.name()), v.name());
                        restrictiveValues.add(v.name());
                    } else {
                        intern(v.name());
                    }
                    if (t.releasability() && !groups.containsKey(v.name())) knownNations.add(v.name());
                }
            }
            for (String d : p.defaultRelease()) {
                intern(d);
                if (!groups.containsKey(d)) knownNations.add(d); // e.g. CHE for a policy CHE that lists it nowhere
            }
        }
        groups.keySet().forEach(this::intern);
        knownNations.forEach(this::intern);
        words = Math.max(1, (bitNames.size() + 63) / 64);
        for (String nation : knownNations) {
            nationHoldings.put(nation, holdingsOf(nation));
        }
        markings = new MarkingCodec(this);
    }

    private static String difference(Set<String> a, Set<String> b) {
        Set<String> onlyA = new TreeSet<>(a);
        onlyA.removeAll(b);
        Set<String> onlyB = new TreeSet<>(b);
        onlyB.removeAll(a);
        return "only before " + onlyA + ", only now " + onlyB;
    }

    private void intern(String name) {
        intern(name, name);
    }

    private void intern(String key, String name) {
        bits.computeIfAbsent(key, k -> {
            bitNames.add(name);
            return bitNames.size() - 1;
        });
    }

    /** The bit key of a restrictive value: apart from the nation or group of the same name. */
    private static String restrictiveKey(String value) {
        return "\u0000" + value; // NUL cannot occur in a name read from XML
    }

    /** A policy set of these policies; they must have distinct names and ids and agree on groups. */
    public static PolicySet of(Collection<SecurityPolicy> policies) {
        if (policies.isEmpty()) {
            throw new InvalidPolicyException("policy set", "", "at least one policy is needed");
        }
        return new PolicySet(List.copyOf(policies));
    }

    public static PolicySet of(SecurityPolicy... policies) {
        return of(List.of(policies));
    }

    /** The policies shipped with Bulwark: NATO, DEU, FRA, GBR and USA (docs/policies.md). */
    public static PolicySet defaults() {
        List<SecurityPolicy> list = new ArrayList<>();
        for (String name : DEFAULTS) {
            String resource = "policies/" + name + ".xml";
            try (InputStream in = PolicySet.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the bundled policy " + resource + " is missing from the build");
                }
                list.add(SecurityPolicy.fromSpif(in, "bundled policy " + name + ".xml"));
            } catch (IOException e) {
                throw new IllegalStateException("the bundled policy " + resource + " cannot be read", e);
            }
        }
        return of(list);
    }

    public List<SecurityPolicy> policies() {
        return policies;
    }

    /** A policy by name ({@code NATO}) or object identifier ({@code 1.3.26.1.3.1}). */
    public Optional<SecurityPolicy> policy(String nameOrId) {
        SecurityPolicy p = byName.get(nameOrId);
        return Optional.ofNullable(p != null ? p : byId.get(nameOrId));
    }

    /** Nation groups across all policies, expanded to nations. */
    public Map<String, Set<String>> groups() {
        return java.util.Collections.unmodifiableMap(groups);
    }

    // === codecs ===================================================================================

    /**
     * Reads a label in the given format, validates it against its policy and returns its
     * canonical form. Throws only {@link InvalidLabelException}, whatever the input.
     */
    public ConfidentialityLabel decode(LabelFormat format, String text) {
        if (format == LabelFormat.JSON && text != null) {
            ConfidentialityLabel known = decodedJson.get(text);
            if (known != null) return known;
            ConfidentialityLabel decoded = decodeUncached(format, text);
            // Only canonical text is kept: padded variants of one label would otherwise fill the cache
            // with up to 64K characters each (a record's label is refused if not canonical anyway).
            if (encode(decoded, LabelFormat.JSON).equals(text)) {
                if (decodedJson.size() >= COMPILED_CACHE) decodedJson.clear(); // as for compiled labels below
                decodedJson.put(text, decoded);
            }
            return decoded;
        }
        return decodeUncached(format, text);
    }

    private ConfidentialityLabel decodeUncached(LabelFormat format, String text) {
        String input = "label (" + format.name().toLowerCase(Locale.ROOT) + ")";
        if (text == null || text.isBlank()) {
            throw new InvalidLabelException(input, "", "the input is empty");
        }
        if (text.length() > MAX_LABEL_CHARS) {
            throw new InvalidLabelException(input, "", "longer than the limit of " + MAX_LABEL_CHARS + " characters");
        }
        try {
            ConfidentialityLabel raw = switch (format) {
                case XML -> XmlLabelCodec.decode(text, input);
                case JSON -> JsonLabelCodec.decode(text, input);
                case MARKING, COMPACT -> markings.decode(text, input);
            };
            return validate(raw, input);
        } catch (InvalidLabelException e) {
            throw e;
        } catch (RuntimeException e) {
            // Defence in depth: a bug in a codec must still surface as a label error, never a crash.
            throw new InvalidLabelException(input, "", "unreadable label (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Writes a valid label; {@link LabelFormat#MARKING} in the policy's default language. */
    public String encode(ConfidentialityLabel label, LabelFormat format) {
        return encode(label, format, "");
    }

    /**
     * Writes a valid label. {@code language} (e.g. {@code fr}; {@code ""} for the policy's default)
     * selects the marking phrases of {@link LabelFormat#MARKING}; the other formats ignore it.
     */
    public String encode(ConfidentialityLabel label, LabelFormat format, String language) {
        if (format == LabelFormat.JSON || format == LabelFormat.COMPACT) { // neither depends on the language
            // A label compiled before was validated then, and its compiled form keeps its encodings.
            CompiledLabel c = compiled.get(label);
            if (c != null) {
                return format == LabelFormat.JSON ? c.json() : c.canonicalMarking();
            }
        }
        ConfidentialityLabel valid = validate(label);
        return switch (format) {
            case XML -> XmlLabelCodec.encode(valid, policy(valid.policy()).orElseThrow(), this);
            case JSON -> JsonLabelCodec.encode(valid);
            case MARKING -> markings.display(valid, language);
            case COMPACT -> markings.compact(valid);
        };
    }

    /** The compact marking of a label that is valid already. */
    String compact(ConfidentialityLabel valid) {
        return markings.compact(valid);
    }

    /** The canonical marking: the compact form, e.g. {@code NATO SECRET//REL TO DEU, FRA}. */
    public String canonicalMarking(ConfidentialityLabel label) {
        return encode(label, LabelFormat.COMPACT);
    }

    /**
     * Reads a classification as people write it — a marking phrase ({@code NATO SECRET},
     * {@code GEHEIM}) or a policy name and classification name ({@code DEU GEHEIM}).
     */
    public Subject.Clearance parseClassification(String text) {
        var c = markings.classification(text.strip(), "classification '" + text.strip() + "'");
        return new Subject.Clearance(c.policy().name(), c.classification().name());
    }

    // === validation ===============================================================================

    /** Checks a label against its policy's rules and returns its canonical form. */
    public ConfidentialityLabel validate(ConfidentialityLabel label) {
        return validate(label, "label");
    }

    private ConfidentialityLabel validate(ConfidentialityLabel label, String input) {
        ConfidentialityLabel canonical = validateInformation(label, input, "");
        if (label.alternatives().size() > MAX_ALTERNATIVES) {
            throw new InvalidLabelException(input, "alternatives", "at most " + MAX_ALTERNATIVES + " alternative labels");
        }
        if (label.creationTime().isPresent() && label.reviewTime().isPresent()
                && label.reviewTime().get().isBefore(label.creationTime().get())) {
            throw new InvalidLabelException(input, "reviewTime", "the review time is before the creation time");
        }
        List<ConfidentialityLabel> alternatives = new ArrayList<>();
        Set<String> altPolicies = new LinkedHashSet<>();
        for (int i = 0; i < label.alternatives().size(); i++) {
            ConfidentialityLabel alt = label.alternatives().get(i);
            String pos = "alternatives[" + i + "]";
            if (alt.creationTime().isPresent() || alt.reviewTime().isPresent() || !alt.alternatives().isEmpty()) {
                throw new InvalidLabelException(input, pos, "an alternative label carries no times and no alternatives of its own");
            }
            ConfidentialityLabel a = validateInformation(alt, input, pos + ".");
            if (a.policy().equals(canonical.policy()) || !altPolicies.add(a.policy())) {
                throw new InvalidLabelException(input, pos + ".policy",
                        "an alternative label is under another policy than the label and the other alternatives");
            }
            alternatives.add(a);
        }
        return new ConfidentialityLabel(canonical.policy(), canonical.classification(), canonical.privacyMark(),
                canonical.categories(), label.creationTime(), label.reviewTime(), alternatives);
    }

    private ConfidentialityLabel validateInformation(ConfidentialityLabel label, String input, String at) {
        SecurityPolicy policy = policy(label.policy()).orElseThrow(() -> new InvalidLabelException(input, at + "policy",
                "unknown policy '" + label.policy() + "'; known: " + String.join(", ", byName.keySet())));
        Classification cls = policy.classification(label.classification()).orElseThrow(() ->
                new InvalidLabelException(input, at + "classification", "policy " + policy.name()
                        + " has no classification '" + label.classification() + "'; it has "
                        + String.join(", ", policy.classifications().stream().map(Classification::name).toList())));
        if (label.privacyMark().isPresent()) {
            String pm = label.privacyMark().get();
            if (pm.isBlank() || pm.length() > MAX_PRIVACY_MARK || !PRIVACY_MARK.matcher(pm).matches() || !pm.equals(pm.strip())) {
                throw new InvalidLabelException(input, at + "privacyMark", "a privacy mark is 1 to " + MAX_PRIVACY_MARK
                        + " letters, digits, spaces and . , : ; ' _ + - with no surrounding spaces");
            }
        }
        if (label.categories().size() > MAX_CATEGORIES) {
            throw new InvalidLabelException(input, at + "categories", "at most " + MAX_CATEGORIES + " categories");
        }
        // Canonical order: tag sets in policy order, values in policy order.
        // Keyed by identity: a TagSet record's own hashCode would hash every value and phrase of it.
        Map<TagSet, Set<String>> present = new java.util.IdentityHashMap<>();
        for (int i = 0; i < label.categories().size(); i++) {
            Category c = label.categories().get(i);
            String pos = at + "categories[" + i + "]";
            TagSet tagSet = policy.tagSets().stream()
                    .filter(t -> t.name().equals(c.tagName()) && t.type() == c.type()).findFirst()
                    .orElseThrow(() -> unknownTag(policy, c, input, pos));
            if (present.containsKey(tagSet)) {
                throw new InvalidLabelException(input, pos, "duplicate category '" + c.tagName()
                        + "': a label carries each category once, with all its values");
            }
            if (c.values().isEmpty()) {
                throw new InvalidLabelException(input, pos + ".values", "a category needs at least one value");
            }
            if (c.values().size() > MAX_VALUES) {
                throw new InvalidLabelException(input, pos + ".values", "at most " + MAX_VALUES + " values");
            }
            Set<String> values = new LinkedHashSet<>();
            for (int j = 0; j < c.values().size(); j++) {
                String v = c.values().get(j);
                TagValue tv = tagSet.value(v).orElseThrow(() -> new InvalidLabelException(input, pos + ".values",
                        "'" + c.tagName() + "' has no value '" + v + "' in policy " + policy.name()));
                if (!values.add(v)) {
                    throw new InvalidLabelException(input, pos + ".values[" + values.size() + "]",
                            "duplicate value '" + v + "' in '" + c.tagName() + "'");
                }
                if (tv.obsolete()) {
                    throw new InvalidLabelException(input, pos + ".values", "value '" + v + "' of '" + c.tagName()
                            + "' is obsolete in policy " + policy.name() + " (SPIF obsolete)");
                }
                if (tv.excludedClasses().contains(cls.name())) {
                    throw new InvalidLabelException(input, pos + ".values", "value '" + v + "' of '" + c.tagName()
                            + "' is excluded at classification " + cls.name() + " (SPIF excludedClass)");
                }
            }
            if (tagSet.singleSelection() && values.size() > 1) {
                throw new InvalidLabelException(input, pos + ".values", "'" + c.tagName()
                        + "' takes a single value (SPIF singleSelection)");
            }
            present.put(tagSet, values);
        }
        // Rules of the classification, then of each value.
        for (CategoryRef ref : cls.excludedCategories()) {
            if (matches(ref, present)) {
                throw new InvalidLabelException(input, at + "categories", ref + " is excluded at classification "
                        + cls.name() + " (SPIF excludedCategory)");
            }
        }
        for (RequiredCategory rc : cls.requiredCategories()) {
            checkRequired(rc, present, "classification " + cls.name(), input, at);
        }
        for (var e : present.entrySet()) {
            for (String v : e.getValue()) {
                TagValue tv = e.getKey().value(v).orElseThrow();
                for (CategoryRef ref : tv.excludedCategories()) {
                    if (matches(ref, present)) {
                        throw new InvalidLabelException(input, at + "categories", "'" + e.getKey().name() + "' " + v
                                + " excludes " + ref + " (SPIF excludedCategory)");
                    }
                }
                for (RequiredCategory rc : tv.requiredCategories()) {
                    checkRequired(rc, present, "'" + e.getKey().name() + "' " + v, input, at);
                }
            }
        }
        List<Category> categories = new ArrayList<>();
        for (TagSet t : policy.tagSets()) {
            Set<String> values = present.get(t);
            if (values != null) {
                categories.add(new Category(t.type(), t.name(),
                        t.values().stream().map(TagValue::name).filter(values::contains).toList()));
            }
        }
        return new ConfidentialityLabel(policy.name(), cls.name(), label.privacyMark(), categories,
                label.creationTime(), label.reviewTime(), List.of());
    }

    private static InvalidLabelException unknownTag(SecurityPolicy policy, Category c, String input, String pos) {
        Optional<TagSet> sameName = policy.tagSet(c.tagName());
        if (sameName.isPresent()) {
            return new InvalidLabelException(input, pos + ".type", "'" + c.tagName() + "' is " + sameName.get().type()
                    + " in policy " + policy.name() + ", not " + c.type());
        }
        return new InvalidLabelException(input, pos + ".tagName", "policy " + policy.name() + " has no category '"
                + c.tagName() + "'; it has " + String.join(", ", policy.tagSets().stream().map(TagSet::name).toList()));
    }

    private static boolean matches(CategoryRef ref, Map<TagSet, Set<String>> present) {
        for (var e : present.entrySet()) {
            if (e.getKey().name().equals(ref.tagSet())
                    && (ref.value().isEmpty() || e.getValue().contains(ref.value().get()))) {
                return true;
            }
        }
        return false;
    }

    private static void checkRequired(RequiredCategory rc, Map<TagSet, Set<String>> present, String owner,
                                      String input, String at) {
        long count = rc.categories().stream().filter(r -> matches(r, present)).count();
        boolean ok = switch (rc.operation()) {
            case ONLY_ONE -> count == 1;
            case ONE_OR_MORE -> count >= 1;
            case ALL -> count == rc.categories().size();
        };
        if (!ok) {
            String what = switch (rc.operation()) {
                case ONLY_ONE -> "exactly one of ";
                case ONE_OR_MORE -> "at least one of ";
                case ALL -> "all of ";
            };
            throw new InvalidLabelException(input, at + "categories", owner + " requires " + what
                    + rc.categories().stream().map(CategoryRef::toString).toList() + " (SPIF requiredCategory)");
        }
    }

    // === decisions ================================================================================

    /** Validates and compiles a label into its fast decision form. */
    public CompiledLabel compile(ConfidentialityLabel label) {
        CompiledLabel cached = compiled.get(label);
        if (cached != null) {
            return cached;
        }
        CompiledLabel c = compileUncached(label);
        if (compiled.size() >= COMPILED_CACHE) {
            compiled.clear(); // crude bound: labels repeat heavily in practice, so the cache refills at once
        }
        compiled.put(label, c);
        compiled.put(c.label(), c);
        return c;
    }

    private CompiledLabel compileUncached(ConfidentialityLabel label) {
        ConfidentialityLabel valid = validate(label);
        SecurityPolicy policy = byName.get(valid.policy());
        Classification cls = policy.classification(valid.classification()).orElseThrow();
        int[] required = requiredLevels(policy, cls);
        long[] restrictive = new long[words];
        List<long[]> permissive = new ArrayList<>();
        List<String> permissiveNames = new ArrayList<>();
        boolean releasability = false;
        for (Category c : valid.categories()) {
            TagSet t = policy.tagSet(c.tagName()).orElseThrow();
            switch (c.type()) {
                case RESTRICTIVE -> c.values().forEach(v -> set(restrictive, restrictiveKey(v)));
                case PERMISSIVE -> {
                    long[] mask = new long[words];
                    c.values().forEach(v -> set(mask, v));
                    permissive.add(mask);
                    permissiveNames.add(c.tagName());
                    releasability |= t.releasability();
                }
                case INFORMATIVE -> { }
            }
        }
        if (!releasability) {
            long[] mask = new long[words];
            policy.defaultRelease().forEach(v -> set(mask, v));
            permissive.add(mask);
            permissiveNames.add(null); // the policy's default releasability
        }
        return new CompiledLabel(this, valid, required, restrictive, permissive.toArray(long[][]::new),
                permissiveNames.toArray(String[]::new));
    }

    /** Validates a subject's attributes and compiles them for fast decisions. */
    public CompiledSubject compile(Subject subject) {
        String n = subject.nationality();
        if (!NATION.matcher(n).matches()) {
            throw new InvalidLabelException("subject", "nationality", "'" + n + "' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        }
        int[] clearance = new int[policies.size()];
        java.util.Arrays.fill(clearance, -1);
        for (Subject.Clearance c : subject.clearances()) {
            SecurityPolicy p = policy(c.policy()).orElseThrow(() -> new InvalidLabelException("subject", "clearances",
                    "unknown policy '" + c.policy() + "'"));
            Classification cls = p.classification(c.classification()).orElseThrow(() -> new InvalidLabelException(
                    "subject", "clearances", "policy " + p.name() + " has no classification '" + c.classification() + "'"));
            int i = policyIndex.get(p.name());
            clearance[i] = Math.max(clearance[i], cls.hierarchy());
        }
        long[] holdings = nationHoldings(n).clone();
        for (String coi : subject.cois()) {
            if (!restrictiveValues.contains(coi)) {
                throw new InvalidLabelException("subject", "cois", "'" + coi
                        + "' is not a restrictive category value (community of interest) of any loaded policy");
            }
            set(holdings, restrictiveKey(coi));
        }
        return new CompiledSubject(subject, clearance, holdings);
    }

    /** A nation's holdings (shared array for known nations: callers must not modify it). */
    long[] nationHoldings(String nation) {
        long[] known = nationHoldings.get(nation);
        return known != null ? known : holdingsOf(nation);
    }

    private long[] holdingsOf(String nation) {
        long[] holdings = new long[words];
        if (bits.containsKey(nation)) {
            set(holdings, nation);
        }
        for (var g : groups.entrySet()) {
            if (g.getValue().contains(nation)) {
                set(holdings, g.getKey());
            }
        }
        return holdings;
    }

    /** Every nation that a policy, group or release list names. */
    Set<String> knownNations() {
        return knownNations;
    }

    String bitName(int bit) {
        return bitNames.get(bit);
    }

    List<SecurityPolicy> policiesByIndex() {
        return policies;
    }

    private void set(long[] mask, String name) {
        int bit = bits.get(name);
        mask[bit >>> 6] |= 1L << bit;
    }

    /**
     * For each loaded policy, the lowest hierarchy that satisfies this classification: its own
     * policy's hierarchy; the highest equivalent classification of a policy it is declared
     * equivalent to (either side may declare it); else through one intermediary policy; else
     * unsatisfiable. Taking the highest keeps many-to-one equivalences conservative.
     */
    private int[] requiredLevels(SecurityPolicy policy, Classification cls) {
        int[] required = new int[policies.size()];
        java.util.Arrays.fill(required, Integer.MAX_VALUE);
        required[policyIndex.get(policy.name())] = cls.hierarchy();
        for (SecurityPolicy other : policies) {
            if (other == policy) continue;
            int direct = maxEquivalent(policy, cls, other);
            if (direct >= 0) {
                required[policyIndex.get(other.name())] = direct;
                continue;
            }
            int viaIntermediary = -1;
            for (SecurityPolicy middle : policies) {
                if (middle == policy || middle == other) continue;
                for (Classification m : middle.classifications()) {
                    if (equivalent(policy, cls, middle, m)) {
                        viaIntermediary = Math.max(viaIntermediary, maxEquivalent(middle, m, other));
                    }
                }
            }
            if (viaIntermediary >= 0) {
                required[policyIndex.get(other.name())] = viaIntermediary;
            }
        }
        return required;
    }

    private int maxEquivalent(SecurityPolicy policy, Classification cls, SecurityPolicy other) {
        int best = -1;
        for (Classification o : other.classifications()) {
            if (equivalent(policy, cls, other, o)) {
                best = Math.max(best, o.hierarchy());
            }
        }
        return best;
    }

    private static boolean equivalent(SecurityPolicy p, Classification a, SecurityPolicy q, Classification b) {
        for (Equivalence e : a.equivalents()) {
            if (e.policyId().equals(q.id()) && e.lacv() == b.lacv()) return true;
        }
        for (Equivalence e : b.equivalents()) {
            if (e.policyId().equals(p.id()) && e.lacv() == a.lacv()) return true;
        }
        return false;
    }

    // === combining ================================================================================

    /**
     * The dominant label of several labels under one policy, for derived or aggregated data: the
     * highest classification, the union of restrictive and informative values, and the
     * intersection of permissive values (groups expanded to nations; a releasability category
     * that a label lacks counts as its policy's default release).
     */
    public ConfidentialityLabel dominant(List<ConfidentialityLabel> labels) {
        if (labels.isEmpty()) {
            throw new InvalidLabelException("labels", "", "the dominant label of no labels is undefined");
        }
        List<ConfidentialityLabel> valid = labels.stream().map(this::validate).toList();
        SecurityPolicy policy = byName.get(valid.getFirst().policy());
        for (int i = 1; i < valid.size(); i++) {
            if (!valid.get(i).policy().equals(policy.name())) {
                throw new InvalidLabelException("labels", "[" + i + "].policy", "labels under different policies ("
                        + policy.name() + ", " + valid.get(i).policy() + ") have no dominant label; use alternatives");
            }
        }
        Classification top = valid.stream().map(l -> policy.classification(l.classification()).orElseThrow())
                .max(java.util.Comparator.comparingInt(Classification::hierarchy)).orElseThrow();
        List<Category> categories = new ArrayList<>();
        for (TagSet t : policy.tagSets()) {
            List<List<String>> present = valid.stream().map(l -> l.values(t.name())).toList();
            Set<String> result;
            if (t.type() != CategoryType.PERMISSIVE) {
                result = new LinkedHashSet<>();
                present.forEach(result::addAll);
            } else {
                if (present.stream().allMatch(List::isEmpty)) continue;
                Set<String> common = null;
                for (List<String> values : present) {
                    if (values.isEmpty() && !t.releasability()) continue; // no restriction from this label
                    // Releasability is compared by nation (groups expanded); any other permissive set by its own values.
                    Set<String> expanded = t.releasability() ? expand(values.isEmpty() ? policy.defaultRelease() : values)
                            : new LinkedHashSet<>(values);
                    if (common == null) common = expanded; else common.retainAll(expanded);
                }
                result = new LinkedHashSet<>();
                for (TagValue v : t.values()) {
                    if (common.contains(v.name())) result.add(v.name());
                }
                if (result.isEmpty()) {
                    throw new InvalidLabelException("labels", t.name(), "the labels have no value of '" + t.name()
                            + "' in common, so no one could read the combination");
                }
            }
            if (!result.isEmpty()) {
                categories.add(new Category(t.type(), t.name(), List.copyOf(result)));
            }
        }
        Set<Optional<String>> marks = new LinkedHashSet<>();
        valid.forEach(l -> marks.add(l.privacyMark()));
        Optional<String> privacyMark = marks.size() == 1 ? marks.iterator().next() : Optional.empty();
        return validate(new ConfidentialityLabel(policy.name(), top.name(), privacyMark, categories,
                Optional.empty(), Optional.empty(), List.of()));
    }

    private Set<String> expand(Collection<String> values) {
        Set<String> out = new TreeSet<>();
        for (String v : values) {
            Set<String> members = groups.get(v);
            if (members != null) out.addAll(members); else out.add(v);
        }
        return out;
    }
}
