package io.bulwark.label;

import io.bulwark.label.Spif.Val;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static io.bulwark.label.Fixtures.compact;
import static io.bulwark.label.Fixtures.subject;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Access decisions with their reasons, releasability, and the dominant label. */
class DecisionTest {

    private static final Set<String> NATO_MEMBERS = DEFAULTS.groups().get("NATO");

    private static Decision decide(PolicySet set, String label, Subject s) {
        CompiledLabel l = set.compile(set.decode(LabelFormat.COMPACT, label));
        CompiledSubject cs = set.compile(s);
        Decision d = l.decide(cs);
        assertThat(d.permitted()).isEqualTo(l.permits(cs));
        assertThat(d.reason()).isNotBlank();
        return d;
    }

    private static Decision decide(String label, Subject s) {
        return decide(DEFAULTS, label, s);
    }

    private static void permits(String label, Subject s) {
        Decision d = decide(label, s);
        assertThat(d.permitted()).as("%s for %s: %s", label, s, d).isTrue();
        assertThat(d).hasToString("PERMIT: the subject's clearance, nationality and memberships satisfy the label");
    }

    private static Decision denies(String label, Subject s) {
        Decision d = decide(label, s);
        assertThat(d.permitted()).as("%s for %s", label, s).isFalse();
        assertThat(d.toString()).startsWith("DENY: ");
        return d;
    }

    // === clearance ================================================================================

    @Test
    void clearanceBelowTheLabel() {
        assertThat(denies("NATO SECRET//REL TO DEU", subject("DEU", "NATO CONFIDENTIAL")))
                .hasToString("DENY: clearance NATO CONFIDENTIAL is below NATO SECRET");
        permits("NATO SECRET//REL TO DEU", subject("DEU", "NATO SECRET"));
        permits("NATO SECRET//REL TO DEU", subject("DEU", "COSMIC TOP SECRET"));
        permits("NATO UNCLASSIFIED", subject("DEU", "NATO UNCLASSIFIED"));
    }

    @Test
    void noClearanceAtAll() {
        assertThat(denies("NATO RESTRICTED", subject("DEU", List.of())).reason())
                .isEqualTo("no clearance under policy NATO or a policy equivalent to it; the label is NATO RESTRICTED");
    }

    @Test
    void nationalClearancesReadNatoThroughEquivalences() {
        permits("NATO SECRET", subject("DEU", "GEHEIM"));
        assertThat(denies("NATO SECRET", subject("DEU", "VS-VERTRAULICH")).reason())
                .isEqualTo("clearance VS-VERTRAULICH is below NATO SECRET");
        permits("NATO SECRET", subject("USA", "USA SECRET"));
        permits("NATO CONFIDENTIAL", subject("USA", "CONFIDENTIAL"));
        denies("NATO SECRET", subject("USA", "CONFIDENTIAL"));
        permits("COSMIC TOP SECRET", subject("GBR", "GBR TOP SECRET"));
    }

    @Test
    void frenchSecretReadsNatoConfidentialAndSecret() {
        permits("NATO CONFIDENTIAL", subject("FRA", "FRA SECRET"));
        permits("NATO SECRET", subject("FRA", "FRA SECRET"));
        denies("COSMIC TOP SECRET", subject("FRA", "FRA SECRET"));
        denies("NATO CONFIDENTIAL", subject("FRA", "DIFFUSION RESTREINTE"));
        permits("NATO CONFIDENTIAL", subject("GBR", "GBR SECRET"));
    }

    @Test
    void natoConfidentialDoesNotReadFrenchSecretBecauseItIsAlsoNatoSecret() {
        // FRA SECRET is equivalent to both NATO SECRET and NATO CONFIDENTIAL: the higher one is required
        assertThat(denies("FRA SECRET", subject("FRA", "NATO CONFIDENTIAL")).reason())
                .isEqualTo("clearance NATO CONFIDENTIAL is below SECRET");
        permits("FRA SECRET", subject("FRA", "NATO SECRET"));
        denies("GBR SECRET", subject("GBR", "NATO CONFIDENTIAL"));
        permits("GBR SECRET", subject("GBR", "NATO SECRET"));
    }

    @Test
    void equivalencesChainThroughOneIntermediaryPolicy() {
        // DEU GEHEIM = NATO SECRET = FRA SECRET (declared by DEU and by FRA towards NATO, not to each other)
        permits("GEHEIM//REL TO FRA", subject("FRA", "FRA SECRET"));
        denies("GEHEIM//REL TO FRA", subject("FRA", "DIFFUSION RESTREINTE"));
        permits("FRA SECRET//REL TO DEU", subject("DEU", "GEHEIM"));
        denies("FRA SECRET//REL TO DEU", subject("DEU", "VS-VERTRAULICH"));
        permits("USA SECRET//REL TO GBR", subject("GBR", "GBR SECRET"));
    }

    @Test
    void aPolicyWithoutEquivalenceNeverSatisfiesAnother() {
        List<SecurityPolicy> policies = new ArrayList<>(DEFAULTS.policies());
        policies.add(Spif.minimal().load());
        PolicySet set = PolicySet.of(policies);
        Subject s = new Subject("DEU", List.of(new Subject.Clearance("TEST", "HIGH")), Set.of());
        Decision d = decide(set, "NATO UNCLASSIFIED", s);
        assertThat(d.permitted()).isFalse();
        assertThat(d.reason()).isEqualTo("clearance TEST HIGH (policy TEST has no equivalent of NATO UNCLASSIFIED) is below NATO UNCLASSIFIED");
        assertThat(decide(set, "TEST HIGH", s).permitted()).isTrue();
        assertThat(decide(set, "TEST HIGH", subject("DEU", "COSMIC TOP SECRET")).permitted()).isFalse();
    }

    // === categories ===============================================================================

    @Test
    void restrictiveValuesAreAllRequired() {
        String label = "NATO SECRET//REL TO DEU//COI ISR, OPS";
        assertThat(denies(label, subject("DEU", "NATO SECRET", "ISR")).reason())
                .isEqualTo("not a member of OPS, which the label requires (restrictive: all values required)");
        assertThat(denies(label, subject("DEU", "NATO SECRET")).reason()).startsWith("not a member of ISR, OPS");
        permits(label, subject("DEU", "NATO SECRET", "ISR", "OPS"));
        permits(label, subject("DEU", "NATO SECRET", "ISR", "OPS", "CYBER", "ATOMAL"));
        denies("NATO SECRET//SENS ATOMAL", subject("DEU", "NATO SECRET", "CRYPTO"));
        permits("NATO SECRET//SENS ATOMAL", subject("DEU", "NATO SECRET", "ATOMAL"));
        // the clearance is checked first
        assertThat(denies(label, subject("DEU", "NATO RESTRICTED", "ISR")).reason()).startsWith("clearance");
    }

    @Test
    void permissiveValuesOneSuffices() {
        String label = "NATO SECRET//REL TO DEU, FRA";
        permits(label, subject("FRA", "NATO SECRET"));
        permits(label, subject("DEU", "NATO SECRET"));
        assertThat(denies(label, subject("USA", "NATO SECRET")).reason())
                .isEqualTo("nationality USA (and its groups and memberships) is not among 'Releasable To': FRA, DEU");
    }

    @Test
    void groupsExpandToTheirMembers() {
        permits("NATO SECRET//REL TO NATO", subject("DEU", "NATO SECRET"));
        denies("NATO SECRET//REL TO NATO", subject("AUS", "NATO SECRET"));
        denies("NATO SECRET//REL TO EU", subject("USA", "NATO SECRET"));
        permits("NATO SECRET//REL TO EU", subject("AUT", "NATO SECRET"));
        permits("NATO SECRET//REL TO FVEY", subject("AUS", "NATO SECRET"));
        denies("NATO SECRET//REL TO FVEY", subject("DEU", "NATO SECRET"));
        permits("NATO SECRET//REL TO KFOR", subject("UKR", "NATO SECRET"));
        permits("NATO SECRET//REL TO JPN, FVEY", subject("JPN", "NATO SECRET"));
        permits("GBR SECRET//EYES FVEY", subject("NZL", "GBR SECRET"));
        denies("GBR SECRET//EYES GBR", subject("USA", "USA TOP SECRET"));
        // a permissive category that is not a release list works the same way
        permits("NATO SECRET//CTX EU", subject("FRA", "NATO SECRET"));
        denies("NATO SECRET//CTX EU", subject("USA", "NATO SECRET"));
    }

    @Test
    void informativeCategoriesAreIgnored() {
        Subject s = subject("DEU", "NATO SECRET");
        permits("NATO SECRET//ADMIN STAFF, MEDICAL", s);
        assertThat(decide("NATO SECRET//REL TO FRA//ADMIN STAFF", s)).isEqualTo(decide("NATO SECRET//REL TO FRA", s));
        assertThat(DEFAULTS.compile(compact("NATO SECRET//ADMIN PERSONAL")).releasableNations())
                .isEqualTo(DEFAULTS.compile(compact("NATO SECRET")).releasableNations());
    }

    @Test
    void aCommunityOfInterestNeverStandsInForANationalityNorTheReverse() {
        // NATO's community of interest ISR (intelligence, surveillance, reconnaissance) is spelt like
        // Israel's ISO 3166-1 code. A policy that releases to Israel and also knows a COI ISR must
        // keep the two apart.
        Spif s = Spif.minimal();
        s.tagSet("Releasable To").value(new Val("ISR", 376).phrase("", "Israel"));
        s.tagSet("Caveats").value(new Val("ISR", 4));
        List<SecurityPolicy> policies = new ArrayList<>(DEFAULTS.policies());
        policies.add(s.load());
        PolicySet set = PolicySet.of(policies);
        Subject germanInIsrCommunity = new Subject("DEU", List.of(new Subject.Clearance("TEST", "HIGH")), Set.of("ISR"));
        Subject israeliOutsideIt = new Subject("ISR", List.of(new Subject.Clearance("TEST", "HIGH")), Set.of());
        Subject israeliInIt = new Subject("ISR", List.of(new Subject.Clearance("TEST", "HIGH")), Set.of("ISR"));

        Decision d = decide(set, "TEST HIGH//REL TO ISR", germanInIsrCommunity);
        assertThat(d.permitted()).as(d.toString()).isFalse();
        assertThat(d.reason()).isEqualTo("nationality DEU (and its groups and memberships) is not among 'Releasable To': ISR");
        assertThat(decide(set, "TEST HIGH//REL TO ISR", israeliOutsideIt).permitted()).isTrue();

        Decision r = decide(set, "TEST HIGH//REL TO ISR//CAV ISR", israeliOutsideIt);
        assertThat(r.permitted()).as(r.toString()).isFalse();
        assertThat(r.reason()).isEqualTo("not a member of ISR, which the label requires (restrictive: all values required)");
        assertThat(decide(set, "TEST HIGH//REL TO ISR//CAV ISR", israeliInIt).permitted()).isTrue();
        assertThat(set.compile(set.decode(LabelFormat.COMPACT, "TEST HIGH//REL TO ISR//CAV ISR")).releasableNations()).containsExactly("ISR");
    }

    // === releasability ============================================================================

    @Test
    void defaultReleaseOfANatoLabelIsEveryNatoMember() {
        CompiledLabel l = DEFAULTS.compile(compact("NATO SECRET"));
        assertThat(l.releasableNations()).hasSize(32).isEqualTo(NATO_MEMBERS);
        assertThat(l.releasableTo("DEU")).isTrue();
        assertThat(l.releasableTo("JPN")).isFalse();
        assertThat(l.releasableTo("AUT")).isFalse();
        assertThat(denies("NATO SECRET", subject("JPN", "NATO SECRET")).reason()).isEqualTo("nationality JPN is outside the default "
                + "release of policy NATO (NATO), which applies to a label without a release list");
        permits("NATO SECRET", subject("TUR", "NATO SECRET"));
    }

    @Test
    void defaultReleaseOfANationalLabelIsThatNation() {
        assertThat(DEFAULTS.compile(compact("GEHEIM")).releasableNations()).containsExactly("DEU");
        assertThat(DEFAULTS.compile(compact("FRA SECRET//SF SPECIAL FRANCE")).releasableNations()).containsExactly("FRA");
        assertThat(DEFAULTS.compile(compact("USA SECRET//SCI SI")).releasableNations()).containsExactly("USA");
        assertThat(DEFAULTS.compile(compact("OFFICIAL")).releasableNations()).containsExactly("GBR");
        permits("GEHEIM", subject("DEU", "GEHEIM"));
        denies("GEHEIM", subject("FRA", "FRA TRÈS SECRET"));
    }

    @Test
    void defaultReleaseOfANationalPolicyWhoseNationIsListedNowhereElse() {
        Spif s = Spif.minimal();
        s.name = "CHE";
        s.releasability.put("Releasable To", "");
        PolicySet set = PolicySet.of(s.load());
        CompiledLabel l = set.compile(set.decode(LabelFormat.COMPACT, "CHE LOW"));
        Subject swiss = new Subject("CHE", List.of(new Subject.Clearance("CHE", "LOW")), Set.of());
        assertThat(l.permits(set.compile(swiss))).isTrue();
        // the nation whose users may read it may hold it
        assertThat(l.releasableTo("CHE")).isTrue();
        assertThat(l.releasableNations()).containsExactly("CHE");
    }

    @Test
    void releaseListsAndOnly() {
        CompiledLabel l = DEFAULTS.compile(compact("NATO SECRET//REL TO DEU, JPN//COI ISR"));
        assertThat(l.releasableNations()).containsExactly("DEU", "JPN");
        assertThat(l.releasableTo("JPN")).isTrue();
        assertThat(l.releasableTo("FRA")).isFalse();
        assertThat(l.releasableTo("XXX")).isFalse();
        assertThat(l.releasableTo("deu")).isFalse();
        assertThat(DEFAULTS.compile(compact("NATO SECRET//ONLY DEU")).releasableNations()).containsExactly("DEU");
        assertThat(DEFAULTS.compile(compact("NATO SECRET//REL TO FVEY")).releasableNations())
                .containsExactly("AUS", "CAN", "GBR", "NZL", "USA");
        assertThat(DEFAULTS.compile(compact("GBR SECRET//EYES FVEY")).releasableNations())
                .containsExactly("AUS", "CAN", "GBR", "NZL", "USA");
        Set<String> natoAndEu = new java.util.TreeSet<>(NATO_MEMBERS);
        natoAndEu.retainAll(DEFAULTS.groups().get("EU"));
        assertThat(DEFAULTS.compile(compact("NATO SECRET//CTX EU")).releasableNations()).isEqualTo(natoAndEu).hasSize(23);
        assertThat(DEFAULTS.compile(compact("NATO SECRET//REL TO KFOR")).releasableNations())
                .contains("UKR", "CHE", "MDA", "ARM").doesNotContain("FRA", "ESP");
    }

    // === dominant label ===========================================================================

    @Test
    void dominantTakesTheHighestClassificationAndTheUnionOfRestrictiveAndInformativeValues() {
        ConfidentialityLabel d = DEFAULTS.dominant(List.of(
                compact("NATO CONFIDENTIAL//REL TO DEU, FRA//ADMIN STAFF//COI ISR"),
                compact("NATO SECRET//REL TO FRA, GBR//SENS CRYPTO//COI OPS"),
                compact("NATO RESTRICTED//REL TO FRA//ADMIN MEDICAL")));
        assertThat(DEFAULTS.canonicalMarking(d)).isEqualTo("NATO SECRET//SENS CRYPTO//REL TO FRA//ADMIN STAFF, MEDICAL//COI ISR, OPS");
    }

    @Test
    void dominantIntersectsReleaseListsWithGroupsExpanded() {
        assertThat(dominant("NATO SECRET//REL TO NATO", "NATO SECRET//REL TO FVEY")).isEqualTo("NATO SECRET//REL TO CAN, GBR, USA");
        assertThat(dominant("NATO SECRET//REL TO EU, JPN", "NATO SECRET//REL TO DEU, JPN, USA")).isEqualTo("NATO SECRET//REL TO DEU, JPN");
        // a label without a release list counts as its policy's default release (all NATO members)
        assertThat(dominant("NATO SECRET", "NATO CONFIDENTIAL//REL TO DEU, JPN")).isEqualTo("NATO SECRET//REL TO DEU");
        assertThat(dominant("NATO SECRET", "NATO RESTRICTED")).isEqualTo("NATO SECRET");
        assertThat(dominant("GEHEIM", "VS-VERTRAULICH//REL TO FRA, DEU")).isEqualTo("GEHEIM//REL TO DEU");
        assertThat(dominant("NATO SECRET//ONLY DEU", "NATO SECRET")).isEqualTo("NATO SECRET//ONLY DEU");
    }

    @Test
    void dominantIntersectsOtherPermissiveCategoriesByTheirOwnValues() {
        // Context's values are groups (NATO, EU, KFOR), not nations: they are compared as they are.
        assertThat(dominant("NATO SECRET//CTX NATO")).isEqualTo("NATO SECRET//CTX NATO");
        assertThat(dominant("NATO SECRET//CTX NATO, EU", "NATO SECRET//CTX EU, KFOR")).isEqualTo("NATO SECRET//CTX EU");
    }

    @Test
    void dominantKeepsACommonPrivacyMarkOnly() {
        assertThat(dominant("NATO SECRET//PM Op X", "NATO RESTRICTED//PM Op X")).isEqualTo("NATO SECRET//PM Op X");
        assertThat(dominant("NATO SECRET//PM Op X", "NATO RESTRICTED//PM Op Y")).isEqualTo("NATO SECRET");
    }

    @Test
    void dominantOfLabelsWithNoCommonNationIsAnError() {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.dominant(List.of(compact("NATO SECRET//REL TO DEU"), compact("NATO SECRET//REL TO FRA"))));
        assertThat(e.position()).hasValue("Releasable To");
        assertThat(e.rule()).isEqualTo("the labels have no value of 'Releasable To' in common, so no one could read the combination");
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.dominant(List.of(compact("NATO SECRET"), compact("NATO SECRET//REL TO JPN")))).rule())
                .contains("no value of 'Releasable To' in common");
    }

    @Test
    void dominantAcrossPoliciesOrOfNothingIsAnError() {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.dominant(List.of(compact("NATO SECRET"), compact("GEHEIM"))));
        assertThat(e.position()).hasValue("[1].policy");
        assertThat(e.rule()).isEqualTo("labels under different policies (NATO, DEU) have no dominant label; use alternatives");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.dominant(List.of())).rule())
                .isEqualTo("the dominant label of no labels is undefined");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.dominant(List.of(
                ConfidentialityLabel.of("NATO", "SECRET", List.of()), ConfidentialityLabel.of("NATO", "SEKRET", List.of())))).position())
                .hasValue("classification");
    }

    private static String dominant(String... labels) {
        ConfidentialityLabel d = DEFAULTS.dominant(java.util.Arrays.stream(labels).map(Fixtures::compact).toList());
        assertThat(DEFAULTS.validate(d)).isEqualTo(d);
        // the dominant label is at least as strict as each label, for every nation
        CompiledLabel cd = DEFAULTS.compile(d);
        for (String l : labels) {
            assertThat(DEFAULTS.compile(compact(l)).releasableNations()).containsAll(cd.releasableNations());
        }
        return DEFAULTS.canonicalMarking(d);
    }

    // === subjects =================================================================================

    @ParameterizedTest
    @ValueSource(strings = {"de", "DE", "Germany", "DEU ", "D3U", ""})
    void badNationality(String nationality) {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.compile(new Subject(nationality, List.of(), Set.of())));
        assertThat(e.getMessage()).startsWith("subject at nationality: ");
        assertThat(e.rule()).isEqualTo("'" + nationality + "' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
    }

    @Test
    void unknownCommunityOfInterest() {
        for (String coi : List.of("MAGIC", "DEU", "NATO", "STAFF", "isr")) {
            InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                    () -> DEFAULTS.compile(new Subject("DEU", List.of(), Set.of(coi))));
            assertThat(e.position()).hasValue("cois");
            assertThat(e.rule()).isEqualTo("'" + coi + "' is not a restrictive category value (community of interest) of any loaded policy");
        }
    }

    @Test
    void unknownClearance() {
        InvalidLabelException policy = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.compile(new Subject("DEU", List.of(new Subject.Clearance("NAT0", "SECRET")), Set.of())));
        assertThat(policy.position()).hasValue("clearances");
        assertThat(policy.rule()).isEqualTo("unknown policy 'NAT0'");
        InvalidLabelException level = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.compile(new Subject("DEU", List.of(new Subject.Clearance("NATO", "GEHEIM")), Set.of())));
        assertThat(level.rule()).isEqualTo("policy NATO has no classification 'GEHEIM'");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.parseClassification("SECRET")).rule())
                .contains("ambiguous");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.parseClassification("SUPER SECRET")).rule())
                .contains("is not a classification of any loaded policy");
        assertThat(DEFAULTS.parseClassification(" geheim ")).isEqualTo(new Subject.Clearance("DEU", "GEHEIM"));
        assertThat(DEFAULTS.parseClassification("usa secret")).isEqualTo(new Subject.Clearance("USA", "SECRET"));
    }

    @Test
    void aSubjectWithSeveralClearancesNeedsOnlyOneThatSuffices() {
        Subject s = subject("FRA", List.of("DIFFUSION RESTREINTE", "NATO SECRET"));
        permits("FRA SECRET", s);
        permits("NATO SECRET", s);
        assertThat(denies("COSMIC TOP SECRET", s).reason()).isEqualTo("clearance NATO SECRET, DIFFUSION RESTREINTE are below COSMIC TOP SECRET");
    }
}
