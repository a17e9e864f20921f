package io.bulwark.label;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Bad input of every kind gets a precise InvalidLabelException, and nothing else escapes PolicySet.decode. */
class BadInputTest {

    private static final String NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0";

    // === XML ======================================================================================

    @Test
    void xmlExternalEntityIsRefusedWithoutReadingTheFile() throws IOException {
        Path passwd = Path.of("/etc/passwd");
        String firstLine = Files.isReadable(passwd) ? Files.readAllLines(passwd).getFirst() : "root:x:0:0";
        for (String xml : List.of(
                "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                        + "<originatorConfidentialityLabel xmlns=\"" + NS + "\"><ConfidentialityInformation>"
                        + "<PolicyIdentifier>&xxe;</PolicyIdentifier><Classification>SECRET</Classification>"
                        + "</ConfidentialityInformation></originatorConfidentialityLabel>",
                "<!DOCTYPE l SYSTEM \"file:///etc/passwd\"><originatorConfidentialityLabel xmlns=\"" + NS + "\"/>",
                "<!DOCTYPE l [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><l/>",
                "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;\">]><l>&c;</l>")) {
            InvalidLabelException e = decodeFails(LabelFormat.XML, xml);
            assertThat(e.rule()).as(xml).isEqualTo("a DOCTYPE (DTD) is not allowed; external entities and DTDs are refused");
            assertThat(e.position()).hasValueSatisfying(p -> assertThat(p).matches("line 1, column \\d+"));
            assertThat(e.getMessage()).doesNotContain(firstLine).doesNotContain("root:");
        }
    }

    @Test
    void xmlNotWellFormed() {
        InvalidLabelException e = decodeFails(LabelFormat.XML,
                "<originatorConfidentialityLabel xmlns=\"" + NS + "\">\n  <ConfidentialityInformation>\n</originatorConfidentialityLabel>");
        assertThat(e.position()).hasValue("line 3, column 3");
        assertThat(e.rule()).startsWith("not well-formed XML: ");
        assertThat(decodeFails(LabelFormat.XML, "<").rule()).startsWith("not well-formed XML");
        assertThat(decodeFails(LabelFormat.XML, "<a></b>").position()).isPresent();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // what goes inside the root element | position | rule
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification><Foo/></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Foo | unknown element; expected PolicyIdentifier, Classification, PrivacyMark or Category",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation><Bar/>"
                    + "| /originatorConfidentialityLabel/Bar | unknown element; expected ConfidentialityInformation, CreationDateTime or AlternativeConfidentialityLabel",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification level='4'>SECRET</Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Classification/@level | unknown attribute",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification>"
                    + "<Category TagName='Releasable To' Type='PERMISSIVE'><GenericValue>DEU</GenericValue></Category>"
                    + "<Category TagName='Communities of Interest' Type='RESTRICTIVE' Colour='red'><GenericValue>ISR</GenericValue></Category></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Category[2]/@Colour | unknown attribute; allowed: [TagName, Type, URI]",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification>"
                    + "<Category TagName='Releasable To' Type='permissive'><GenericValue>DEU</GenericValue></Category></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Category[1]/@Type | Type is RESTRICTIVE, PERMISSIVE or INFORMATIVE, not 'permissive'",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification>"
                    + "<Category TagName='Releasable To' Type='PERMISSIVE'><Value>DEU</Value></Category></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Category[1]/Value | unknown element; a Category holds GenericValue elements",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><x:Classification xmlns:x='urn:other'>SECRET</x:Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Classification | element is not in namespace " + NS,
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation | Classification is required",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification> </Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/Classification | must not be empty",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "<CreationDateTime>yesterday</CreationDateTime>"
                    + "| /originatorConfidentialityLabel/CreationDateTime | 'yesterday' is not an ISO 8601 UTC instant",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation | only one ConfidentialityInformation",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "<CreationDateTime><x:When xmlns:x='urn:other'>2026-11-26T12:00:00Z</x:When></CreationDateTime>"
                    + "| /originatorConfidentialityLabel/CreationDateTime | expected text, found elements",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "<CreationDateTime zone='CET'>2026-11-26T12:00:00Z</CreationDateTime>"
                    + "| /originatorConfidentialityLabel/CreationDateTime/@zone | unknown attribute",
            "<ConfidentialityInformation><PolicyIdentifier>NATO<Extra/></PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/ConfidentialityInformation/PolicyIdentifier | expected text, found elements",
            "| /originatorConfidentialityLabel | ConfidentialityInformation is required",
            "<CreationDateTime>2026-11-26T12:00:00Z</CreationDateTime>"
                    + "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "| /originatorConfidentialityLabel/CreationDateTime | out of order: the root holds one ConfidentialityInformation, then",
            "<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation>"
                    + "<AlternativeConfidentialityLabel><ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation></AlternativeConfidentialityLabel>"
                    + "<CreationDateTime>2026-11-26T12:00:00Z</CreationDateTime>"
                    + "| /originatorConfidentialityLabel/CreationDateTime | out of order",
    })
    void xmlStrictness(String inner, String position, String rule) {
        String xml = "<originatorConfidentialityLabel xmlns=\"" + NS + "\">" + (inner == null ? "" : inner) + "</originatorConfidentialityLabel>";
        InvalidLabelException e = decodeFails(LabelFormat.XML, xml);
        assertThat(e.position()).as(e.getMessage()).hasValue(position);
        assertThat(e.rule()).as(e.getMessage()).startsWith(rule);
    }

    @Test
    void xmlWrongRootOrNamespace() {
        assertThat(decodeFails(LabelFormat.XML, "<originatorConfidentialityLabel/>").position()).hasValue("<originatorConfidentialityLabel>");
        InvalidLabelException e = decodeFails(LabelFormat.XML, "<ConfidentialityLabel xmlns=\"" + NS + "\"/>");
        assertThat(e.position()).hasValue("<ConfidentialityLabel>");
        assertThat(e.rule()).isEqualTo("the root element is originatorConfidentialityLabel in namespace " + NS);
        assertThat(decodeFails(LabelFormat.XML, "<originatorConfidentialityLabel xmlns=\"urn:nato:stanag:4774:confidentialitymetadatalabel:1:1\"/>")
                .rule()).startsWith("the root element is originatorConfidentialityLabel");
    }

    @Test
    void xmlTooDeep() {
        String deep = "<originatorConfidentialityLabel xmlns=\"" + NS + "\"><CreationDateTime>" + "<a>".repeat(5000)
                + "</a>".repeat(5000) + "</CreationDateTime></originatorConfidentialityLabel>";
        assertThat(decodeFails(LabelFormat.XML, deep).position()).isPresent();
    }

    // === JSON =====================================================================================

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"policy\":\"NATO\",}                 | 17 | expected a member name in double quotes",
            "{\"policy\" \"NATO\"}                  | 10 | expected ':' after a member name",
            "{\"policy\":\"NATO\"                   | 16 | unexpected end of input in an object",
            "{\"policy\":tru}                       | 10 | expected true",
            "{\"policy\":\"N\\xATO\"}               | 13 | unknown escape '\\x'",
            "{\"policy\":\"\\u12G4\"}               | 13 | bad hex digit in \\u escape",
            "{\"policy\":\"\\u\u0660\u0660\u00358\"}   | 13 | bad hex digit in \\u escape",
            "{\"policy\":\"NATO\"} x                | 18 | unexpected text after the JSON value",
            "{\"policy\":01}                        | 10 | malformed number",
            "{\"policy\":-}                         | 10 | malformed number",
            "{\"policy\":1e99999999999}             | 10 | number out of range",
            "{\"policy\":1E-2147483649}             | 10 | number out of range",
            "{\"policy\":\"NATO\",\"policy\":\"DEU\"} | 17 | duplicate member \"policy\"",
            "@                                      | 0  | unexpected character '@'",
            "{\"a\":[1,2}                           | 9  | expected ',' or ']'",
            "{\"a\":{\"b\":1]}                      | 11 | expected ',' or '}'",
            "[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]] | 17 | nested deeper than 16 levels",
            "\"unterminated                         | 13 | unterminated string",
    })
    void jsonSyntaxErrorsNameTheOffset(String json, int offset, String rule) {
        InvalidLabelException e = decodeFails(LabelFormat.JSON, json.strip());
        assertThat(e.position()).as(e.getMessage()).hasValue("offset " + offset);
        assertThat(e.rule()).as(e.getMessage()).isEqualTo(rule);
    }

    @Test
    void jsonControlCharacterInAString() {
        InvalidLabelException e = decodeFails(LabelFormat.JSON, "{\"policy\":\"NA\u0001TO\"}");
        assertThat(e.position()).hasValue("offset 13");
        assertThat(e.rule()).isEqualTo("control character in a string");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"colour\":\"red\"} | $.colour | unknown member; a label has [policy, classification, privacyMark, categories, creationTime, reviewTime, alternatives]",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[{\"type\":\"PERMISSIVE\",\"tagName\":\"Releasable To\",\"values\":[\"DEU\"],\"uri\":\"x\"}]} | $.categories[0].uri | unknown member; a category has [type, tagName, values]",
            "{\"policy\":4,\"classification\":\"SECRET\",\"categories\":[]} | $.policy | expected a string",
            "{\"classification\":\"SECRET\",\"categories\":[]} | $.policy | required member is missing",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\"} | $.categories | required array is missing",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":{}} | $.categories | expected a JSON array",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[\"Releasable To\"]} | $.categories[0] | expected a JSON object",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[{\"type\":\"PERMISSIVE\",\"tagName\":\"Releasable To\",\"values\":[276]}]} | $.categories[0].values[0] | a value is a string",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[{\"type\":\"permissive\",\"tagName\":\"Releasable To\",\"values\":[\"DEU\"]}]} | $.categories[0].type | 'permissive' is not RESTRICTIVE, PERMISSIVE or INFORMATIVE",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"creationTime\":\"2026-11-26\"} | $.creationTime | '2026-11-26' is not an ISO 8601 UTC instant",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"privacyMark\":true} | $.privacyMark | expected a string",
            "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"alternatives\":[{\"policy\":\"DEU\",\"classification\":\"GEHEIM\",\"categories\":[],\"alternatives\":[{}]}]} | $.alternatives[0].alternatives | an alternative label has no alternatives of its own",
            "[] | $ | expected a JSON object",
            "\"NATO SECRET\" | $ | expected a JSON object",
    })
    void jsonUnknownMembersAndWrongTypes(String json, String position, String rule) {
        InvalidLabelException e = decodeFails(LabelFormat.JSON, json);
        assertThat(e.position()).as(e.getMessage()).hasValue(position);
        assertThat(e.rule()).as(e.getMessage()).startsWith(rule);
    }

    // === markings =================================================================================

    @ParameterizedTest
    @ValueSource(chars = {'\u0000', '\u0007', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f'})
    void controlCharactersInMarkings(char c) {
        for (LabelFormat f : List.of(LabelFormat.MARKING, LabelFormat.COMPACT)) {
            InvalidLabelException e = decodeFails(f, "NATO SECRET" + c + "//REL TO DEU");
            assertThat(e.position()).hasValue("offset 11");
            assertThat(e.rule()).isEqualTo("control characters are not allowed in a marking");
            assertThat(decodeFails(f, "NATO SECRET Releasable to Germany" + c).position()).hasValue("offset 33");
        }
    }

    /** Spaces other than WSP: before, stripped around a value ("DEU" + an em space read as DEU) or read as part of a word. */
    @ParameterizedTest
    @ValueSource(chars = {'\u00a0', '\u1680', '\u2003', '\u2007', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'})
    void spacesOtherThanSpaceAndTabInMarkings(char c) {
        for (LabelFormat f : List.of(LabelFormat.MARKING, LabelFormat.COMPACT)) {
            InvalidLabelException e = decodeFails(f, "NATO SECRET//REL TO DEU" + c);
            assertThat(e.position()).hasValue("offset 23");
            assertThat(e.rule()).isEqualTo(String.format("U+%04X (%s) is not white space in a marking: separate with a space or a tab",
                    (int) c, Character.getName(c)));
            assertThat(decodeFails(f, "NATO" + c + "SECRET Releasable to Germany").position()).hasValue("offset 4");
        }
    }

    @Test
    void displayMarkingErrorsNameTheOffset() {
        InvalidLabelException e = decodeFails(LabelFormat.MARKING, "NATO SECRET Releasable to Germany, Atlantis");
        assertThat(e.position()).hasValue("offset 35");
        assertThat(e.rule()).startsWith("expected a category marking of policy NATO");
        InvalidLabelException unknown = decodeFails(LabelFormat.MARKING, "ULTRA SECRET");
        assertThat(unknown.position()).hasValue("offset 0");
        assertThat(unknown.rule()).startsWith("does not start with a classification of any loaded policy");
        // offsets count from the start of the input, leading white space included
        assertThat(decodeFails(LabelFormat.MARKING, "  NATO SECRET Releasable to Germany, Atlantis").position()).hasValue("offset 37");
        assertThat(decodeFails(LabelFormat.MARKING, "\tNATO SECRET STAFF]").position()).hasValue("offset 18");
        assertThat(decodeFails(LabelFormat.MARKING, "   ULTRA SECRET").position()).hasValue("offset 3");
        assertThat(decodeFails(LabelFormat.COMPACT, "  NATO SECRET//REL TO DEU, XYZ").position()).hasValue("offset 27");
        assertThat(decodeFails(LabelFormat.COMPACT, "NATO SECRET//").rule()).isEqualTo("empty segment between '//' separators");
        assertThat(decodeFails(LabelFormat.COMPACT, "NATO SECRET//REL TO").rule()).isEqualTo("'REL TO' needs at least one value");
        assertThat(decodeFails(LabelFormat.COMPACT, "NATO SECRET//REL TO DEU,,FRA").position()).hasValue("offset 24");
    }

    // === every format =============================================================================

    @ParameterizedTest
    @EnumSource(LabelFormat.class)
    void emptyInput(LabelFormat f) {
        for (String empty : new String[] {"", " ", "\n\t  \r\n", null}) {
            InvalidLabelException e = decodeFails(f, empty);
            assertThat(e.position()).isEmpty();
            assertThat(e.rule()).isEqualTo("the input is empty");
        }
    }

    @ParameterizedTest
    @EnumSource(LabelFormat.class)
    void oversizedInput(LabelFormat f) {
        String valid = DEFAULTS.encode(Fixtures.compact("NATO SECRET//REL TO DEU"), f == LabelFormat.MARKING ? LabelFormat.COMPACT : f);
        // exactly at the limit is read (trailing white space is insignificant in every format) ...
        String atLimit = valid + " ".repeat(PolicySet.MAX_LABEL_CHARS - valid.length());
        assertThat(atLimit).hasSize(PolicySet.MAX_LABEL_CHARS);
        assertThat(DEFAULTS.canonicalMarking(DEFAULTS.decode(f, atLimit))).isEqualTo("NATO SECRET//REL TO DEU");
        // ... one more character is refused before parsing
        InvalidLabelException e = decodeFails(f, atLimit + " ");
        assertThat(e.rule()).isEqualTo("longer than the limit of 65536 characters");
        assertThat(decodeFails(f, "x".repeat(10 * PolicySet.MAX_LABEL_CHARS)).rule()).isEqualTo("longer than the limit of 65536 characters");
    }

    /** Inputs chosen to break parsers; whatever the format, only InvalidLabelException (or a valid label) comes out. */
    @ParameterizedTest
    @EnumSource(LabelFormat.class)
    void nothingButLabelErrorsEscape(LabelFormat f) {
        List<String> nasty = new ArrayList<>(List.of(
                "\uD800", "\uDFFF\uD800", "\uFEFFNATO SECRET", "\uFEFF<originatorConfidentialityLabel/>", "NATO SECRET\uD83D",
                "//", "////", "NATO SECRET//", "NATO SECRET////REL TO DEU", "NATO SECRET//PM", "NATO SECRET//PM ", "PM x",
                "NATO SECRET [", "NATO SECRET ]", "[]", "[NATO SECRET]", "NATO SECRET Releasable to", "NATO SECRET Releasable to Germany,",
                "NATO SECRET Releasable to Germany ONLY", "COSMIC", "NATO", "SECRET", "SECRET//", "UK EYES ONLY", "REL TO DEU",
                "<", "<?xml?>", "<a", "&amp;", "<![CDATA[x]]>", "<!-- -->", "<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>",
                "<originatorConfidentialityLabel xmlns=\"" + NS + "\"><ConfidentialityInformation><PolicyIdentifier><x/></PolicyIdentifier>"
                        + "<Classification>SECRET</Classification></ConfidentialityInformation></originatorConfidentialityLabel>",
                "<originatorConfidentialityLabel xmlns=\"" + NS + "\"><AlternativeConfidentialityLabel/></originatorConfidentialityLabel>",
                "<originatorConfidentialityLabel xmlns=\"" + NS + "\" ReviewDateTime=\"x\"><ConfidentialityInformation><PolicyIdentifier>NATO"
                        + "</PolicyIdentifier><Classification>SECRET</Classification></ConfidentialityInformation></originatorConfidentialityLabel>",
                "{", "{\"", "[]", "null", "true", "0", "-", "\"\\u", "\"\\", "1e99999999999", "{\"policy\":null}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[null]}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[[]]}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[{\"type\":null,\"tagName\":null,\"values\":null}]}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"alternatives\":[null]}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"reviewTime\":\"+1000000000-01-01T00:00:00Z\"}",
                "{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[],\"creationTime\":\"2026-11-26T12:00:00+01:00\"}",
                "{\"policy\":\"\\u0000\",\"classification\":\"\\uD800\",\"categories\":[]}",
                "NATO SECRET//REL TO " + "DEU, ".repeat(12_000) + "FRA",
                "NATO SECRET Releasable to " + "Germany, ".repeat(7_000) + "France",
                "NATO SECRET " + "ATOMAL ".repeat(9_000),
                "[".repeat(60_000), "{\"a\":".repeat(10_000), "<a>".repeat(20_000)));
        for (String input : nasty) {
            Throwable t = catchThrowable(() -> DEFAULTS.decode(f, input));
            if (t != null) {
                assertThat(t).as("%s on %.60s", f, input).isInstanceOf(InvalidLabelException.class);
                assertThat(((InvalidLabelException) t).rule()).isNotBlank();
            }
        }
    }

    @Test
    void everyJsonErrorHasAPosition() {
        for (String json : List.of("{\"policy\":1e99999999999}", "{\"policy\":1.5e-9999999999}", "[1e2147483648]", "{\"a\":\"\\uD800\"")) {
            InvalidLabelException e = decodeFails(LabelFormat.JSON, json);
            assertThat(e.position()).as(e.getMessage()).isPresent();
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static InvalidLabelException decodeFails(LabelFormat f, String input) {
        Throwable t = catchThrowable(() -> DEFAULTS.decode(f, input));
        assertThat(t).as("%s should fail: %s", f, input).isInstanceOf(InvalidLabelException.class);
        InvalidLabelException e = (InvalidLabelException) t;
        assertThat(e.getMessage()).startsWith("label (" + f.name().toLowerCase() + ")");
        assertThat(e.rule()).doesNotContain("Exception");
        return e;
    }
}
