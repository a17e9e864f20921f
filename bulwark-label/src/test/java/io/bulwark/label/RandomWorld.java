package io.bulwark.label;

import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.SecurityPolicy.TagSet;
import io.bulwark.label.SecurityPolicy.TagValue;
import io.bulwark.label.Spif.Cls;
import io.bulwark.label.Spif.TagSetDef;
import io.bulwark.label.Spif.Val;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A random set of 2–3 policies generated as SPIF documents (2–6 classifications, 1–4 tag sets of
 * random types including releasability with nations and groups, nested groups, random
 * equivalences between the policies, a few validity rules), loaded through the real SPIF reader;
 * and random valid labels and random subjects for any policy set.
 *
 * <p>Everything derives from one seed, so a failure is reproducible from the seed printed with it.
 * Value phrases are unique within a policy, so that the display marking of a policy cannot be
 * ambiguous on its own.
 */
final class RandomWorld {

    static final List<String> NATIONS = List.of("DEU", "FRA", "GBR", "USA", "ITA", "ESP", "POL", "CAN", "AUS", "JPN", "ISR", "CHE");
    private static final List<String> GROUPS = List.of("NATO", "EU", "FVEY", "KFOR", "BLOC");
    private static final List<String> POLICY_NAMES = List.of("ALPHA", "BRAVO", "CHE", "DNK", "OSCAR", "NOR", "KILO");
    private static final List<String> CLASS_WORDS = List.of("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET", "COSMIC");
    /** Communities of interest; some are spelt like nations (ISR, DEU) or groups (KFOR) on purpose. */
    private static final List<String> COIS = List.of("ISR", "OPS", "CYBER", "ATOMAL", "KFOR", "DEU", "SIGINT", "LOG");
    private static final List<String> INFORMATIVE = List.of("STAFF", "MEDICAL", "PERSONAL", "NATO", "COMMERCIAL");
    private static final List<String> PRIVACY_MARKS = List.of("Op X", "Exercise Steadfast, phase 2", "O'Brien", "team_B + ops-cell",
            "Études 2026: a.b", "x");
    private static final String PRIVACY_ALPHABET = "abcXYZéÜß0189 .,:;'_+-";

    final long seed;
    final List<Spif> spifs;
    final PolicySet set;

    RandomWorld(long seed) {
        this.seed = seed;
        this.spifs = generate(new Random(seed));
        this.set = PolicySet.of(spifs.stream().map(Spif::load).toList());
    }

    /** The source of this world's labels and subjects. */
    Random random() {
        return new Random(seed * 0x9E3779B97F4A7C15L + 1);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RandomWorld(seed ").append(seed).append(")\n");
        spifs.forEach(s -> b.append(s.xml()));
        return b.toString();
    }

    // === policies =================================================================================

    private static List<Spif> generate(Random r) {
        Map<String, List<String>> worldGroups = new LinkedHashMap<>();
        for (String g : sample(GROUPS, 1 + r.nextInt(3), r)) {
            List<String> members = new ArrayList<>(sample(NATIONS, 2 + r.nextInt(5), r));
            if (!worldGroups.isEmpty() && r.nextInt(3) == 0) {
                members.add(pick(new ArrayList<>(worldGroups.keySet()), r)); // a group of groups
            }
            worldGroups.put(g, members);
        }
        List<String> names = sample(POLICY_NAMES, 2 + r.nextInt(2), r);
        List<Spif> spifs = new ArrayList<>();
        int phraseCounter = 0;
        for (int i = 0; i < names.size(); i++) {
            Spif s = new Spif();
            s.name = names.get(i);
            s.id = "1.9." + (i + 1);
            for (String g : worldGroups.keySet()) {
                if (r.nextInt(3) > 0) include(g, worldGroups, s.groups);
            }
            boolean french = r.nextBoolean();
            List<String> words = orderedSample(CLASS_WORDS, 2 + r.nextInt(5), r);
            List<Integer> lacvs = sample(range(1, 30), words.size(), r);
            int hierarchy = r.nextInt(3);
            for (int c = 0; c < words.size(); c++) {
                hierarchy += 1 + r.nextInt(3);
                Cls cls = new Cls(words.get(c), lacvs.get(c), hierarchy);
                if (r.nextInt(5) > 0) {
                    String phrase = r.nextBoolean() ? words.get(c) : s.name + " " + words.get(c);
                    cls.phrase("", phrase);
                    if (french) cls.phrase("fr", "F-" + phrase);
                }
                s.classifications.add(cls);
            }
            int tagSets = 1 + r.nextInt(4);
            for (int t = 0; t < tagSets; t++) {
                String kind = pick(List.of("releasability", "permissive", "restrictive", "informative"), r);
                String tagName = switch (kind) {
                    case "releasability" -> "Rel";
                    case "permissive" -> "Perm";
                    case "restrictive" -> "Restr";
                    default -> "Info";
                } + t;
                String type = switch (kind) {
                    case "releasability" -> "enumerated-permissive";
                    case "permissive" -> r.nextBoolean() ? "permissive" : "enumerated-permissive";
                    case "restrictive" -> r.nextBoolean() ? "restrictive" : "enumerated-restrictive";
                    default -> r.nextBoolean() ? "tagType7" : "informative";
                };
                TagSetDef def = new TagSetDef(tagName, s.id + "." + (t + 1), type);
                List<String> values = switch (kind) {
                    case "releasability" -> {
                        List<String> v = new ArrayList<>(sample(NATIONS, 1 + r.nextInt(6), r));
                        v.addAll(sample(new ArrayList<>(s.groups.keySet()), r.nextInt(Math.min(3, s.groups.size() + 1)), r));
                        yield v;
                    }
                    case "permissive" -> {
                        List<String> pool = new ArrayList<>(NATIONS);
                        pool.addAll(GROUPS);
                        pool.add("MISSION1");
                        yield sample(pool, 1 + r.nextInt(4), r);
                    }
                    case "restrictive" -> sample(COIS, 1 + r.nextInt(5), r);
                    default -> sample(INFORMATIVE, 1 + r.nextInt(3), r);
                };
                List<Integer> valueLacvs = sample(range(1, 2000), values.size(), r);
                for (int v = 0; v < values.size(); v++) {
                    Val val = new Val(values.get(v), valueLacvs.get(v));
                    phraseCounter++;
                    val.phrase("", "Q" + phraseCounter);
                    if (french) val.phrase("fr", "Fq" + phraseCounter);
                    if (r.nextInt(10) == 0) val.excludedClass(pick(words, r));
                    if (r.nextInt(25) == 0) val.obsolete();
                    def.value(val);
                }
                if (kind.endsWith("permissive") || kind.equals("releasability")) {
                    if (r.nextInt(5) == 0) def.single();
                }
                String prefix = r.nextBoolean() ? "" : tagName + " ";
                String separator = pick(List.of(", ", " ", "/"), r);
                String suffix = r.nextInt(4) == 0 ? " ONLY" : "";
                def.qualifier("", "prefix", prefix).qualifier("", "separator", separator).qualifier("", "suffix", suffix);
                if (french) {
                    def.qualifier("fr", "prefix", prefix.isEmpty() ? "" : tagName + "-fr ").qualifier("fr", "separator", separator)
                            .qualifier("fr", "suffix", suffix.isEmpty() ? "" : " SEULEMENT");
                }
                s.tagSets.add(def);
                if (kind.equals("releasability")) {
                    List<String> defaults = new ArrayList<>(NATIONS);
                    defaults.addAll(s.groups.keySet());
                    s.releasability.put(tagName, r.nextBoolean() ? pick(defaults, r) : "");
                }
                if (r.nextBoolean()) s.compactPrefixes.put(tagName, "K" + i + t);
            }
            // now and then a value excludes another tag set
            for (TagSetDef def : s.tagSets) {
                for (Val v : def.values) {
                    if (r.nextInt(20) == 0) {
                        TagSetDef other = pick(s.tagSets, r);
                        if (other != def) v.child(Spif.ref("excludedCategory", other.id, null));
                    }
                }
            }
            Collections.shuffle(s.classifications, r); // file order is not hierarchy order
            spifs.add(s);
        }
        // equivalences, declared by either side, sometimes many-to-one
        for (Spif a : spifs) {
            for (Spif b : spifs) {
                if (a == b || r.nextBoolean()) continue;
                a.equivalentPolicies.put(b.id, b.name);
                for (Cls c : a.classifications) {
                    if (r.nextInt(5) < 3) c.equivalent(b.id, Integer.parseInt(pick(b.classifications, r).lacv));
                    if (r.nextInt(7) == 0) c.equivalent(b.id, Integer.parseInt(pick(b.classifications, r).lacv));
                }
            }
        }
        return spifs;
    }

    private static void include(String group, Map<String, List<String>> all, Map<String, List<String>> into) {
        if (into.containsKey(group)) return;
        into.put(group, all.get(group));
        for (String m : all.get(group)) {
            if (all.containsKey(m)) include(m, all, into);
        }
    }

    // === labels ===================================================================================

    /** A random valid label under one of the set's policies, canonical; with times and alternatives if asked. */
    static ConfidentialityLabel label(PolicySet set, Random r, boolean timesAndAlternatives) {
        for (int attempt = 0; ; attempt++) {
            SecurityPolicy p = pick(set.policies(), r);
            ConfidentialityLabel info = information(p, r, attempt < 40);
            Optional<Instant> created = Optional.empty();
            Optional<Instant> review = Optional.empty();
            List<ConfidentialityLabel> alternatives = new ArrayList<>();
            if (timesAndAlternatives) {
                if (r.nextBoolean()) created = Optional.of(Instant.ofEpochMilli(1_700_000_000_000L + r.nextLong(1_000_000_000_000L)));
                if (r.nextInt(3) == 0) review = Optional.of(created.orElse(Instant.EPOCH).plusSeconds(r.nextInt(1_000_000_000)));
                for (SecurityPolicy other : set.policies()) {
                    if (other != p && r.nextInt(3) == 0) alternatives.add(information(other, r, true));
                }
            }
            ConfidentialityLabel l = new ConfidentialityLabel(info.policy(), info.classification(), info.privacyMark(),
                    info.categories(), created, review, alternatives);
            try {
                return set.validate(l);
            } catch (InvalidLabelException e) {
                if (attempt > 200) throw new AssertionError("no valid label found", e);
            }
        }
    }

    private static ConfidentialityLabel information(SecurityPolicy p, Random r, boolean withCategories) {
        Classification c = pick(p.classifications(), r);
        List<Category> categories = new ArrayList<>();
        if (withCategories) {
            List<TagSet> tagSets = new ArrayList<>(p.tagSets());
            Collections.shuffle(tagSets, r); // decoders must put them in policy order
            for (TagSet t : tagSets) {
                if (r.nextInt(20) < 9) {
                    int n = 1 + r.nextInt(Math.min(4, t.values().size()));
                    List<String> values = sample(t.values().stream().filter(v -> !v.obsolete()).map(TagValue::name).toList(), n, r);
                    if (!values.isEmpty()) categories.add(new Category(t.type(), t.name(), values));
                }
            }
        }
        Optional<String> pm = Optional.empty();
        if (r.nextInt(5) == 0) {
            if (r.nextBoolean()) {
                pm = Optional.of(pick(PRIVACY_MARKS, r));
            } else {
                StringBuilder b = new StringBuilder();
                for (int i = 1 + r.nextInt(20); i > 0; i--) b.append(PRIVACY_ALPHABET.charAt(r.nextInt(PRIVACY_ALPHABET.length())));
                String s = b.toString().strip();
                pm = Optional.of(s.isEmpty() ? "pm" : s);
            }
        }
        return new ConfidentialityLabel(p.name(), c.name(), pm, categories, Optional.empty(), Optional.empty(), List.of());
    }

    /** The label without times and alternatives: what the marking forms carry. */
    static ConfidentialityLabel informationOnly(ConfidentialityLabel l) {
        return new ConfidentialityLabel(l.policy(), l.classification(), l.privacyMark(), l.categories(),
                Optional.empty(), Optional.empty(), List.of());
    }

    // === subjects =================================================================================

    /** A random subject: any nationality (sometimes one no policy names), random clearances and memberships. */
    static Subject subject(PolicySet set, Random r) {
        String nationality = r.nextInt(12) == 0 ? "ZZZ" : pick(nations(set), r);
        List<Subject.Clearance> clearances = new ArrayList<>();
        for (SecurityPolicy p : set.policies()) {
            if (r.nextBoolean()) clearances.add(new Subject.Clearance(p.name(), pick(p.classifications(), r).name()));
            if (r.nextInt(10) == 0) clearances.add(new Subject.Clearance(p.name(), pick(p.classifications(), r).name()));
        }
        Set<String> cois = new TreeSet<>();
        for (String v : restrictiveValues(set)) {
            if (r.nextInt(5) < 3) cois.add(v);
        }
        return new Subject(nationality, clearances, cois);
    }

    /**
     * A subject built to be just permitted or just denied: a nationality the label is releasable
     * to, clearances at or just below the label's level, the label's restrictive values, then one
     * random change (another nationality, a missing membership, a lower clearance) half the time.
     */
    static Subject nearSubject(PolicySet set, ConfidentialityLabel label, Set<String> releasable, Random r) {
        List<String> rel = new ArrayList<>(releasable);
        String nationality = rel.isEmpty() || r.nextInt(4) == 0 ? pick(nations(set), r) : pick(rel, r);
        List<Subject.Clearance> clearances = new ArrayList<>();
        for (SecurityPolicy p : set.policies()) {
            if (r.nextInt(3) > 0) {
                List<Classification> cs = p.classifications();
                int i = p.name().equals(label.policy())
                        ? Math.max(0, cs.indexOf(p.classification(label.classification()).orElseThrow()) - (r.nextInt(3) == 0 ? 1 : 0))
                        : r.nextInt(cs.size());
                clearances.add(new Subject.Clearance(p.name(), cs.get(i).name()));
            }
        }
        Set<String> cois = new TreeSet<>();
        for (Category c : label.categories()) {
            if (c.type() == CategoryType.RESTRICTIVE) cois.addAll(c.values());
        }
        if (!cois.isEmpty() && r.nextInt(4) == 0) cois.remove(pick(new ArrayList<>(cois), r));
        List<String> all = restrictiveValues(set);
        if (!all.isEmpty() && r.nextBoolean()) cois.add(pick(all, r));
        return new Subject(nationality, clearances, cois);
    }

    private static final Map<PolicySet, List<String>> NATIONS_OF = Collections.synchronizedMap(new java.util.WeakHashMap<>());
    private static final Map<PolicySet, List<String>> RESTRICTIVE_OF = Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Every nation the set's groups name, and a few more. */
    static List<String> nations(PolicySet set) {
        return NATIONS_OF.computeIfAbsent(set, s -> {
            Set<String> out = new TreeSet<>(NATIONS);
            s.groups().values().forEach(out::addAll);
            out.add("JPN");
            return List.copyOf(out);
        });
    }

    /** Every restrictive value of the set's policies: the communities of interest a subject may hold. */
    static List<String> restrictiveValues(PolicySet set) {
        return RESTRICTIVE_OF.computeIfAbsent(set, s -> {
            Set<String> out = new TreeSet<>();
            for (SecurityPolicy p : s.policies()) {
                for (TagSet t : p.tagSets()) {
                    if (t.type() == CategoryType.RESTRICTIVE) t.values().forEach(v -> out.add(v.name()));
                }
            }
            return List.copyOf(out);
        });
    }

    // === helpers ==================================================================================

    static <T> T pick(List<T> list, Random r) {
        return list.get(r.nextInt(list.size()));
    }

    /** n distinct elements in random order. */
    static <T> List<T> sample(Collection<T> from, int n, Random r) {
        List<T> copy = new ArrayList<>(new LinkedHashSet<>(from));
        Collections.shuffle(copy, r);
        return new ArrayList<>(copy.subList(0, Math.min(n, copy.size())));
    }

    /** n distinct elements in their original order. */
    private static <T> List<T> orderedSample(List<T> from, int n, Random r) {
        List<T> picked = sample(from, n, r);
        List<T> out = new ArrayList<>(from);
        out.retainAll(picked);
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(i);
        return out;
    }
}
