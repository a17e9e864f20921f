package io.bulwark.label;

import io.bulwark.label.Spif.Val;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static io.bulwark.label.Fixtures.compact;
import static io.bulwark.label.Fixtures.informative;
import static io.bulwark.label.Fixtures.permissive;
import static io.bulwark.label.Fixtures.restrictive;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Validation against the policy's rules: each error names the position and the rule. */
class ValidationTest {

    private static final String REL = "Releasable To";
    private static final String COI = "Communities of Interest";
    private static final String SENS = "Additional Sensitivity";

    // === unknown things ===========================================================================

    @Test
    void unknownPolicy() {
        invalid(ConfidentialityLabel.of("NAT0", "SECRET", List.of()), "policy",
                "unknown policy 'NAT0'; known: NATO, DEU, FRA, GBR, USA");
    }

    @Test
    void unknownClassification() {
        invalid(ConfidentialityLabel.of("NATO", "SEKRET", List.of()), "classification",
                "policy NATO has no classification 'SEKRET'; it has UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET");
        // a classification of another policy is unknown here
        invalid(ConfidentialityLabel.of("NATO", "GEHEIM", List.of()), "classification", "policy NATO has no classification 'GEHEIM'");
    }

    @Test
    void unknownTag() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL, "DEU"), restrictive("Sonderzugang", "KRYPTO"))),
                "categories[1].tagName", "policy NATO has no category 'Sonderzugang'; it has Additional Sensitivity, Releasable To");
    }

    @Test
    void unknownValue() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(restrictive(COI, "ISR", "MAGIC"))),
                "categories[0].values", "'Communities of Interest' has no value 'MAGIC' in policy NATO");
    }

    @ParameterizedTest
    @ValueSource(strings = {"XYZ", "deu", "ISR", "CHN", "Germany"})
    void unknownNation(String nation) {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL, "DEU", nation))),
                "categories[0].values", "'Releasable To' has no value '" + nation + "' in policy NATO");
    }

    @Test
    void unknownValueInACompactMarkingNamesItsOffset() {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU, XYZ"));
        assertThat(e.position()).hasValue("offset 25");
        assertThat(e.rule()).isEqualTo("'XYZ' is not a value of 'Releasable To' in policy NATO");
        InvalidLabelException tag = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU//COLOUR RED"));
        assertThat(tag.position()).hasValue("offset 25");
        assertThat(tag.rule()).startsWith("'COLOUR RED' does not start with a category of policy NATO");
    }

    // === duplicates and types =====================================================================

    @Test
    void duplicateCategory() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL, "DEU"), restrictive(COI, "ISR"), permissive(REL, "FRA"))),
                "categories[2]", "duplicate category 'Releasable To': a label carries each category once, with all its values");
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU//REL TO FRA"));
        assertThat(e.position()).hasValue("offset 25");
        assertThat(e.rule()).isEqualTo("duplicate category 'Releasable To'");
    }

    @Test
    void duplicateValue() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL, "DEU", "FRA", "DEU"))),
                "categories[0].values[2]", "duplicate value 'DEU' in 'Releasable To'");
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//COI ISR, isr")).rule())
                .isEqualTo("duplicate value 'ISR' in 'Communities of Interest'");
    }

    @Test
    void typeMismatch() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(restrictive(REL, "DEU"))),
                "categories[0].type", "'Releasable To' is PERMISSIVE in policy NATO, not RESTRICTIVE");
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(COI, "ISR"))),
                "categories[0].type", "'Communities of Interest' is RESTRICTIVE in policy NATO, not PERMISSIVE");
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive("Administrative", "STAFF"))),
                "categories[0].type", "'Administrative' is INFORMATIVE in policy NATO, not PERMISSIVE");
    }

    @Test
    void emptyCategory() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL))), "categories[0].values",
                "a category needs at least one value");
    }

    @Test
    void tooManyCategoriesOrValues() {
        List<Category> many = Collections.nCopies(65, permissive(REL, "DEU"));
        invalid(ConfidentialityLabel.of("NATO", "SECRET", many), "categories", "at most 64 categories");
        List<String> values = Collections.nCopies(513, "DEU");
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(new Category(CategoryType.PERMISSIVE, REL, values))),
                "categories[0].values", "at most 512 values");
    }

    // === rules of the policy ======================================================================

    @Test
    void excludedClass() {
        invalid(ConfidentialityLabel.of("NATO", "RESTRICTED", List.of(restrictive(SENS, "ATOMAL"))), "categories[0].values",
                "value 'ATOMAL' of 'Additional Sensitivity' is excluded at classification RESTRICTED (SPIF excludedClass)");
        invalid(ConfidentialityLabel.of("NATO", "UNCLASSIFIED", List.of(permissive(REL, "DEU"), restrictive(COI, "ISR", "CYBER"))),
                "categories[1].values",
                "value 'CYBER' of 'Communities of Interest' is excluded at classification UNCLASSIFIED (SPIF excludedClass)");
        invalid(ConfidentialityLabel.of("USA", "CONFIDENTIAL", List.of(restrictive("SCI", "SI"))), "categories[0].values",
                "value 'SI' of 'SCI' is excluded at classification CONFIDENTIAL (SPIF excludedClass)");
        // the same values are fine at a higher classification
        assertThat(DEFAULTS.validate(ConfidentialityLabel.of("NATO", "CONFIDENTIAL", List.of(restrictive(SENS, "ATOMAL"))))).isNotNull();
        assertThat(DEFAULTS.validate(ConfidentialityLabel.of("NATO", "RESTRICTED", List.of(restrictive(COI, "CYBER"))))).isNotNull();
    }

    @Test
    void excludedCategoryOfAClassification() {
        invalid(ConfidentialityLabel.of("NATO", "UNCLASSIFIED", List.of(restrictive(SENS, "BALK"))), "categories",
                "'Additional Sensitivity' is excluded at classification UNCLASSIFIED (SPIF excludedCategory)");
    }

    @Test
    void excludedCategoryOfAValue() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive(REL, "FRA"), permissive("Only", "DEU"))), "categories",
                "'Only' DEU excludes 'Releasable To' (SPIF excludedCategory)");
        invalid(ConfidentialityLabel.of("GBR", "SECRET", List.of(permissive(REL, "USA"), permissive("Eyes Only", "FVEY"))), "categories",
                "'Eyes Only' FVEY excludes 'Releasable To' (SPIF excludedCategory)");
        invalid(ConfidentialityLabel.of("FRA", "SECRET", List.of(permissive(REL, "DEU"), restrictive("Spécial France", "SPECIAL FRANCE"))),
                "categories", "'Spécial France' SPECIAL FRANCE excludes 'Releasable To' (SPIF excludedCategory)");
    }

    @Test
    void singleSelection() {
        invalid(ConfidentialityLabel.of("NATO", "SECRET", List.of(permissive("Only", "DEU", "FRA"))), "categories[0].values",
                "'Only' takes a single value (SPIF singleSelection)");
        assertThat(DEFAULTS.canonicalMarking(compact("NATO SECRET//ONLY DEU"))).isEqualTo("NATO SECRET//ONLY DEU");
    }

    @Test
    void obsoleteValue() {
        invalid(ConfidentialityLabel.of("NATO", "TOP SECRET", List.of(restrictive(SENS, "ATOMAL", "SIOP-ESI"))), "categories[0].values",
                "value 'SIOP-ESI' of 'Additional Sensitivity' is obsolete in policy NATO (SPIF obsolete)");
    }

    @Test
    void requiredCategoryOfAClassification() {
        Spif s = Spif.minimal();
        s.classification("HIGH").child(Spif.required("oneOrMore", Spif.ref("categoryGroup", "1.2.3.4.2", null)));
        s.classification("MID").child(Spif.required("onlyOne",
                Spif.ref("categoryGroup", "1.2.3.4.2", 1L), Spif.ref("categoryGroup", "1.2.3.4.2", 2L)));
        PolicySet set = PolicySet.of(s.load());
        invalid(set, ConfidentialityLabel.of("TEST", "HIGH", List.of(permissive(REL, "DEU"))), "categories",
                "classification HIGH requires at least one of ['Caveats'] (SPIF requiredCategory)");
        assertThat(set.canonicalMarking(set.decode(LabelFormat.COMPACT, "TEST HIGH//CAV BRAVO"))).isEqualTo("TEST HIGH//CAV BRAVO");
        invalid(set, ConfidentialityLabel.of("TEST", "MID", List.of(restrictive("Caveats", "ALPHA", "BRAVO"))), "categories",
                "classification MID requires exactly one of ['Caveats' ALPHA, 'Caveats' BRAVO] (SPIF requiredCategory)");
        invalid(set, ConfidentialityLabel.of("TEST", "MID", List.of(restrictive("Caveats", "CHARLIE"))), "categories",
                "classification MID requires exactly one of ['Caveats' ALPHA, 'Caveats' BRAVO] (SPIF requiredCategory)");
        assertThat(set.validate(ConfidentialityLabel.of("TEST", "MID", List.of(restrictive("Caveats", "BRAVO", "CHARLIE"))))).isNotNull();
    }

    @Test
    void requiredCategoryOfAValue() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("ALPHA").child(Spif.required("all",
                Spif.ref("categoryGroup", "1.2.3.4.1", 276L), Spif.ref("categoryGroup", "1.2.3.4.2", 3L)));
        PolicySet set = PolicySet.of(s.load());
        invalid(set, ConfidentialityLabel.of("TEST", "LOW", List.of(permissive(REL, "DEU"), restrictive("Caveats", "ALPHA"))),
                "categories", "'Caveats' ALPHA requires all of ['Releasable To' DEU, 'Caveats' CHARLIE] (SPIF requiredCategory)");
        assertThat(set.validate(ConfidentialityLabel.of("TEST", "LOW",
                List.of(permissive(REL, "FRA", "DEU"), restrictive("Caveats", "ALPHA", "CHARLIE"))))).isNotNull();
    }

    @Test
    void excludedClassInASmallPolicy() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value(new Val("DELTA", 4).excludedClass("LOW").excludedClass("MID"));
        PolicySet set = PolicySet.of(s.load());
        invalid(set, ConfidentialityLabel.of("TEST", "MID", List.of(restrictive("Caveats", "DELTA"))), "categories[0].values",
                "value 'DELTA' of 'Caveats' is excluded at classification MID (SPIF excludedClass)");
        assertThat(set.validate(ConfidentialityLabel.of("TEST", "HIGH", List.of(restrictive("Caveats", "DELTA"))))).isNotNull();
    }

    // === privacy mark =============================================================================

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", " STAFF", "STAFF ", "<b>", "a/b", "a//b", "[x]", "tab\there", "new\nline", "quote\"", "a&b", "semi;colon\u0000"})
    void invalidPrivacyMarks(String mark) {
        invalid(new ConfidentialityLabel("NATO", "SECRET", Optional.of(mark), List.of(), Optional.empty(), Optional.empty(), List.of()),
                "privacyMark", "a privacy mark is 1 to 200 letters, digits, spaces and . , : ; ' _ + - with no surrounding spaces");
    }

    @Test
    void privacyMarkLength() {
        String ok = "x".repeat(200);
        assertThat(DEFAULTS.validate(withMark(ok)).privacyMark()).contains(ok);
        invalid(withMark(ok + "x"), "privacyMark", "a privacy mark is 1 to 200");
        assertThat(DEFAULTS.validate(withMark("Études 2026: phase 1.a, team_B + ops-cell; O'Brien")).privacyMark()).isPresent();
    }

    @Test
    void privacyMarkInMarkings() {
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//PM")).position()).hasValue("privacyMark");
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.COMPACT, "NATO SECRET//PM A//PM B")).rule()).isEqualTo("only one privacy mark (PM)");
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.MARKING, "NATO SECRET []")).position()).hasValue("privacyMark");
        assertThat(catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.MARKING, "NATO SECRET STAFF]")).rule()).isEqualTo("']' without '['");
    }

    private static ConfidentialityLabel withMark(String mark) {
        return new ConfidentialityLabel("NATO", "SECRET", Optional.of(mark), List.of(), Optional.empty(), Optional.empty(), List.of());
    }

    // === times and alternatives ===================================================================

    @Test
    void reviewBeforeCreation() {
        ConfidentialityLabel l = new ConfidentialityLabel("NATO", "SECRET", Optional.empty(), List.of(),
                Optional.of(Instant.parse("2026-01-02T00:00:00Z")), Optional.of(Instant.parse("2026-01-01T00:00:00Z")), List.of());
        invalid(l, "reviewTime", "the review time is before the creation time");
    }

    @Test
    void alternatives() {
        ConfidentialityLabel nato = compact("NATO SECRET");
        invalid(withAlternatives(nato, List.of(compact("GEHEIM"), compact("NATO CONFIDENTIAL"))), "alternatives[1].policy",
                "an alternative label is under another policy than the label and the other alternatives");
        invalid(withAlternatives(nato, List.of(compact("GEHEIM"), compact("VS-VERTRAULICH"))), "alternatives[1].policy",
                "an alternative label is under another policy");
        invalid(withAlternatives(nato, List.of(compact("GEHEIM").withCreationTime(Instant.EPOCH))), "alternatives[0]",
                "an alternative label carries no times and no alternatives of its own");
        invalid(withAlternatives(nato, List.of(ConfidentialityLabel.of("DEU", "GEHEIM", List.of(restrictive("Sonderzugang", "X"))))),
                "alternatives[0].categories[0].values", "'Sonderzugang' has no value 'X' in policy DEU");
        invalid(withAlternatives(nato, Collections.nCopies(9, compact("GEHEIM"))), "alternatives", "at most 8 alternative labels");
    }

    private static ConfidentialityLabel withAlternatives(ConfidentialityLabel l, List<ConfidentialityLabel> alternatives) {
        return new ConfidentialityLabel(l.policy(), l.classification(), l.privacyMark(), l.categories(), l.creationTime(),
                l.reviewTime(), alternatives);
    }

    // === canonical form ===========================================================================

    @Test
    void validateReturnsTheCanonicalForm() {
        ConfidentialityLabel messy = ConfidentialityLabel.of("1.3.26.1.3.1", "SECRET", new ArrayList<>(List.of(
                restrictive(COI, "OPS", "ISR"), informative("Administrative", "STAFF", "MANAGEMENT"), permissive(REL, "USA", "DEU"))));
        ConfidentialityLabel canonical = DEFAULTS.validate(messy);
        assertThat(canonical).isEqualTo(ConfidentialityLabel.of("NATO", "SECRET", List.of(
                permissive(REL, "DEU", "USA"), informative("Administrative", "MANAGEMENT", "STAFF"), restrictive(COI, "ISR", "OPS"))));
        assertThat(DEFAULTS.validate(canonical)).isEqualTo(canonical);
    }

    // ---------------------------------------------------------------------------------------------

    private static void invalid(ConfidentialityLabel l, String position, String rule) {
        invalid(DEFAULTS, l, position, rule);
    }

    private static void invalid(PolicySet set, ConfidentialityLabel l, String position, String rule) {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class, () -> set.validate(l));
        assertThat(e).as("should be invalid: %s", l).isNotNull();
        assertThat(e.position()).as(e.getMessage()).hasValue(position);
        assertThat(e.rule()).as(e.getMessage()).contains(rule);
        assertThat(e.getMessage()).isEqualTo("label at " + position + ": " + e.rule());
        // the compiler refuses what validation refuses, with the same error
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> set.compile(l))).hasMessage(e.getMessage());
    }
}
