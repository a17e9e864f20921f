package io.bulwark.label;

import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.SecurityPolicy.Equivalence;
import io.bulwark.label.SecurityPolicy.TagSet;
import io.bulwark.label.SecurityPolicy.TagValue;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The access decision written the plain way, as the design states it, over the
 * {@link SecurityPolicy} model: sets and loops, no bitsets, nothing shared with
 * {@link CompiledLabel} or {@link PolicySet}'s compiler. The property tests hold the compiled
 * decision to this.
 *
 * <p>The rules:
 * <ul>
 *   <li><b>clearance</b>: some clearance of the subject, under policy Q, is at or above the level
 *       Q requires for the label's classification C of policy P. P requires C's own hierarchy.
 *       Another policy Q requires the highest of its classifications declared equivalent to C
 *       (by either side); failing that, the highest Q-classification equivalent to some
 *       classification of a third policy M that is itself equivalent to C; failing that, Q
 *       cannot satisfy C at all.</li>
 *   <li><b>restrictive</b>: every value of every restrictive category is among the subject's
 *       communities of interest (memberships only: never its nationality).</li>
 *   <li><b>permissive</b>: every permissive category has a value that is the subject's nation or
 *       a group (of any loaded policy) its nation belongs to (nationality only: never a
 *       membership).</li>
 *   <li><b>default release</b>: a label with no releasability category (a tag set the policy
 *       declares releasability) must also have its policy's default release (a nation or group)
 *       satisfied as if it were one more permissive category.</li>
 *   <li><b>informative</b> categories play no part.</li>
 *   <li><b>releasable nations</b>: the nations any policy names (group members, nations in
 *       release lists, default releases) whose nation alone passes permissive and default release.</li>
 * </ul>
 */
final class ReferenceDecider {

    private final List<SecurityPolicy> policies;
    private final Map<String, Set<String>> groups = new HashMap<>();

    ReferenceDecider(List<SecurityPolicy> policies) {
        this.policies = policies;
        for (SecurityPolicy p : policies) {
            groups.putAll(p.groups());
        }
    }

    private SecurityPolicy policy(String nameOrId) {
        for (SecurityPolicy p : policies) {
            if (p.name().equals(nameOrId) || p.id().equals(nameOrId)) return p;
        }
        throw new IllegalArgumentException("unknown policy " + nameOrId);
    }

    boolean permits(ConfidentialityLabel label, Subject subject) {
        return cleared(label, subject) && inAllRestrictive(label, subject) && released(label, subject.nationality());
    }

    boolean cleared(ConfidentialityLabel label, Subject subject) {
        SecurityPolicy own = policy(label.policy());
        Classification c = own.classification(label.classification()).orElseThrow();
        for (Subject.Clearance clearance : subject.clearances()) {
            SecurityPolicy q = policy(clearance.policy());
            int held = q.classification(clearance.classification()).orElseThrow().hierarchy();
            Integer required = requiredLevel(own, c, q);
            if (required != null && held >= required) return true;
        }
        return false;
    }

    /** The hierarchy policy q requires for classification c of policy own, or null if none satisfies it. */
    Integer requiredLevel(SecurityPolicy own, Classification c, SecurityPolicy q) {
        if (q.name().equals(own.name())) return c.hierarchy();
        Integer direct = null;
        for (Classification x : q.classifications()) {
            if (equivalent(own, c, q, x)) direct = max(direct, x.hierarchy());
        }
        if (direct != null) return direct;
        Integer viaThird = null;
        for (SecurityPolicy m : policies) {
            if (m.name().equals(own.name()) || m.name().equals(q.name())) continue;
            for (Classification y : m.classifications()) {
                if (!equivalent(own, c, m, y)) continue;
                for (Classification x : q.classifications()) {
                    if (equivalent(m, y, q, x)) viaThird = max(viaThird, x.hierarchy());
                }
            }
        }
        return viaThird;
    }

    private static boolean equivalent(SecurityPolicy p, Classification a, SecurityPolicy q, Classification b) {
        return a.equivalents().contains(new Equivalence(q.id(), b.lacv())) || b.equivalents().contains(new Equivalence(p.id(), a.lacv()));
    }

    private static Integer max(Integer a, int b) {
        return a == null ? b : Math.max(a, b);
    }

    boolean inAllRestrictive(ConfidentialityLabel label, Subject subject) {
        for (Category c : label.categories()) {
            if (c.type() == CategoryType.RESTRICTIVE && !subject.cois().containsAll(c.values())) return false;
        }
        return true;
    }

    /** The nation and every group it belongs to. */
    Set<String> nationAndGroups(String nation) {
        Set<String> out = new HashSet<>();
        out.add(nation);
        groups.forEach((g, members) -> {
            if (members.contains(nation)) out.add(g);
        });
        return out;
    }

    boolean released(ConfidentialityLabel label, String nation) {
        SecurityPolicy own = policy(label.policy());
        Set<String> held = nationAndGroups(nation);
        boolean hasReleasability = false;
        for (Category c : label.categories()) {
            if (c.type() != CategoryType.PERMISSIVE) continue;
            if (Collections.disjoint(c.values(), held)) return false;
            TagSet t = own.tagSets().stream().filter(x -> x.name().equals(c.tagName()) && x.type() == c.type()).findFirst().orElseThrow();
            hasReleasability |= t.releasability();
        }
        return hasReleasability || !Collections.disjoint(own.defaultRelease(), held);
    }

    private Set<String> knownNations;

    Set<String> knownNations() {
        if (knownNations == null) knownNations = computeKnownNations();
        return knownNations;
    }

    private Set<String> computeKnownNations() {
        Set<String> out = new TreeSet<>();
        groups.values().forEach(out::addAll);
        for (SecurityPolicy p : policies) {
            for (TagSet t : p.tagSets()) {
                if (!t.releasability()) continue;
                for (TagValue v : t.values()) {
                    if (!groups.containsKey(v.name())) out.add(v.name());
                }
            }
            for (String d : p.defaultRelease()) {
                if (!groups.containsKey(d)) out.add(d);
            }
        }
        return out;
    }

    Set<String> releasableNations(ConfidentialityLabel label) {
        Set<String> out = new TreeSet<>();
        for (String n : knownNations()) {
            if (released(label, n)) out.add(n);
        }
        return out;
    }
}
