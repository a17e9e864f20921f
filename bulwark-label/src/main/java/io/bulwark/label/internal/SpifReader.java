package io.bulwark.label.internal;

import io.bulwark.label.CategoryType;
import io.bulwark.label.InvalidPolicyException;
import io.bulwark.label.SecurityPolicy;
import io.bulwark.label.SecurityPolicy.CategoryRef;
import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.SecurityPolicy.Equivalence;
import io.bulwark.label.SecurityPolicy.MarkingQualifier;
import io.bulwark.label.SecurityPolicy.RequiredCategory;
import io.bulwark.label.SecurityPolicy.TagSet;
import io.bulwark.label.SecurityPolicy.TagValue;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads an Open XML SPIF 2.1 document into a {@link SecurityPolicy} and checks that it does not
 * contradict itself. Every error names the element (as a path with its {@code name} attributes)
 * and the rule.
 */
public final class SpifReader {

    public static final String SPIF_NS = "http://www.xmlspif.org/spif";
    public static final String BULWARK_NS = "urn:bulwark:spif:1";
    private static final String XML_NS = "http://www.w3.org/XML/1998/namespace";
    /** A SPIF larger than this is refused before parsing: real policies are well under 1 MiB. */
    public static final int MAX_BYTES = 16 * 1024 * 1024;
    private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]{0,38}))+");
    private static final Pattern NATION = Pattern.compile("[A-Z]{3}");

    private final String source;

    private SpifReader(String source) {
        this.source = source;
    }

    public static SecurityPolicy read(InputStream in, String source) {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new InvalidPolicyException(source, "", "cannot be read: " + e.getMessage());
        }
        return read(bytes, source);
    }

    public static SecurityPolicy read(byte[] bytes, String source) {
        SpifReader r = new SpifReader(source);
        if (bytes.length > MAX_BYTES) {
            throw r.error("", "larger than the limit of " + MAX_BYTES + " bytes");
        }
        Document doc = SecureXml.parse(bytes, r::error);
        try {
            return r.policy(doc.getDocumentElement());
        } catch (InvalidPolicyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw r.error("", "unreadable policy: " + e);
        }
    }

    private InvalidPolicyException error(String position, String rule) {
        return new InvalidPolicyException(source, position, rule);
    }

    // ---------------------------------------------------------------------------------------------

    private SecurityPolicy policy(Element root) {
        if (!SPIF_NS.equals(root.getNamespaceURI()) || !"SPIF".equals(root.getLocalName())) {
            throw error("root element <" + root.getTagName() + ">",
                    "an Open XML SPIF document has the root element SPIF in namespace " + SPIF_NS);
        }
        String schemaVersion = root.getAttribute("schemaVersion");
        if (!schemaVersion.isEmpty() && !schemaVersion.startsWith("2.")) {
            throw error("SPIF/@schemaVersion", "schema version " + schemaVersion + " is not supported (2.x is)");
        }
        Element policyId = one(root, "securityPolicyId", "SPIF");
        String name = required(policyId, "name", "SPIF/securityPolicyId");
        requireMarkable(name, "SPIF/securityPolicyId", "the policy name");
        String id = oid(policyId, "id", "SPIF/securityPolicyId");

        Map<String, String> equivalentPolicies = new LinkedHashMap<>();
        for (Element eqs : spifChildren(root, "equivalentPolicies")) {
            for (Element eq : spifChildren(eqs, "equivalentPolicy")) {
                String path = "SPIF/equivalentPolicies/equivalentPolicy";
                String eqId = oid(eq, "id", path);
                if (eqId.equals(id)) {
                    throw error(path + "[id=" + eqId + "]", "a policy cannot be equivalent to itself");
                }
                if (equivalentPolicies.put(eqId, eq.getAttribute("name")) != null) {
                    throw error(path + "[id=" + eqId + "]", "duplicate equivalent policy");
                }
            }
        }

        // Tag sets first, so that the classifications' category references can be resolved.
        Extensions ext = extensions(root);
        List<RawTagSet> rawTagSets = tagSets(root, ext);
        List<RawClassification> rawClasses = classifications(root, equivalentPolicies);
        if (rawClasses.isEmpty()) {
            throw error("SPIF/securityClassifications", "a policy needs at least one securityClassification");
        }
        Set<String> classNames = new HashSet<>();
        rawClasses.forEach(c -> classNames.add(c.name));

        Map<String, RawTagSet> tagSetsById = new HashMap<>();
        for (RawTagSet t : rawTagSets) {
            tagSetsById.putIfAbsent(t.id, t);
        }
        List<TagSet> tagSets = new ArrayList<>();
        for (RawTagSet t : rawTagSets) {
            List<TagValue> values = new ArrayList<>();
            for (RawValue v : t.values) {
                for (String excluded : v.excludedClasses) {
                    if (!classNames.contains(excluded)) {
                        throw error(v.path + "/excludedClass", "names classification '" + excluded
                                + "', which the policy does not define");
                    }
                }
                List<CategoryRef> excludedRefs = resolve(v.excluded, tagSetsById, v.path + "/excludedCategory");
                List<RequiredCategory> required = resolveRequired(v.required, tagSetsById, v.path + "/requiredCategory");
                for (CategoryRef ref : excludedRefs) {
                    if (ref.tagSet().equals(t.name) && ref.value().map(x -> x.equals(v.name)).orElse(true)) {
                        throw error(v.path + "/excludedCategory", "a value cannot exclude itself");
                    }
                    for (RequiredCategory rc : required) {
                        if (rc.operation() == RequiredCategory.Operation.ALL && rc.categories().contains(ref)) {
                            throw error(v.path, "contradiction: " + ref + " is both required and excluded");
                        }
                    }
                }
                values.add(new TagValue(v.name, v.lacv, v.phrases, v.excludedClasses, excludedRefs, required, v.obsolete));
            }
            tagSets.add(new TagSet(t.id, t.name, t.type, t.singleSelection, values, t.qualifiers,
                    ext.releasability.containsKey(t.name), t.compactPrefix));
        }

        List<Classification> classes = new ArrayList<>();
        for (RawClassification c : rawClasses) {
            List<CategoryRef> excluded = resolve(c.excluded, tagSetsById, c.path + "/excludedCategory");
            List<RequiredCategory> required = resolveRequired(c.required, tagSetsById, c.path + "/requiredCategory");
            for (CategoryRef ref : excluded) {
                for (RequiredCategory rc : required) {
                    if (rc.operation() == RequiredCategory.Operation.ALL && rc.categories().contains(ref)) {
                        throw error(c.path, "contradiction: " + ref + " is both required and excluded");
                    }
                }
            }
            Map<String, String> phrases = new HashMap<>(c.phrases);
            phrases.putIfAbsent("", name + " " + c.name);
            classes.add(new Classification(c.name, c.lacv, c.hierarchy, phrases, excluded, required, c.equivalents));
        }
        classes.sort(Comparator.comparingInt(Classification::hierarchy));

        // Releasability: the values of releasability tag sets must be nations or groups.
        Map<String, Set<String>> groups = expandGroups(ext.groups);
        for (TagSet t : tagSets) {
            if (t.releasability()) {
                if (t.type() != CategoryType.PERMISSIVE) {
                    throw error("extensions/bulwark/releasability[tagSet=" + t.name() + "]",
                            "a releasability tag set must be permissive; '" + t.name() + "' is " + t.type());
                }
                for (TagValue v : t.values()) {
                    if (!groups.containsKey(v.name()) && !NATION.matcher(v.name()).matches()) {
                        throw error(tagPath(t.name()) + "/tagCategory[name=" + v.name() + "]",
                                "a value of a releasability tag set is a nation (ISO 3166-1 alpha-3) or a nation group of the policy");
                    }
                }
            }
        }
        Set<String> defaultRelease = new LinkedHashSet<>();
        for (var entry : ext.releasability.entrySet()) {
            for (String d : entry.getValue()) {
                if (!groups.containsKey(d) && !NATION.matcher(d).matches()) {
                    throw error("extensions/bulwark/releasability[tagSet=" + entry.getKey() + "]/@default",
                            "'" + d + "' is neither a nation (ISO 3166-1 alpha-3) nor a group of the policy");
                }
                defaultRelease.add(d);
            }
        }
        if (defaultRelease.isEmpty() && NATION.matcher(name).matches()) {
            defaultRelease.add(name); // a national policy: releasable to that nation only
        }
        return new SecurityPolicy(id, name, classes, tagSets, groups, defaultRelease, equivalentPolicies);
    }

    // --- classifications --------------------------------------------------------------------------

    private record RawClassification(String path, String name, int lacv, int hierarchy, Map<String, String> phrases,
                                     List<RawRef> excluded, List<RawRequired> required, List<Equivalence> equivalents) {}

    private List<RawClassification> classifications(Element root, Map<String, String> equivalentPolicies) {
        List<RawClassification> out = new ArrayList<>();
        Map<String, String> names = new HashMap<>(); // upper case → as written
        Set<Integer> lacvs = new HashSet<>();
        Set<Integer> hierarchies = new HashSet<>();
        for (Element list : spifChildren(root, "securityClassifications")) {
            for (Element c : spifChildren(list, "securityClassification")) {
                String name = required(c, "name", "SPIF/securityClassifications/securityClassification");
                String path = "securityClassification[name=" + name + "]";
                requireMarkable(name, path, "the classification name");
                int lacv = intAttr(c, "lacv", path);
                int hierarchy = intAttr(c, "hierarchy", path);
                if (hierarchy == Integer.MAX_VALUE) {
                    // Reserved: the access decision marks a policy that cannot satisfy a label with it, so
                    // no clearance may reach it.
                    throw error(path + "/@hierarchy", "'" + hierarchy + "' is too large (at most " + (Integer.MAX_VALUE - 1) + ")");
                }
                String sameName = names.putIfAbsent(name.toUpperCase(Locale.ROOT), name);
                if (sameName != null) throw error(path, "duplicate classification name" + caseOnly(name, sameName));
                if (!lacvs.add(lacv)) throw error(path, "duplicate classification lacv " + lacv);
                if (!hierarchies.add(hierarchy)) throw error(path, "duplicate classification hierarchy " + hierarchy);
                List<Equivalence> equivalents = new ArrayList<>();
                for (Element eq : spifChildren(c, "equivalentClassification")) {
                    String ref = oid(eq, "policyRef", path + "/equivalentClassification");
                    if (!equivalentPolicies.containsKey(ref)) {
                        throw error(path + "/equivalentClassification[policyRef=" + ref + "]",
                                "policy " + ref + " is not declared in equivalentPolicies");
                    }
                    equivalents.add(new Equivalence(ref, intAttr(eq, "lacv", path + "/equivalentClassification")));
                }
                out.add(new RawClassification(path, name, lacv, hierarchy, phrases(c, path), refs(c, "excludedCategory", path),
                        requiredRefs(c, path), equivalents));
            }
        }
        return out;
    }

    // --- tag sets ---------------------------------------------------------------------------------

    private record RawValue(String path, String name, long lacv, Map<String, String> phrases, Set<String> excludedClasses,
                            List<RawRef> excluded, List<RawRequired> required, boolean obsolete) {}

    private record RawTagSet(String id, String name, CategoryType type, boolean singleSelection,
                             Map<String, MarkingQualifier> qualifiers, List<RawValue> values, String compactPrefix) {}

    private static String tagPath(String tagSetName) {
        return "securityCategoryTagSet[name=" + tagSetName + "]";
    }

    private List<RawTagSet> tagSets(Element root, Extensions ext) {
        List<RawTagSet> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        Map<String, String> prefixes = new HashMap<>();
        for (Element list : spifChildren(root, "securityCategoryTagSets")) {
            for (Element ts : spifChildren(list, "securityCategoryTagSet")) {
                String name = required(ts, "name", "SPIF/securityCategoryTagSets/securityCategoryTagSet");
                String path = tagPath(name);
                String id = oid(ts, "id", path);
                if (!ids.add(id)) throw error(path, "duplicate tag set id " + id);
                if (name.contains("//")) throw error(path, "a tag set name must not contain '//'");
                requireMarkable(name, path, "the tag set name");
                List<Element> tags = spifChildren(ts, "securityCategoryTag");
                if (tags.isEmpty()) throw error(path, "a tag set needs a securityCategoryTag");
                for (Element tag : tags) {
                    String tagPath = path + "/securityCategoryTag";
                    CategoryType type = tagType(tag, tagPath);
                    if (!keys.add(name + "\u0000" + type)) {
                        throw error(path, "duplicate tag set name '" + name + "' with type " + type);
                    }
                    boolean single = Boolean.parseBoolean(tag.getAttribute("singleSelection"));
                    String prefix = ext.compactPrefixes.getOrDefault(name, name.toUpperCase(Locale.ROOT));
                    if (tags.size() > 1 && !ext.compactPrefixes.containsKey(name)) {
                        prefix = prefix + " " + type;
                    }
                    // (No control character: the tag set's name and a declared prefix were refused holding one.)
                    if (privacyMarkPrefix(prefix)) { // a name-made prefix, e.g. of a tag set called 'PM Caveats'
                        throw error(path, "the compact prefix '" + prefix + "' would be read as the privacy mark ('PM' is reserved for it); "
                                + "declare another with bw:compactMarking");
                    }
                    String clash = prefixes.put(prefix.toUpperCase(Locale.ROOT), name);
                    if (clash != null) {
                        throw error(path, "compact marking prefix '" + prefix + "' is also that of '" + clash + "'");
                    }
                    List<RawValue> values = new ArrayList<>();
                    Map<String, String> valueNames = new HashMap<>(); // upper case → as written
                    Set<Long> valueLacvs = new HashSet<>();
                    for (Element v : spifChildren(tag, "tagCategory")) {
                        String vName = required(v, "name", tagPath + "/tagCategory");
                        String vPath = path + "/tagCategory[name=" + vName + "]";
                        long lacv = longAttr(v, "lacv", vPath);
                        // Markings match value names without regard to case: two that differ only in case would read as one.
                        String sameName = valueNames.putIfAbsent(vName.toUpperCase(Locale.ROOT), vName);
                        if (sameName != null) throw error(vPath, "duplicate tagCategory name" + caseOnly(vName, sameName));
                        if (!valueLacvs.add(lacv)) throw error(vPath, "duplicate tagCategory lacv " + lacv);
                        if (vName.contains(",") || vName.contains("//") || !vName.equals(vName.strip()) || vName.isEmpty()) {
                            throw error(vPath, "a tagCategory name must not contain ',' or '//' or surrounding spaces");
                        }
                        requireMarkable(vName, vPath, "the tagCategory name");
                        Set<String> excludedClasses = new LinkedHashSet<>();
                        for (Element ex : spifChildren(v, "excludedClass")) {
                            excludedClasses.add(ex.getTextContent().strip());
                        }
                        values.add(new RawValue(vPath, vName, lacv, phrases(v, vPath), excludedClasses,
                                refs(v, "excludedCategory", vPath), requiredRefs(v, vPath),
                                Boolean.parseBoolean(v.getAttribute("obsolete"))));
                    }
                    if (values.isEmpty()) throw error(tagPath, "a tag needs at least one tagCategory");
                    Map<String, MarkingQualifier> qualifiers = qualifiers(tag, tagPath);
                    for (RawValue v : values) {
                        for (var q : qualifiers.entrySet()) {
                            String phrase = v.phrases.getOrDefault(q.getKey(), v.phrases.getOrDefault("", v.name));
                            if (!q.getValue().separator().isBlank() && phrase.contains(q.getValue().separator())) {
                                throw error(v.path, "its phrase '" + phrase + "' contains the tag's separator '"
                                        + q.getValue().separator() + "'");
                            }
                        }
                    }
                    out.add(new RawTagSet(id, name, type, single, qualifiers, values, prefix));
                }
            }
        }
        for (String t : ext.releasability.keySet()) {
            if (out.stream().noneMatch(r -> r.name.equals(t))) {
                throw error("extensions/bulwark/releasability[tagSet=" + t + "]", "no tag set is named '" + t + "'");
            }
        }
        for (String t : ext.compactPrefixes.keySet()) {
            if (out.stream().noneMatch(r -> r.name.equals(t))) {
                throw error("extensions/bulwark/compactMarking[tagSet=" + t + "]", "no tag set is named '" + t + "'");
            }
        }
        return out;
    }

    private CategoryType tagType(Element tag, String path) {
        String t = tag.getAttribute("tagType");
        return switch (t) {
            case "restrictive" -> CategoryType.RESTRICTIVE;
            case "permissive" -> CategoryType.PERMISSIVE;
            case "tagType7", "informative" -> CategoryType.INFORMATIVE;
            case "enumerated" -> switch (tag.getAttribute("enumType")) {
                case "restrictive" -> CategoryType.RESTRICTIVE;
                case "permissive" -> CategoryType.PERMISSIVE;
                default -> throw error(path + "/@enumType", "an enumerated tag has enumType 'restrictive' or 'permissive', not '"
                        + tag.getAttribute("enumType") + "'");
            };
            default -> throw error(path + "/@tagType",
                    "tagType is one of restrictive, permissive, enumerated, tagType7, not '" + t + "'");
        };
    }

    private Map<String, MarkingQualifier> qualifiers(Element tag, String path) {
        Map<String, String[]> parts = new LinkedHashMap<>(); // lang -> prefix, separator, suffix
        for (Element mq : spifChildren(tag, "markingQualifier")) {
            for (Element q : spifChildren(mq, "qualifier")) {
                String lang = q.getAttributeNS(XML_NS, "lang");
                String text = q.getAttribute("markingQualifier");
                int slot = switch (q.getAttribute("qualifierCode")) {
                    case "prefix" -> 0;
                    case "separator" -> 1;
                    case "suffix" -> 2;
                    default -> throw error(path + "/markingQualifier/qualifier",
                            "qualifierCode is prefix, separator or suffix, not '" + q.getAttribute("qualifierCode") + "'");
                };
                if (text.contains("//")) {
                    throw error(path + "/markingQualifier/qualifier", "a marking qualifier must not contain '//'");
                }
                requireMarkable(text, path + "/markingQualifier/qualifier", "the marking qualifier");
                String[] p = parts.computeIfAbsent(lang, k -> new String[3]);
                if (p[slot] == null) {
                    p[slot] = text;
                }
            }
        }
        Map<String, MarkingQualifier> out = new HashMap<>();
        String[] dflt = parts.getOrDefault("", new String[3]);
        for (var e : parts.entrySet()) {
            String[] p = e.getValue();
            // A language inherits what it does not say from the default language.
            out.put(e.getKey(), new MarkingQualifier(
                    p[0] != null ? p[0] : dflt[0] != null ? dflt[0] : "",
                    p[1] != null && !p[1].isEmpty() ? p[1] : dflt[1] != null && !dflt[1].isEmpty() ? dflt[1] : " ",
                    p[2] != null ? p[2] : dflt[2] != null ? dflt[2] : ""));
        }
        out.putIfAbsent("", MarkingQualifier.NONE);
        return out;
    }

    // --- references -------------------------------------------------------------------------------

    private record RawRef(String tagSetRef, String tagType, Optional<Long> lacv) {}

    private record RawRequired(RequiredCategory.Operation operation, List<RawRef> refs) {}

    private List<RawRef> refs(Element parent, String element, String path) {
        List<RawRef> out = new ArrayList<>();
        for (Element e : spifChildren(parent, element)) {
            out.add(ref(e, path + "/" + element));
        }
        return out;
    }

    private RawRef ref(Element e, String path) {
        String tagSetRef = oid(e, "tagSetRef", path);
        String lacv = e.getAttribute("lacv");
        return new RawRef(tagSetRef, e.getAttribute("tagType"),
                lacv.isEmpty() ? Optional.empty() : Optional.of(longAttr(e, "lacv", path)));
    }

    private List<RawRequired> requiredRefs(Element parent, String path) {
        List<RawRequired> out = new ArrayList<>();
        for (Element rc : spifChildren(parent, "requiredCategory")) {
            String p = path + "/requiredCategory";
            RequiredCategory.Operation op = switch (rc.getAttribute("operation")) {
                case "onlyOne" -> RequiredCategory.Operation.ONLY_ONE;
                case "oneOrMore" -> RequiredCategory.Operation.ONE_OR_MORE;
                case "all" -> RequiredCategory.Operation.ALL;
                default -> throw error(p + "/@operation", "operation is onlyOne, oneOrMore or all, not '"
                        + rc.getAttribute("operation") + "'");
            };
            List<RawRef> refs = new ArrayList<>();
            for (Element g : spifChildren(rc, "categoryGroup")) {
                refs.add(ref(g, p + "/categoryGroup"));
            }
            if (refs.isEmpty()) throw error(p, "a requiredCategory needs at least one categoryGroup");
            out.add(new RawRequired(op, refs));
        }
        return out;
    }

    private List<CategoryRef> resolve(List<RawRef> refs, Map<String, RawTagSet> tagSetsById, String path) {
        List<CategoryRef> out = new ArrayList<>();
        for (RawRef r : refs) {
            RawTagSet t = tagSetsById.get(r.tagSetRef);
            if (t == null) {
                throw error(path + "[tagSetRef=" + r.tagSetRef + "]", "no tag set has the id " + r.tagSetRef);
            }
            if (r.lacv.isEmpty()) {
                out.add(new CategoryRef(t.name, Optional.empty()));
            } else {
                RawValue v = t.values.stream().filter(x -> x.lacv == r.lacv.get()).findFirst()
                        .orElseThrow(() -> error(path + "[tagSetRef=" + r.tagSetRef + "][lacv=" + r.lacv.get() + "]",
                                "tag set '" + t.name + "' has no value with lacv " + r.lacv.get()));
                out.add(new CategoryRef(t.name, Optional.of(v.name)));
            }
        }
        return out;
    }

    private List<RequiredCategory> resolveRequired(List<RawRequired> raw, Map<String, RawTagSet> tagSetsById, String path) {
        List<RequiredCategory> out = new ArrayList<>();
        for (RawRequired r : raw) {
            out.add(new RequiredCategory(r.operation, resolve(r.refs, tagSetsById, path + "/categoryGroup")));
        }
        return out;
    }

    // --- extensions -------------------------------------------------------------------------------

    private record Extensions(Map<String, List<String>> groups, Map<String, List<String>> releasability,
                              Map<String, String> compactPrefixes) {}

    private Extensions extensions(Element root) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        Map<String, List<String>> releasability = new LinkedHashMap<>();
        Map<String, String> prefixes = new LinkedHashMap<>();
        for (Element exts : spifChildren(root, "extensions")) {
            for (Element bw : SecureXml.children(exts)) {
                if (!BULWARK_NS.equals(bw.getNamespaceURI())) {
                    continue; // other extensions are someone else's business
                }
                for (Element e : SecureXml.children(bw)) {
                    if (!BULWARK_NS.equals(e.getNamespaceURI())) continue;
                    String path = "extensions/bulwark/" + e.getLocalName();
                    switch (e.getLocalName()) {
                        case "nationGroup" -> {
                            String name = required(e, "name", path);
                            List<String> members = new ArrayList<>();
                            for (Element m : SecureXml.children(e)) {
                                if ("member".equals(m.getLocalName())) members.add(m.getTextContent().strip());
                            }
                            if (members.isEmpty()) throw error(path + "[name=" + name + "]", "a nation group needs members");
                            if (groups.put(name, members) != null) {
                                throw error(path + "[name=" + name + "]", "duplicate nation group");
                            }
                        }
                        case "releasability" -> {
                            String tagSet = required(e, "tagSet", path);
                            String dflt = e.getAttribute("default").strip();
                            List<String> d = dflt.isEmpty() ? List.of() : List.of(dflt.split("\\s*,\\s*"));
                            if (releasability.put(tagSet, d) != null) {
                                throw error(path + "[tagSet=" + tagSet + "]", "duplicate releasability declaration");
                            }
                        }
                        case "compactMarking" -> {
                            String tagSet = required(e, "tagSet", path);
                            String prefix = required(e, "prefix", path).strip();
                            if (prefix.contains("//") || prefix.contains(",")) {
                                throw error(path + "[tagSet=" + tagSet + "]", "a compact prefix must not contain '//' or ','");
                            }
                            if (hasControl(prefix)) { // a marking reads a tab as white space, so a prefix cannot hold one
                                throw error(path + "[tagSet=" + tagSet + "]", "a compact prefix is printable characters and spaces, "
                                        + "not a tab or another control character");
                            }
                            requireMarkable(prefix, path + "[tagSet=" + tagSet + "]", "the compact prefix");
                            if (privacyMarkPrefix(prefix)) {
                                throw error(path + "[tagSet=" + tagSet + "]", "the compact prefix 'PM' is reserved for the privacy mark");
                            }
                            if (prefixes.put(tagSet, prefix) != null) {
                                throw error(path + "[tagSet=" + tagSet + "]", "duplicate compact marking declaration");
                            }
                        }
                        default -> throw error(path, "unknown Bulwark extension element; known: nationGroup, releasability, compactMarking");
                    }
                }
            }
        }
        return new Extensions(groups, releasability, prefixes);
    }

    /** Expands groups of groups to nations, refusing cycles and unknown members. */
    private Map<String, Set<String>> expandGroups(Map<String, List<String>> groups) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String g : groups.keySet()) {
            out.put(g, expand(g, groups, new ArrayDeque<>()));
        }
        return out;
    }

    private Set<String> expand(String group, Map<String, List<String>> groups, Deque<String> stack) {
        if (stack.contains(group)) {
            List<String> cycle = new ArrayList<>(stack.reversed());
            cycle.add(group);
            throw error("extensions/bulwark/nationGroup[name=" + group + "]",
                    "nation groups form a cycle: " + String.join(" -> ", cycle));
        }
        stack.push(group);
        Set<String> nations = new TreeSet<>();
        for (String m : groups.get(group)) {
            if (groups.containsKey(m)) {
                nations.addAll(expand(m, groups, stack));
            } else if (NATION.matcher(m).matches()) {
                nations.add(m);
            } else {
                throw error("extensions/bulwark/nationGroup[name=" + group + "]/member",
                        "'" + m + "' is neither a nation (ISO 3166-1 alpha-3) nor a group of the policy");
            }
        }
        stack.pop();
        return nations;
    }

    // --- small helpers ----------------------------------------------------------------------------

    private static List<Element> spifChildren(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        for (Element e : SecureXml.children(parent)) {
            if (SPIF_NS.equals(e.getNamespaceURI()) && localName.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    private Element one(Element parent, String localName, String path) {
        List<Element> found = spifChildren(parent, localName);
        if (found.size() != 1) {
            throw error(path, "expected exactly one " + localName + " element, found " + found.size());
        }
        return found.getFirst();
    }

    private Map<String, String> phrases(Element e, String path) {
        Map<String, String> out = new HashMap<>();
        for (Element md : spifChildren(e, "markingData")) {
            if (!md.hasAttribute("phrase")) continue;
            String phrase = md.getAttribute("phrase");
            if (phrase.contains("//")) {
                throw error(path + "/markingData", "a marking phrase must not contain '//'");
            }
            if (phrase.isBlank()) continue;
            requireMarkable(phrase.strip(), path + "/markingData", "the marking phrase");
            out.putIfAbsent(md.getAttributeNS(XML_NS, "lang"), phrase.strip());
        }
        return out;
    }

    private String required(Element e, String attribute, String path) {
        String v = e.getAttribute(attribute).strip();
        if (v.isEmpty()) {
            throw error(path, "the attribute " + attribute + " is required");
        }
        return v;
    }

    /** How a name repeats one before it: exactly, or but for case (which markings do not tell apart). */
    private static String caseOnly(String name, String earlier) {
        return name.equals(earlier) ? "" : ": '" + name + "' differs from '" + earlier + "' only in case, and markings are matched without regard to case";
    }

    private String oid(Element e, String attribute, String path) {
        String v = required(e, attribute, path);
        if (!OID.matcher(v).matches()) {
            throw error(path + "/@" + attribute, "'" + v + "' is not an object identifier (e.g. 1.3.26.1.3.1)");
        }
        return v;
    }

    private int intAttr(Element e, String attribute, String path) {
        long v = longAttr(e, attribute, path);
        if (v > Integer.MAX_VALUE) {
            throw error(path + "/@" + attribute, "'" + v + "' is too large");
        }
        return (int) v;
    }

    private long longAttr(Element e, String attribute, String path) {
        String v = required(e, attribute, path);
        if (!v.matches("[0-9]{1,15}")) {
            throw error(path + "/@" + attribute, "'" + v + "' is not a non-negative integer");
        }
        return Long.parseLong(v);
    }

    /** Whether a marking segment with this prefix would read as the privacy mark ({@code PM}, or {@code PM} and white space). */
    private static boolean privacyMarkPrefix(String prefix) {
        String p = prefix.strip().toUpperCase(Locale.ROOT);
        return p.equals("PM") || p.startsWith("PM ") || p.startsWith("PM\t");
    }

    /**
     * Refuses what a marking could not carry and read back: a marking's white space is a space or a
     * tab between its parts (docs/formats/label-marking.md), and it refuses other spaces and control
     * characters, so a name, phrase or qualifier it is written with holds none (spaces inside are fine).
     */
    private void requireMarkable(String text, String path, String what) {
        OptionalInt c = text.chars().filter(ch -> Character.isISOControl(ch)
                || ch != ' ' && (Character.isWhitespace(ch) || Character.isSpaceChar(ch))).findFirst();
        if (c.isPresent()) {
            throw error(path, String.format(Locale.ROOT, "%s '%s' holds U+%04X (%s): markings carry it, and they hold spaces but no "
                    + "other white space or control characters", what, text.replaceAll("\\p{Cntrl}", "?"), c.getAsInt(), Character.getName(c.getAsInt())));
        }
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(Character::isISOControl);
    }
}
