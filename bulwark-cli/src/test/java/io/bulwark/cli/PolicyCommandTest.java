package io.bulwark.cli;

import io.bulwark.label.PolicySet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark policy check FILE} through {@link Bulwark#run}. */
class PolicyCommandTest {

    /** A small valid policy: TEST, LOW < MID < HIGH, Releasable To (DEU FRA GBR ALLIES, default ALLIES), Caveats. */
    static final String TEST_SPIF = """
            <?xml version="1.0" encoding="UTF-8"?>
            <spif:SPIF xmlns:spif="http://www.xmlspif.org/spif" xmlns:bw="urn:bulwark:spif:1" schemaVersion="2.1">
              <spif:securityPolicyId name="TEST" id="1.2.3.4"/>
              <spif:securityClassifications>
                <spif:securityClassification name="LOW" lacv="1" hierarchy="1"><spif:markingData phrase="TEST LOW"/></spif:securityClassification>
                <spif:securityClassification name="MID" lacv="2" hierarchy="2"><spif:markingData phrase="TEST MID"/></spif:securityClassification>
                <spif:securityClassification name="HIGH" lacv="3" hierarchy="3"><spif:markingData phrase="TEST HIGH"/></spif:securityClassification>
              </spif:securityClassifications>
              <spif:securityCategoryTagSets>
                <spif:securityCategoryTagSet name="Releasable To" id="1.2.3.4.1">
                  <spif:securityCategoryTag name="Releasable To" tagType="enumerated" enumType="permissive">
                    <spif:markingQualifier markingCode="pageTopBottom">
                      <spif:qualifier markingQualifier="Releasable to " qualifierCode="prefix"/>
                      <spif:qualifier markingQualifier=", " qualifierCode="separator"/>
                    </spif:markingQualifier>
                    <spif:tagCategory name="DEU" lacv="276"><spif:markingData phrase="Germany"/></spif:tagCategory>
                    <spif:tagCategory name="FRA" lacv="250"><spif:markingData phrase="France"/></spif:tagCategory>
                    <spif:tagCategory name="GBR" lacv="826"><spif:markingData phrase="United Kingdom"/></spif:tagCategory>
                    <spif:tagCategory name="ALLIES" lacv="1000"><spif:markingData phrase="Allies"/></spif:tagCategory>
                  </spif:securityCategoryTag>
                </spif:securityCategoryTagSet>
                <spif:securityCategoryTagSet name="Caveats" id="1.2.3.4.2">
                  <spif:securityCategoryTag name="Caveats" tagType="restrictive">
                    <spif:markingQualifier markingCode="pageTopBottom">
                      <spif:qualifier markingQualifier="CAV " qualifierCode="prefix"/>
                      <spif:qualifier markingQualifier=" " qualifierCode="separator"/>
                    </spif:markingQualifier>
                    <spif:tagCategory name="ALPHA" lacv="1"/>
                    <spif:tagCategory name="BRAVO" lacv="2"/>
                  </spif:securityCategoryTag>
                </spif:securityCategoryTagSet>
              </spif:securityCategoryTagSets>
              <spif:extensions>
                <bw:bulwark>
                  <bw:nationGroup name="ALLIES"><bw:member>DEU</bw:member><bw:member>FRA</bw:member><bw:member>GBR</bw:member></bw:nationGroup>
                  <bw:releasability tagSet="Releasable To" default="ALLIES"/>
                  <bw:compactMarking tagSet="Releasable To" prefix="REL TO"/>
                  <bw:compactMarking tagSet="Caveats" prefix="CAV"/>
                </bw:bulwark>
              </spif:extensions>
            </spif:SPIF>
            """;

    private static Path bundled(Path dir, String name) throws IOException {
        Path file = dir.resolve(name + ".xml");
        try (InputStream in = PolicySet.class.getResourceAsStream("policies/" + name + ".xml")) {
            assertThat(in).as("bundled policy %s", name).isNotNull();
            Files.copy(in, file);
        }
        return file;
    }

    @Test
    void checkOfTheBundledNatoPolicy(@TempDir Path dir) throws IOException {
        Cli r = Cli.run("policy", "check", bundled(dir, "nato").toString()).succeeds();
        assertThat(r.out().lines()).containsSubsequence(
                "policy NATO (1.3.26.1.3.1)",
                "classifications (lowest first):",
                "  1  UNCLASSIFIED  \"NATO UNCLASSIFIED\"",
                "  4  SECRET  \"NATO SECRET\"",
                "  5  TOP SECRET  \"COSMIC TOP SECRET\"",
                "tag sets:",
                "  Additional Sensitivity  RESTRICTIVE  compact 'SENS'  5 values",
                "  Releasable To  PERMISSIVE releasability  compact 'REL TO'  46 values",
                "  Only  PERMISSIVE releasability  compact 'ONLY'  32 values",
                "  Context  PERMISSIVE  compact 'CTX'  3 values",
                "  Administrative  INFORMATIVE  compact 'ADMIN'  5 values",
                "  Communities of Interest  RESTRICTIVE  compact 'COI'  7 values",
                "nation groups:",
                "  NATO  32 nations",
                "default release: NATO");
    }

    @ParameterizedTest
    @ValueSource(strings = {"deu", "fra", "gbr", "usa"})
    void checkOfEveryBundledNationalPolicy(String name, @TempDir Path dir) throws IOException {
        Cli r = Cli.run("policy", "check", bundled(dir, name).toString()).succeeds();
        assertThat(r.out()).startsWith("policy " + name.toUpperCase() + " (2.25.")
                .contains("classifications (lowest first):").contains("tag sets:")
                .contains("  Releasable To  PERMISSIVE releasability  compact 'REL TO'")
                .endsWith("default release: " + name.toUpperCase() + System.lineSeparator());
    }

    @Test
    void checkOfASmallCustomPolicy(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("test.xml");
        Files.writeString(file, TEST_SPIF, StandardCharsets.UTF_8);
        assertThat(Cli.run("policy", "check", file.toString()).succeeds().out()).isEqualTo(String.join(System.lineSeparator(),
                "policy TEST (1.2.3.4)",
                "classifications (lowest first):",
                "  1  LOW  \"TEST LOW\"",
                "  2  MID  \"TEST MID\"",
                "  3  HIGH  \"TEST HIGH\"",
                "tag sets:",
                "  Releasable To  PERMISSIVE releasability  compact 'REL TO'  4 values",
                "  Caveats  RESTRICTIVE  compact 'CAV'  2 values",
                "nation groups:",
                "  ALLIES  3 nations",
                "default release: ALLIES", ""));
    }

    @Test
    void checkOfABrokenFileIsPrecise(@TempDir Path dir) throws IOException {
        Path nato = bundled(dir, "nato");
        Path dup = dir.resolve("dup.xml");
        Files.writeString(dup, Files.readString(nato).replace("name=\"RESTRICTED\" lacv=\"2\"", "name=\"UNCLASSIFIED\" lacv=\"2\""));
        assertThat(Cli.run("policy", "check", dup.toString()).failsWith(2).err().strip())
                .isEqualTo("bulwark: " + dup + " at securityClassification[name=UNCLASSIFIED]: duplicate classification name");

        Path cycle = dir.resolve("cycle.xml");
        Files.writeString(cycle, TEST_SPIF.replace("<bw:member>GBR</bw:member></bw:nationGroup>",
                "<bw:member>GBR</bw:member><bw:member>MORE</bw:member></bw:nationGroup>"
                        + "<bw:nationGroup name=\"MORE\"><bw:member>ALLIES</bw:member></bw:nationGroup>"));
        assertThat(Cli.run("policy", "check", cycle.toString()).failsWith(2).err().strip())
                .isEqualTo("bulwark: " + cycle + " at extensions/bulwark/nationGroup[name=ALLIES]: nation groups form a cycle: ALLIES -> MORE -> ALLIES");

        Path xxe = dir.resolve("xxe.xml");
        Files.writeString(xxe, TEST_SPIF.replace("<spif:SPIF ", "<!DOCTYPE spif:SPIF [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<spif:SPIF "));
        assertThat(Cli.run("policy", "check", xxe.toString()).failsWith(2).err())
                .contains(xxe + " at line 2, column").contains("a DOCTYPE (DTD) is not allowed").doesNotContain("root:");

        Path truncated = dir.resolve("truncated.xml");
        Files.writeString(truncated, TEST_SPIF.substring(0, TEST_SPIF.length() / 2));
        assertThat(Cli.run("policy", "check", truncated.toString()).failsWith(2).err()).contains("not well-formed XML");
    }

    @Test
    void checkOfAMissingFileOrOfNoFile(@TempDir Path dir) {
        assertThat(Cli.run("policy", "check", dir.resolve("absent.xml").toString()).failsWith(2).err().strip())
                .isEqualTo("bulwark: " + dir.resolve("absent.xml") + ": no such policy file");
        Cli none = Cli.run("policy", "check");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("Missing required parameter: 'FILE'");
        none.assertNoStackTrace();
        assertThat(Cli.run("policy", "check", dir.toString()).failsWith(2).err()).contains(dir.toString());
    }
}
