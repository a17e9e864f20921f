package io.bulwark.label;

import io.bulwark.label.SecurityPolicy.Classification;
import io.bulwark.label.Spif.Cls;
import io.bulwark.label.Spif.Val;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Loading SPIF policies: the bundled ones load; a SPIF that contradicts itself fails precisely. */
class SpifLoadingTest {

    // === what loads ===============================================================================

    @Test
    void everyBundledPolicyLoads() {
        PolicySet defaults = PolicySet.defaults();
        assertThat(defaults.policies()).extracting(SecurityPolicy::name).containsExactly("NATO", "DEU", "FRA", "GBR", "USA");
        SecurityPolicy nato = defaults.policy("NATO").orElseThrow();
        assertThat(nato.id()).isEqualTo("1.3.26.1.3.1");
        assertThat(nato.classifications()).extracting(Classification::name)
                .containsExactly("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET");
        assertThat(nato.tagSets()).extracting(SecurityPolicy.TagSet::name).containsExactly("Additional Sensitivity",
                "Releasable To", "Only", "Context", "Administrative", "Communities of Interest");
        assertThat(nato.groups().get("NATO")).hasSize(32);
        assertThat(nato.groups().get("FVEY")).containsExactlyInAnyOrder("AUS", "CAN", "GBR", "NZL", "USA");
        assertThat(nato.defaultRelease()).containsExactly("NATO");
        assertThat(defaults.policy("DEU").orElseThrow().defaultRelease()).containsExactly("DEU");
        assertThat(defaults.policy("FRA").orElseThrow().classifications()).hasSize(4);
        assertThat(defaults.policy("GBR").orElseThrow().tagSet("Eyes Only").orElseThrow().singleSelection()).isTrue();
        assertThat(defaults.policy("USA").orElseThrow().tagSet("SCI").orElseThrow().type()).isEqualTo(CategoryType.RESTRICTIVE);
        // by id as well as by name
        assertThat(defaults.policy("1.3.26.1.3.1")).containsSame(nato);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nato", "deu", "fra", "gbr", "usa"})
    void eachBundledFileLoadsOnItsOwn(String file) throws IOException {
        try (InputStream in = PolicySet.class.getResourceAsStream("policies/" + file + ".xml")) {
            SecurityPolicy p = SecurityPolicy.fromSpif(in, file + ".xml");
            assertThat(p.name()).isEqualTo(file.toUpperCase());
            assertThat(p.classifications()).isSortedAccordingTo((a, b) -> Integer.compare(a.hierarchy(), b.hierarchy()));
            assertThat(PolicySet.of(p).policies()).containsExactly(p);
        }
    }

    @Test
    void theMinimalTestPolicyLoads() {
        SecurityPolicy p = Spif.minimal().load();
        assertThat(p.name()).isEqualTo("TEST");
        assertThat(p.classifications()).extracting(Classification::name).containsExactly("LOW", "MID", "HIGH");
        assertThat(p.groups()).containsEntry("ALLIES", Set.of("DEU", "FRA", "GBR"));
        assertThat(p.defaultRelease()).containsExactly("ALLIES");
        assertThat(p.tagSet("Releasable To").orElseThrow().releasability()).isTrue();
        assertThat(p.tagSet("Caveats").orElseThrow().compactPrefix()).isEqualTo("CAV");
    }

    @Test
    void groupsOfGroupsExpandToNations() {
        Spif s = Spif.minimal();
        s.groups.put("WIDER", List.of("ALLIES", "USA"));
        assertThat(s.load().groups()).containsEntry("WIDER", Set.of("DEU", "FRA", "GBR", "USA"));
    }

    // === duplicates ===============================================================================

    @Test
    void duplicateClassificationName() {
        Spif s = Spif.minimal();
        s.classifications.add(new Cls("MID", 7, 7));
        fails(s, "securityClassification[name=MID]", "duplicate classification name");
        Spif cased = Spif.minimal();
        cased.classifications.add(new Cls("Mid", 7, 7));
        fails(cased, "securityClassification[name=Mid]", "duplicate classification name: 'Mid' differs from 'MID' only in case");
    }

    @Test
    void duplicateClassificationLacv() {
        Spif s = Spif.minimal();
        s.classifications.add(new Cls("TOP", 2, 7));
        fails(s, "securityClassification[name=TOP]", "duplicate classification lacv 2");
    }

    @Test
    void duplicateClassificationHierarchy() {
        Spif s = Spif.minimal();
        s.classifications.add(new Cls("TOP", 7, 3));
        fails(s, "securityClassification[name=TOP]", "duplicate classification hierarchy 3");
    }

    @Test
    void duplicateTagSetId() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").id = "1.2.3.4.1";
        fails(s, "securityCategoryTagSet[name=Caveats]", "duplicate tag set id 1.2.3.4.1");
    }

    @Test
    void duplicateTagCategoryName() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value(new Val("BRAVO", 9));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=BRAVO]", "duplicate tagCategory name");
        // "SCI si" would read as SI: a second value differing only in case is a second name for it.
        Spif cased = Spif.minimal();
        cased.tagSet("Caveats").value(new Val("bravo", 9));
        fails(cased, "securityCategoryTagSet[name=Caveats]/tagCategory[name=bravo]", "duplicate tagCategory name: 'bravo' differs from 'BRAVO' only in case");
    }

    @Test
    void duplicateTagCategoryLacv() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value(new Val("DELTA", 2));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=DELTA]", "duplicate tagCategory lacv 2");
    }

    @Test
    void duplicateNationGroup() {
        Spif s = Spif.minimal();
        s.extraExtensions.add("<bw:nationGroup name=\"ALLIES\"><bw:member>USA</bw:member></bw:nationGroup>");
        fails(s, "extensions/bulwark/nationGroup[name=ALLIES]", "duplicate nation group");
    }

    @Test
    void compactPrefixClash() {
        Spif s = Spif.minimal();
        s.compactPrefixes.put("Caveats", "rel to");
        fails(s, "securityCategoryTagSet[name=Caveats]", "compact marking prefix 'rel to' is also that of 'Releasable To'");
    }

    // === dangling references ======================================================================

    @Test
    void excludedClassNamingAnUnknownClassification() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("ALPHA").excludedClass("TOP");
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=ALPHA]/excludedClass",
                "names classification 'TOP', which the policy does not define");
    }

    @Test
    void excludedCategoryOfAValueWithAnUnknownTagSetRef() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("ALPHA").child(Spif.ref("excludedCategory", "1.2.3.4.9", null));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=ALPHA]/excludedCategory[tagSetRef=1.2.3.4.9]",
                "no tag set has the id 1.2.3.4.9");
    }

    @Test
    void excludedCategoryOfAClassificationWithAnUnresolvedLacv() {
        Spif s = Spif.minimal();
        s.classification("LOW").child(Spif.ref("excludedCategory", "1.2.3.4.2", 99L));
        fails(s, "securityClassification[name=LOW]/excludedCategory[tagSetRef=1.2.3.4.2][lacv=99]",
                "tag set 'Caveats' has no value with lacv 99");
    }

    @Test
    void requiredCategoryWithAnUnknownTagSetRef() {
        Spif s = Spif.minimal();
        s.classification("HIGH").child(Spif.required("oneOrMore", Spif.ref("categoryGroup", "1.7.7", null)));
        fails(s, "securityClassification[name=HIGH]/requiredCategory/categoryGroup[tagSetRef=1.7.7]",
                "no tag set has the id 1.7.7");
    }

    @Test
    void requiredCategoryOfAValueWithAnUnresolvedLacv() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("BRAVO").child(Spif.required("all", Spif.ref("categoryGroup", "1.2.3.4.1", 4L)));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=BRAVO]/requiredCategory/categoryGroup[tagSetRef=1.2.3.4.1][lacv=4]",
                "tag set 'Releasable To' has no value with lacv 4");
    }

    @Test
    void equivalentClassificationToAPolicyNotDeclared() {
        Spif s = Spif.minimal();
        s.equivalentPolicies.put("1.3.26.1.3.1", "NATO");
        s.classification("LOW").equivalent("1.3.26.1.3.1", 1);
        s.classification("MID").equivalent("1.9.9", 2);
        fails(s, "securityClassification[name=MID]/equivalentClassification[policyRef=1.9.9]",
                "policy 1.9.9 is not declared in equivalentPolicies");
    }

    @Test
    void releasabilityNamingNoTagSet() {
        Spif s = Spif.minimal();
        s.releasability.put("Release", "");
        fails(s, "extensions/bulwark/releasability[tagSet=Release]", "no tag set is named 'Release'");
    }

    // === nation groups ============================================================================

    @Test
    void nationGroupCycleIsNamed() {
        Spif s = Spif.minimal();
        s.groups.put("AAAA", List.of("DEU", "BBBB"));
        s.groups.put("BBBB", List.of("FRA", "AAAA"));
        InvalidPolicyException e = fails(s, "extensions/bulwark/nationGroup[name=AAAA]", "nation groups form a cycle");
        assertThat(e.rule()).endsWith("AAAA -> BBBB -> AAAA");
    }

    @Test
    void nationGroupCycleOfThreeIsNamed() {
        Spif s = Spif.minimal();
        s.groups.put("AAAA", List.of("BBBB"));
        s.groups.put("BBBB", List.of("CCCC"));
        s.groups.put("CCCC", List.of("USA", "AAAA"));
        assertThat(fails(s, "extensions/bulwark/nationGroup[name=AAAA]", "cycle").rule())
                .endsWith("AAAA -> BBBB -> CCCC -> AAAA");
    }

    @Test
    void nationGroupContainingItself() {
        Spif s = Spif.minimal();
        s.groups.get("ALLIES").add("ALLIES");
        assertThat(fails(s, "extensions/bulwark/nationGroup[name=ALLIES]", "cycle").rule()).endsWith("ALLIES -> ALLIES");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Germany", "de", "DE", "DEUT", "D3U", "deu"})
    void groupMemberThatIsNeitherANationNorAGroup(String member) {
        Spif s = Spif.minimal();
        s.groups.get("ALLIES").add(member);
        fails(s, "extensions/bulwark/nationGroup[name=ALLIES]/member",
                "'" + member + "' is neither a nation (ISO 3166-1 alpha-3) nor a group of the policy");
    }

    @Test
    void releasabilityValueThatIsNeitherANationNorAGroup() {
        Spif s = Spif.minimal();
        s.tagSet("Releasable To").value(new Val("Europe", 2000));
        fails(s, "securityCategoryTagSet[name=Releasable To]/tagCategory[name=Europe]", "a nation (ISO 3166-1 alpha-3) or a nation group");
    }

    @Test
    void releasabilityTagSetThatIsNotPermissive() {
        Spif s = Spif.minimal();
        s.releasability.put("Caveats", "");
        fails(s, "extensions/bulwark/releasability[tagSet=Caveats]", "a releasability tag set must be permissive; 'Caveats' is RESTRICTIVE");
    }

    // === contradictions ===========================================================================

    @Test
    void valueBothRequiredAndExcluded() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("ALPHA")
                .child(Spif.ref("excludedCategory", "1.2.3.4.1", 276L))
                .child(Spif.required("all", Spif.ref("categoryGroup", "1.2.3.4.1", 276L)));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=ALPHA]",
                "contradiction: 'Releasable To' DEU is both required and excluded");
    }

    @Test
    void classificationBothRequiringAndExcludingATagSet() {
        Spif s = Spif.minimal();
        s.classification("HIGH")
                .child(Spif.ref("excludedCategory", "1.2.3.4.2", null))
                .child(Spif.required("all", Spif.ref("categoryGroup", "1.2.3.4.2", null)));
        fails(s, "securityClassification[name=HIGH]", "contradiction: 'Caveats' is both required and excluded");
    }

    @Test
    void valueExcludingItself() {
        Spif s = Spif.minimal();
        s.tagSet("Caveats").value("ALPHA").child(Spif.ref("excludedCategory", "1.2.3.4.2", 1L));
        fails(s, "securityCategoryTagSet[name=Caveats]/tagCategory[name=ALPHA]/excludedCategory", "a value cannot exclude itself");
    }

    // === not a SPIF ===============================================================================

    @Test
    void wrongRootElement() {
        Spif s = Spif.minimal();
        s.root = "spif:Policy";
        fails(s, "root element <spif:Policy>", "an Open XML SPIF document has the root element SPIF in namespace " + Spif.SPIF_NS);
    }

    @Test
    void wrongNamespace() {
        Spif s = Spif.minimal();
        s.namespace = "http://www.xmlspif.org/spif/other";
        fails(s, "root element <spif:SPIF>", "root element SPIF in namespace " + Spif.SPIF_NS);
    }

    @Test
    void notWellFormed() {
        Spif s = Spif.minimal();
        String xml = s.xml().replace("</spif:securityClassifications>", "");
        InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class,
                () -> SecurityPolicy.fromSpif(xml.getBytes(StandardCharsets.UTF_8), "broken.xml"));
        assertThat(e.getMessage()).startsWith("broken.xml at line ");
        assertThat(e.position()).hasValueSatisfying(p -> assertThat(p).matches("line \\d+, column \\d+"));
        assertThat(e.rule()).startsWith("not well-formed XML");
    }

    @Test
    void externalEntityIsRefusedAndTheFileNeverAppears() throws IOException {
        Path passwd = Path.of("/etc/passwd");
        String secret = Files.isReadable(passwd) ? Files.readAllLines(passwd).getFirst() : "root:x:0:0";
        Spif s = Spif.minimal();
        s.prolog = "<?xml version=\"1.0\"?>\n<!DOCTYPE spif:SPIF [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n";
        s.name = "&xxe;";
        InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, s::load);
        assertThat(e.rule()).contains("DOCTYPE").contains("not allowed");
        assertThat(e.getMessage()).doesNotContain(secret).doesNotContain("root:");
    }

    @Test
    void parameterEntityAndInternalEntityExpansionAreRefused() {
        for (String doctype : List.of(
                "<!DOCTYPE x [ <!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p; ]>",
                "<!DOCTYPE x [ <!ENTITY a \"aaaaaaaaaa\"> <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"> ]>",
                "<!DOCTYPE x SYSTEM \"http://127.0.0.1:9/spif.dtd\">")) {
            Spif s = Spif.minimal();
            s.prolog = "<?xml version=\"1.0\"?>\n" + doctype + "\n";
            InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, s::load);
            assertThat(e.rule()).as(doctype).contains("DOCTYPE");
        }
    }

    @Test
    void oversizeInputIsRefusedBeforeParsing() {
        byte[] big = new byte[16 * 1024 * 1024 + 1];
        Arrays.fill(big, (byte) ' ');
        byte[] head = Spif.minimal().bytes();
        System.arraycopy(head, 0, big, 0, head.length);
        InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, () -> SecurityPolicy.fromSpif(big, "big.xml"));
        assertThat(e.rule()).isEqualTo("larger than the limit of 16777216 bytes");
        InvalidPolicyException fromStream = catchThrowableOfType(InvalidPolicyException.class,
                () -> SecurityPolicy.fromSpif(new ByteArrayInputStream(big), "big.xml"));
        assertThat(fromStream.rule()).isEqualTo("larger than the limit of 16777216 bytes");
    }

    @Test
    void emptyAndGarbageInputFailAsPolicyErrors() {
        for (String junk : List.of("", "   ", "SPIF", "{\"policy\":1}", "<a/>", "\u0000\u0001")) {
            assertThatThrownBy(() -> SecurityPolicy.fromSpif(junk.getBytes(StandardCharsets.UTF_8), "junk.xml"))
                    .as(junk).isInstanceOf(InvalidPolicyException.class).hasMessageStartingWith("junk.xml");
        }
    }

    @Test
    void missingOrMalformedAttributes() {
        expect(s -> s.id = "not-an-oid", "SPIF/securityPolicyId/@id", "'not-an-oid' is not an object identifier");
        expect(s -> s.name = " ", "SPIF/securityPolicyId", "the attribute name is required");
        expect(s -> s.classification("LOW").lacv = "-1", "securityClassification[name=LOW]/@lacv", "is not a non-negative integer");
        // The largest int marks "no clearance under this policy satisfies the label": a level there would pass it.
        expect(s -> s.classification("LOW").hierarchy = "2147483647", "securityClassification[name=LOW]/@hierarchy",
                "'2147483647' is too large (at most 2147483646)");
        expect(s -> s.tagSet("Caveats").type = "bogus", "securityCategoryTagSet[name=Caveats]/securityCategoryTag/@tagType",
                "tagType is one of restrictive, permissive, enumerated, tagType7, not 'bogus'");
        expect(s -> s.classifications.clear(), "SPIF/securityClassifications", "a policy needs at least one securityClassification");
        expect(s -> s.extraExtensions.add("<bw:frobnicate/>"), "extensions/bulwark/frobnicate", "unknown Bulwark extension element");
        expect(s -> s.compactPrefixes.put("Caveats", "PM"), "extensions/bulwark/compactMarking[tagSet=Caveats]", "reserved for the privacy mark");
        // A prefix that starts like the privacy mark would be read as one, and its category dropped.
        expect(s -> s.compactPrefixes.put("Caveats", "PM COI"), "extensions/bulwark/compactMarking[tagSet=Caveats]", "reserved for the privacy mark");
        expect(s -> s.tagSet("Caveats").name = "PM Caveats", "securityCategoryTagSet[name=PM Caveats]", "would be read as the privacy mark");
        // A marking reads a tab as white space: a prefix holding one would be split, or read as the privacy mark.
        // (A character reference: XML turns a literal tab in an attribute into a space.)
        expect(s -> {
            s.compactPrefixes.remove("Caveats");
            s.extraExtensions.add("<bw:compactMarking tagSet=\"Caveats\" prefix=\"PM&#9;COI\"/>");
        }, "extensions/bulwark/compactMarking[tagSet=Caveats]", "not a tab");
    }

    /** A marking refuses spaces but WSP (docs/formats/label-marking.md): nothing a marking is written with may hold one. */
    @Test
    void namesAndPhrasesThatMarkingsCarryHoldNoOtherWhiteSpace() {
        String rule = "holds U+00A0 (NO-BREAK SPACE): markings carry it, and they hold spaces but no other white space or control characters";
        expect(s -> s.name = "TEST\u00a0TWO", "SPIF/securityPolicyId", "the policy name 'TEST\u00a0TWO' " + rule);
        expect(s -> s.classification("LOW").phrase("de", "TEST\u00a0NIEDRIG"), "securityClassification[name=LOW]/markingData",
                "the marking phrase 'TEST\u00a0NIEDRIG' " + rule);
        expect(s -> s.tagSet("Caveats").value(new Spif.Val("EX\u00a0TRA", 4)), "securityCategoryTagSet[name=Caveats]/tagCategory[name=EX\u00a0TRA]",
                "the tagCategory name 'EX\u00a0TRA' " + rule);
        expect(s -> s.compactPrefixes.put("Caveats", "CAV\u00a0EATS"), "extensions/bulwark/compactMarking[tagSet=Caveats]",
                "the compact prefix 'CAV\u00a0EATS' " + rule);
        expect(s -> s.tagSet("Caveats").qualifier("", "prefix", "only\u2003"),
                "securityCategoryTagSet[name=Caveats]/securityCategoryTag/markingQualifier/qualifier",
                "the marking qualifier 'only\u2003' holds U+2003 (EM SPACE)");
    }

    @Test
    void twoPoliciesWithOneNameOrDisagreeingGroupsCannotBeLoadedTogether() {
        SecurityPolicy a = Spif.minimal().load();
        Spif other = Spif.minimal();
        other.id = "1.2.3.5";
        assertThatThrownBy(() -> PolicySet.of(a, other.load())).isInstanceOf(InvalidPolicyException.class)
                .hasMessageContaining("two loaded policies are named 'TEST'");
        Spif regrouped = Spif.minimal();
        regrouped.name = "OTHER";
        regrouped.id = "1.2.3.5";
        regrouped.groups.get("ALLIES").add("USA");
        assertThatThrownBy(() -> PolicySet.of(a, regrouped.load())).isInstanceOfSatisfying(InvalidPolicyException.class, e -> {
            assertThat(e.position()).hasValue("extensions/bulwark/nationGroup[name=ALLIES]");
            assertThat(e.rule()).contains("group 'ALLIES' has other members than in an earlier policy").contains("USA");
        });
    }

    // ---------------------------------------------------------------------------------------------

    private static void expect(Consumer<Spif> breakIt, String position, String rule) {
        Spif s = Spif.minimal();
        breakIt.accept(s);
        fails(s, position, rule);
    }

    private static InvalidPolicyException fails(Spif s, String position, String rule) {
        InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, s::load);
        assertThat(e).as("loading should fail:\n%s", s.xml()).isNotNull();
        assertThat(e.position()).as(e.getMessage()).hasValue(position);
        assertThat(e.rule()).as(e.getMessage()).contains(rule);
        assertThat(e.getMessage()).startsWith("test.xml at " + position + ": ");
        return e;
    }
}
