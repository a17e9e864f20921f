package io.bulwark.label;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static io.bulwark.label.Fixtures.compact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The codecs on known vectors, and exact round trips on canonical forms in every format and language. */
class CodecTest {

    /** Labels touching every tag set of every bundled policy, privacy marks included. */
    static Stream<String> corpus() {
        return Stream.of(
                "NATO UNCLASSIFIED",
                "NATO SECRET//REL TO FRA, DEU, GBR//COI ISR",
                "COSMIC TOP SECRET//SENS ATOMAL, CRYPTO//CTX NATO, EU//ADMIN STAFF//COI ISR, OPS",
                "NATO CONFIDENTIAL//ONLY DEU//PM Project Alpha",
                "NATO RESTRICTED//REL TO JPN, CHE, UKR//ADMIN MEDICAL, COMMERCIAL",
                "NATO SECRET//REL TO AUS, NZL, NATO//CTX KFOR",
                "OFFEN",
                "GEHEIM//REL TO FRA, NATO//SZ KRYPTO, FERNMELDEAUFKLÄRUNG",
                "VS-NUR FÜR DEN DIENSTGEBRAUCH//PM Übung",
                "FRA SECRET//SF SPECIAL FRANCE",
                "DIFFUSION RESTREINTE//REL TO DEU, EU",
                "TRÈS SECRET//REL TO USA",
                "GBR SECRET//EYES FVEY",
                "OFFICIAL-SENSITIVE//REL TO USA, FVEY",
                "GBR TOP SECRET//EYES GBR",
                "USA TOP SECRET//REL TO GBR, USA//SCI SI, TK, HCS",
                "CONFIDENTIAL//REL TO CAN");
    }

    // === known vectors ============================================================================

    @Test
    void aJsonLabelDecodedAgainIsTheSameAndABadOneFailsEveryTime() {
        PolicySet policies = PolicySet.defaults(); // its own decode cache
        String json = DEFAULTS.encode(compact("NATO SECRET//REL TO DEU, FRA"), LabelFormat.JSON);
        ConfidentialityLabel first = policies.decode(LabelFormat.JSON, json);
        assertThat(policies.decode(LabelFormat.JSON, json)).isSameAs(first).isEqualTo(compact("NATO SECRET//REL TO DEU, FRA"));
        String unknown = json.replace("SECRET", "SEKRET");
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> policies.decode(LabelFormat.JSON, unknown)).isInstanceOf(InvalidLabelException.class)
                    .hasMessageContaining("classification");
        }
    }


    @Test
    void compactVectorIsCanonicalisedToPolicyOrder() {
        ConfidentialityLabel l = compact("NATO SECRET//REL TO DEU, FRA, GBR//COI ISR");
        assertThat(l).isEqualTo(ConfidentialityLabel.of("NATO", "SECRET", List.of(
                Fixtures.permissive("Releasable To", "FRA", "DEU", "GBR"),
                Fixtures.restrictive("Communities of Interest", "ISR"))));
        assertThat(DEFAULTS.encode(l, LabelFormat.COMPACT)).isEqualTo("NATO SECRET//REL TO FRA, DEU, GBR//COI ISR");
        assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo("NATO SECRET//REL TO FRA, DEU, GBR//COI ISR");
        // MARKING decoding takes the compact form too, and reading is case-insensitive and order-free
        assertThat(DEFAULTS.decode(LabelFormat.MARKING, "nato secret//coi isr//rel to gbr,deu ,  fra")).isEqualTo(l);
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING)).isEqualTo("NATO SECRET Releasable to France, Germany, United Kingdom COI ISR");
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING, "fr"))
                .isEqualTo("NATO SECRET Communicable à France, Allemagne, Royaume-Uni COI ISR");
        assertThat(DEFAULTS.encode(l, LabelFormat.JSON)).isEqualTo("{\"policy\":\"NATO\",\"classification\":\"SECRET\","
                + "\"categories\":[{\"type\":\"PERMISSIVE\",\"tagName\":\"Releasable To\",\"values\":[\"FRA\",\"DEU\",\"GBR\"]},"
                + "{\"type\":\"RESTRICTIVE\",\"tagName\":\"Communities of Interest\",\"values\":[\"ISR\"]}]}");
    }

    @Test
    void displayVectorInEnglishAndFrench() {
        String en = "NATO RESTRICTED Releasable to Japan, Switzerland, Ukraine";
        String fr = "NATO DIFFUSION RESTREINTE Communicable à Japon, Suisse, Ukraine";
        ConfidentialityLabel l = DEFAULTS.decode(LabelFormat.MARKING, en);
        assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo("NATO RESTRICTED//REL TO JPN, CHE, UKR");
        assertThat(DEFAULTS.decode(LabelFormat.MARKING, fr)).isEqualTo(l);
        assertThat(DEFAULTS.decode(LabelFormat.MARKING, en.toLowerCase())).isEqualTo(l);
        assertThat(DEFAULTS.decode(LabelFormat.MARKING, fr.toUpperCase())).isEqualTo(l);
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING)).isEqualTo(en);
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING, "fr")).isEqualTo(fr);
        // a language the policy does not define falls back to its default
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING, "de")).isEqualTo(en);
    }

    @Test
    void xmlVectorWithThe4774Namespace() {
        String input = """
                <?xml version="1.0"?>
                <originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
                    ReviewDateTime="2027-01-01T00:00:00Z">
                  <ConfidentialityInformation>
                    <PolicyIdentifier URI="urn:oid:1.3.26.1.3.1">1.3.26.1.3.1</PolicyIdentifier>
                    <Classification> SECRET </Classification>
                    <Category TagName="Communities of Interest" Type="RESTRICTIVE"><GenericValue>ISR</GenericValue></Category>
                    <Category TagName="Releasable To" Type="PERMISSIVE">
                      <GenericValue>GBR</GenericValue><GenericValue>DEU</GenericValue><GenericValue>FRA</GenericValue>
                    </Category>
                  </ConfidentialityInformation>
                  <CreationDateTime>2026-11-26T12:00:00Z</CreationDateTime>
                  <AlternativeConfidentialityLabel>
                    <ConfidentialityInformation>
                      <PolicyIdentifier>DEU</PolicyIdentifier>
                      <Classification>GEHEIM</Classification>
                    </ConfidentialityInformation>
                  </AlternativeConfidentialityLabel>
                </originatorConfidentialityLabel>
                """;
        String canonical = """
                <?xml version="1.0" encoding="UTF-8"?>
                <originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0" ReviewDateTime="2027-01-01T00:00:00Z">
                  <ConfidentialityInformation>
                    <PolicyIdentifier URI="urn:oid:1.3.26.1.3.1">NATO</PolicyIdentifier>
                    <Classification>SECRET</Classification>
                    <Category TagName="Releasable To" Type="PERMISSIVE" URI="urn:oid:1.3.26.1.4.2">
                      <GenericValue>FRA</GenericValue>
                      <GenericValue>DEU</GenericValue>
                      <GenericValue>GBR</GenericValue>
                    </Category>
                    <Category TagName="Communities of Interest" Type="RESTRICTIVE" URI="urn:oid:1.3.26.1.4.6">
                      <GenericValue>ISR</GenericValue>
                    </Category>
                  </ConfidentialityInformation>
                  <CreationDateTime>2026-11-26T12:00:00Z</CreationDateTime>
                  <AlternativeConfidentialityLabel>
                    <ConfidentialityInformation>
                      <PolicyIdentifier URI="urn:oid:2.25.35308550396414098955673004438506642045">DEU</PolicyIdentifier>
                      <Classification>GEHEIM</Classification>
                    </ConfidentialityInformation>
                  </AlternativeConfidentialityLabel>
                </originatorConfidentialityLabel>
                """;
        ConfidentialityLabel l = DEFAULTS.decode(LabelFormat.XML, input);
        assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo("NATO SECRET//REL TO FRA, DEU, GBR//COI ISR");
        assertThat(l.creationTime()).contains(Instant.parse("2026-11-26T12:00:00Z"));
        assertThat(l.reviewTime()).contains(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(l.alternatives()).containsExactly(ConfidentialityLabel.of("DEU", "GEHEIM", List.of()));
        assertThat(DEFAULTS.encode(l, LabelFormat.XML)).isEqualTo(canonical);
        assertThat(DEFAULTS.decode(LabelFormat.XML, canonical)).isEqualTo(l);
        // a namespace prefix is as good as a default namespace
        String prefixed = "<s:originatorConfidentialityLabel xmlns:s=\"urn:nato:stanag:4774:confidentialitymetadatalabel:1:0\">"
                + "<s:ConfidentialityInformation><s:PolicyIdentifier>NATO</s:PolicyIdentifier>"
                + "<s:Classification>SECRET</s:Classification></s:ConfidentialityInformation></s:originatorConfidentialityLabel>";
        assertThat(DEFAULTS.canonicalMarking(DEFAULTS.decode(LabelFormat.XML, prefixed))).isEqualTo("NATO SECRET");
    }

    @Test
    void compactNamesThePolicyOnlyWhenThePhraseIsAmbiguous() {
        assertThat(DEFAULTS.canonicalMarking(compact("FRA SECRET//REL TO DEU"))).isEqualTo("FRA SECRET//REL TO DEU");
        assertThat(DEFAULTS.canonicalMarking(compact("DEU GEHEIM"))).isEqualTo("GEHEIM");
        assertThat(DEFAULTS.canonicalMarking(compact("USA CONFIDENTIAL"))).isEqualTo("CONFIDENTIAL");
        assertThat(DEFAULTS.canonicalMarking(compact("NATO TOP SECRET"))).isEqualTo("COSMIC TOP SECRET");
        PolicySet fraOnly = PolicySet.of(DEFAULTS.policy("FRA").orElseThrow());
        ConfidentialityLabel fra = fraOnly.decode(LabelFormat.COMPACT, "SECRET//REL TO DEU");
        assertThat(fraOnly.canonicalMarking(fra)).isEqualTo("SECRET//REL TO DEU");
        assertThat(fra).isEqualTo(compact("FRA SECRET//REL TO DEU"));
    }

    /** The grammar's WSP is a space or a tab, after a category's prefix and after PM as everywhere else. */
    @Test
    void aTabSeparatesLikeASpace() {
        ConfidentialityLabel l = compact("NATO SECRET//REL TO DEU, FRA//PM Exercise");
        assertThat(compact("NATO SECRET//REL TO\tDEU,\tFRA\t//PM\tExercise")).isEqualTo(l);
        assertThat(compact("\tNATO SECRET\t//\tREL TO DEU , FRA//PM   Exercise")).isEqualTo(l);
        // inside a prefix, only what the policy declares: "REL\tTO" is no prefix
        assertThatThrownBy(() -> compact("NATO SECRET//REL\tTO DEU")).isInstanceOf(InvalidLabelException.class)
                .hasMessageContaining("does not start with a category");
    }

    @Test
    void privacyMarkInEveryForm() {
        ConfidentialityLabel l = compact("NATO SECRET//REL TO DEU//PM  Exercise Steadfast, phase 2 ");
        assertThat(l.privacyMark()).contains("Exercise Steadfast, phase 2");
        assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo("NATO SECRET//REL TO DEU//PM Exercise Steadfast, phase 2");
        assertThat(DEFAULTS.encode(l, LabelFormat.MARKING)).isEqualTo("NATO SECRET Releasable to Germany [Exercise Steadfast, phase 2]");
        assertThat(DEFAULTS.decode(LabelFormat.MARKING, "NATO SECRET Releasable to Germany [Exercise Steadfast, phase 2]")).isEqualTo(l);
        assertThat(DEFAULTS.encode(l, LabelFormat.JSON)).contains("\"privacyMark\":\"Exercise Steadfast, phase 2\"");
        assertThat(DEFAULTS.encode(l, LabelFormat.XML)).contains("<PrivacyMark>Exercise Steadfast, phase 2</PrivacyMark>");
    }

    // === ambiguity of display markings ============================================================

    @Test
    void aDisplayPhraseSharedByPoliciesIsAmbiguousUnderThemAll() {
        InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class,
                () -> DEFAULTS.decode(LabelFormat.MARKING, "SECRET"));
        assertThat(e.position()).hasValue("offset 0");
        assertThat(e.rule()).contains("ambiguous").contains("[FRA, GBR, USA]").contains("prefix the policy name");

        ConfidentialityLabel gbr = compact("GBR SECRET//REL TO DEU");
        String display = DEFAULTS.encode(gbr, LabelFormat.MARKING);
        assertThat(display).isEqualTo("SECRET Releasable to Germany");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.decode(LabelFormat.MARKING, display)).rule())
                .contains("ambiguous").contains("[FRA, GBR]");
        // under a set holding only that policy, the same display marking reads back exactly
        PolicySet gbrOnly = PolicySet.of(DEFAULTS.policy("GBR").orElseThrow());
        assertThat(gbrOnly.decode(LabelFormat.MARKING, display)).isEqualTo(gbr);
        // and the compact form is never ambiguous
        assertThat(DEFAULTS.decode(LabelFormat.COMPACT, DEFAULTS.canonicalMarking(gbr))).isEqualTo(gbr);
    }

    @Test
    void aDisplayMarkingThatReadsUnderOnePolicyOnlyIsNotAmbiguous() {
        assertThat(DEFAULTS.canonicalMarking(DEFAULTS.decode(LabelFormat.MARKING, "SECRET REL TO DEU, GBR SI/TK")))
                .isEqualTo("USA SECRET//REL TO DEU, GBR//SCI SI, TK");
        assertThat(DEFAULTS.canonicalMarking(DEFAULTS.decode(LabelFormat.MARKING, "GEHEIM Freigegeben für Frankreich KRYPTO")))
                .isEqualTo("GEHEIM//REL TO FRA//SZ KRYPTO");
        assertThat(DEFAULTS.canonicalMarking(DEFAULTS.decode(LabelFormat.MARKING, "SECRET (FRA) Releasable to Germany")))
                .isEqualTo("FRA SECRET//REL TO DEU");
    }

    // === exact round trips on canonical forms =====================================================

    @ParameterizedTest
    @MethodSource("corpus")
    void everyFormatRoundTripsExactly(String marking) {
        ConfidentialityLabel l = compact(marking);
        assertThat(DEFAULTS.validate(l)).isEqualTo(l);
        for (LabelFormat f : List.of(LabelFormat.XML, LabelFormat.JSON, LabelFormat.COMPACT)) {
            String s = DEFAULTS.encode(l, f);
            assertThat(DEFAULTS.decode(f, s)).as("%s %s", f, s).isEqualTo(l);
            assertThat(DEFAULTS.encode(DEFAULTS.decode(f, s), f)).as(f.name()).isEqualTo(s);
        }
        assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo(marking.replace("//PM  ", "//PM "));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void displayMarkingRoundTripsInEveryLanguageOfItsPolicy(String marking) {
        ConfidentialityLabel l = compact(marking);
        SecurityPolicy policy = DEFAULTS.policy(l.policy()).orElseThrow();
        PolicySet single = PolicySet.of(policy);
        assertThat(Fixtures.languages(policy)).isNotEmpty();
        for (String lang : Fixtures.languages(policy)) {
            String s = single.encode(l, LabelFormat.MARKING, lang);
            assertThat(single.decode(LabelFormat.MARKING, s)).as("[%s] %s", lang, s).isEqualTo(l);
            assertThat(single.encode(single.decode(LabelFormat.MARKING, s), LabelFormat.MARKING, lang)).isEqualTo(s);
        }
    }

    @Test
    void bundledPoliciesDefineTheDocumentedLanguages() {
        assertThat(Fixtures.languages(DEFAULTS.policy("NATO").orElseThrow())).containsExactly("", "fr");
        assertThat(Fixtures.languages(DEFAULTS.policy("DEU").orElseThrow())).containsExactly("", "en");
        assertThat(Fixtures.languages(DEFAULTS.policy("FRA").orElseThrow())).containsExactly("", "en");
        assertThat(Fixtures.languages(DEFAULTS.policy("GBR").orElseThrow())).containsExactly("");
        assertThat(Fixtures.languages(DEFAULTS.policy("USA").orElseThrow())).containsExactly("");
        assertThat(DEFAULTS.encode(compact("GEHEIM//REL TO FRA//SZ FERNMELDEAUFKLÄRUNG"), LabelFormat.MARKING, "en"))
                .isEqualTo("SECRET (DEU) Releasable to France SIGINT");
    }

    @ParameterizedTest
    @EnumSource(value = LabelFormat.class, names = {"XML", "JSON"})
    void timesAndAlternativesRoundTripInXmlAndJson(LabelFormat f) {
        ConfidentialityLabel l = new ConfidentialityLabel("NATO", "SECRET", Optional.of("Op. Northern-Light"),
                compact("NATO SECRET//REL TO DEU, FRA//COI ISR").categories(),
                Optional.of(Instant.parse("2026-11-26T12:34:56.789Z")), Optional.of(Instant.parse("2031-01-01T00:00:00Z")),
                List.of(compact("GEHEIM//REL TO FRA"), compact("FRA SECRET//REL TO DEU")));
        ConfidentialityLabel valid = DEFAULTS.validate(l);
        String s = DEFAULTS.encode(valid, f);
        assertThat(DEFAULTS.decode(f, s)).isEqualTo(valid);
        assertThat(DEFAULTS.encode(DEFAULTS.decode(f, s), f)).isEqualTo(s);
    }

    @Test
    void encodingValidatesAndCanonicalises() {
        ConfidentialityLabel messy = ConfidentialityLabel.of("1.3.26.1.3.1", "SECRET", List.of(
                Fixtures.restrictive("Communities of Interest", "OPS", "ISR"),
                Fixtures.permissive("Releasable To", "GBR", "DEU")));
        assertThat(DEFAULTS.encode(messy, LabelFormat.COMPACT)).isEqualTo("NATO SECRET//REL TO DEU, GBR//COI ISR, OPS");
        assertThat(catchThrowableOfType(InvalidLabelException.class, () -> DEFAULTS.encode(
                ConfidentialityLabel.of("NATO", "SEKRET", List.of()), LabelFormat.JSON)).position()).hasValue("classification");
    }
}
