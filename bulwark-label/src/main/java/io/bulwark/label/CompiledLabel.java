package io.bulwark.label;

import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.internal.JsonLabelCodec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A valid label compiled once into bitsets over interned values, so that deciding takes
 * nanoseconds: a required hierarchy per loaded policy (through equivalences), one mask of
 * restrictive values (all required), and one mask per permissive category (one value suffices;
 * a label without a releasability category gets its policy's default release as one more mask).
 *
 * <p>Immutable and thread-safe; {@link #permits} and {@link #releasableTo(long[])} allocate nothing.
 * Its JSON encoding and canonical marking are kept once made, so a label compiled (and cached by
 * {@link PolicySet#compile(ConfidentialityLabel)}) is not validated and encoded again on every use.
 */
public final class CompiledLabel {

    private final PolicySet policies;
    private final ConfidentialityLabel label;
    private final int[] required;
    private final long[] restrictive;
    private final long[][] permissive;
    /** Tag name of each permissive mask; {@code null} marks the policy's default release. */
    private final String[] permissiveNames;
    private final Set<String> releasableNations;
    /** Encodings, made on first use; plain fields, as a String is safe to publish through a race. */
    private String json;
    private String marking;

    CompiledLabel(PolicySet policies, ConfidentialityLabel label, int[] required, long[] restrictive,
                  long[][] permissive, String[] permissiveNames) {
        this.policies = policies;
        this.label = label;
        this.required = required;
        this.restrictive = restrictive;
        this.permissive = permissive;
        this.permissiveNames = permissiveNames;
        Set<String> nations = new TreeSet<>();
        for (String nation : policies.knownNations()) {
            if (releasableTo(policies.nationHoldings(nation))) {
                nations.add(nation);
            }
        }
        this.releasableNations = Collections.unmodifiableSet(nations);
    }

    /** The valid, canonical label this was compiled from. */
    public ConfidentialityLabel label() {
        return label;
    }

    /** Whether the subject may read what carries this label. Allocation-free. */
    public boolean permits(CompiledSubject s) {
        boolean cleared = false;
        for (int p = 0; p < required.length; p++) {
            if (s.clearance[p] >= required[p]) {
                cleared = true;
                break;
            }
        }
        if (!cleared) {
            return false;
        }
        long[] held = s.holdings;
        for (int w = 0; w < restrictive.length; w++) {
            if ((restrictive[w] & ~held[w]) != 0) {
                return false;
            }
        }
        return releasableTo(held);
    }

    private boolean releasableTo(long[] held) {
        for (long[] mask : permissive) {
            boolean any = false;
            for (int w = 0; w < mask.length; w++) {
                if ((mask[w] & held[w]) != 0) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a node of this nation may hold what carries this label: its permissive categories
     * (release lists, "only", context) admit the nation or a group it belongs to. Clearances and
     * communities of interest are the node's business when it decides for its own users.
     */
    public boolean releasableTo(String nation) {
        return releasableNations.contains(nation);
    }

    /**
     * The label in {@link LabelFormat#JSON}, exactly as {@code policies.encode(label(), JSON)}
     * writes it; encoded once, on first use. No validation: the label was validated when compiled.
     */
    public String json() {
        String j = json;
        if (j == null) {
            json = j = JsonLabelCodec.encode(label); // a race only encodes twice: the result is the same String value
        }
        return j;
    }

    /** The canonical marking ({@link PolicySet#canonicalMarking}); written once, on first use. */
    public String canonicalMarking() {
        String m = marking;
        if (m == null) {
            marking = m = policies.compact(label);
        }
        return m;
    }

    /** Every known nation this label is releasable to (groups expanded). */
    public Set<String> releasableNations() {
        return releasableNations;
    }

    /** The decision with its reason. Allocates only to explain a denial. */
    public Decision decide(CompiledSubject s) {
        if (permits(s)) {
            return Decision.PERMIT;
        }
        return Decision.deny(explainDenial(s));
    }

    private String explainDenial(CompiledSubject s) {
        List<SecurityPolicy> all = policies.policiesByIndex();
        SecurityPolicy own = policies.policy(label.policy()).orElseThrow();
        Classification labelClass = own.classification(label.classification()).orElseThrow();
        String labelMarking = labelClass.phrase("").orElseThrow();
        boolean cleared = false;
        for (int p = 0; p < required.length; p++) {
            cleared |= s.clearance[p] >= required[p];
        }
        if (!cleared) {
            List<String> held = new ArrayList<>();
            for (int p = 0; p < all.size(); p++) {
                if (s.clearance[p] >= 0) {
                    SecurityPolicy policy = all.get(p);
                    int level = s.clearance[p];
                    policy.classifications().stream().filter(c -> c.hierarchy() == level).findFirst()
                            .ifPresent(c -> held.add(c.phrase("").orElseThrow()
                                    + (required[all.indexOf(policy)] == Integer.MAX_VALUE
                                    ? " (policy " + policy.name() + " has no equivalent of " + labelMarking + ")" : "")));
                }
            }
            if (held.isEmpty()) {
                return "no clearance under policy " + own.name() + " or a policy equivalent to it; the label is " + labelMarking;
            }
            return "clearance " + String.join(", ", held) + (held.size() == 1 ? " is" : " are") + " below " + labelMarking;
        }
        List<String> missing = new ArrayList<>();
        for (int bit = 0; bit < restrictive.length * 64; bit++) {
            if ((restrictive[bit >>> 6] & (1L << bit)) != 0 && (s.holdings[bit >>> 6] & (1L << bit)) == 0) {
                missing.add(policies.bitName(bit));
            }
        }
        if (!missing.isEmpty()) {
            return "not a member of " + String.join(", ", missing) + ", which the label requires (restrictive: all values required)";
        }
        for (int i = 0; i < permissive.length; i++) {
            long[] mask = permissive[i];
            boolean any = false;
            for (int w = 0; w < mask.length; w++) {
                any |= (mask[w] & s.holdings[w]) != 0;
            }
            if (!any) {
                List<String> values = new ArrayList<>();
                for (int bit = 0; bit < mask.length * 64; bit++) {
                    if ((mask[bit >>> 6] & (1L << bit)) != 0) values.add(policies.bitName(bit));
                }
                String nationality = s.subject().nationality();
                if (permissiveNames[i] == null) {
                    return "nationality " + nationality + " is outside the default release of policy " + own.name()
                            + " (" + String.join(", ", values) + "), which applies to a label without a release list";
                }
                return "nationality " + nationality + " (and its groups and memberships) is not among '"
                        + permissiveNames[i] + "': " + String.join(", ", values);
            }
        }
        throw new IllegalStateException("denied without a reason");
    }

    @Override
    public String toString() {
        return "CompiledLabel[" + label.policy() + " " + label.classification() + "]";
    }
}
