package io.bulwark.cli;

import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bulwark label check|convert|decide|release} through {@link Bulwark#run}. */
class LabelCommandTest {

    private static final PolicySet DEFAULTS = PolicySet.defaults();
    private static final String LABEL = "NATO SECRET//REL TO DEU, FRA, GBR//COI ISR";
    private static final String CANONICAL = "NATO SECRET//REL TO FRA, DEU, GBR//COI ISR";

    // === check ====================================================================================

    @Test
    void checkPrintsTheCanonicalMarking() {
        assertThat(Cli.run("label", "check", LABEL).succeeds().line()).isEqualTo(CANONICAL);
        assertThat(Cli.run("label", "check", "nato restricted releasable to japan, switzerland, ukraine").succeeds().line())
                .isEqualTo("NATO RESTRICTED//REL TO JPN, CHE, UKR");
        String json = DEFAULTS.encode(DEFAULTS.decode(LabelFormat.COMPACT, LABEL), LabelFormat.JSON);
        assertThat(Cli.run("label", "check", json).succeeds().line()).isEqualTo(CANONICAL);
        String xml = DEFAULTS.encode(DEFAULTS.decode(LabelFormat.COMPACT, LABEL), LabelFormat.XML);
        assertThat(Cli.run("label", "check", xml).succeeds().line()).isEqualTo(CANONICAL);
        assertThat(Cli.run("label", "check", "--from", "json", "  " + json).succeeds().line()).isEqualTo(CANONICAL);
    }

    @Test
    void checkOfAnInvalidLabelNamesThePositionAndTheRule() {
        Cli r = Cli.run("label", "check", "NATO SECRET//REL TO DEU, XYZ").failsWith(2);
        assertThat(r.err().strip()).isEqualTo("bulwark: label (marking) at offset 25: 'XYZ' is not a value of 'Releasable To' in policy NATO");
        assertThat(Cli.run("label", "check", "NATO RESTRICTED//SENS ATOMAL").failsWith(2).err().strip()).isEqualTo(
                "bulwark: label (marking) at categories[0].values: value 'ATOMAL' of 'Additional Sensitivity' is excluded at "
                        + "classification RESTRICTED (SPIF excludedClass)");
        assertThat(Cli.run("label", "check", "{\"policy\":\"NATO\",}").failsWith(2).err())
                .contains("label (json) at offset 17: expected a member name in double quotes");
        assertThat(Cli.run("label", "check", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>").failsWith(2).err())
                .contains("a DOCTYPE (DTD) is not allowed").doesNotContain("root:");
        assertThat(Cli.run("label", "check", "SECRET").failsWith(2).err()).contains("ambiguous");
        assertThat(Cli.run("label", "check", "").failsWith(2).err().strip()).isEqualTo("bulwark: label (marking): the input is empty");
        assertThat(Cli.run("label", "check", "NATO SECRET\u0000").failsWith(2).err()).contains("at offset 11: control characters");
        assertThat(Cli.run("label", "check", "x".repeat(PolicySet.MAX_LABEL_CHARS + 1)).failsWith(2).err())
                .contains("longer than the limit of 65536 characters");
    }

    // === convert ==================================================================================

    @Test
    void convertToEveryFormat() {
        var label = DEFAULTS.decode(LabelFormat.COMPACT, LABEL);
        assertThat(Cli.run("label", "convert", "--to", "compact", LABEL).succeeds().line()).isEqualTo(CANONICAL);
        assertThat(Cli.run("label", "convert", "--to", "json", LABEL).succeeds().line())
                .isEqualTo(DEFAULTS.encode(label, LabelFormat.JSON))
                .startsWith("{\"policy\":\"NATO\",\"classification\":\"SECRET\",\"categories\":[");
        Cli xml = Cli.run("label", "convert", "--to", "xml", LABEL).succeeds();
        assertThat(xml.out()).isEqualTo(DEFAULTS.encode(label, LabelFormat.XML).replace("\n", System.lineSeparator()))
                .contains("<originatorConfidentialityLabel xmlns=\"urn:nato:stanag:4774:confidentialitymetadatalabel:1:0\">");
        assertThat(Cli.run("label", "convert", "--to", "marking", LABEL).succeeds().line())
                .isEqualTo("NATO SECRET Releasable to France, Germany, United Kingdom COI ISR");
        assertThat(Cli.run("label", "convert", "--to", "marking", "--lang", "fr", LABEL).succeeds().line())
                .isEqualTo("NATO SECRET Communicable à France, Allemagne, Royaume-Uni COI ISR");
        assertThat(Cli.run("label", "convert", "--to", "marking", "--lang", "en", "GEHEIM//REL TO FRA//SZ KRYPTO").succeeds().line())
                .isEqualTo("SECRET (DEU) Releasable to France CRYPTO");
    }

    @Test
    void convertRoundTripsThroughTheCommandLine() {
        String json = Cli.run("label", "convert", "--to", "json", LABEL).succeeds().line();
        String xml = Cli.run("label", "convert", "--to", "xml", json).succeeds().out();
        String fr = Cli.run("label", "convert", "--to", "marking", "--lang", "fr", xml).succeeds().line();
        assertThat(Cli.run("label", "convert", "--to", "compact", fr).succeeds().line()).isEqualTo(CANONICAL);
    }

    @Test
    void convertRefusesAnUnknownFormat() {
        Cli yaml = Cli.run("label", "convert", "--to", "yaml", LABEL);
        assertThat(yaml.exit()).isEqualTo(2);
        assertThat(yaml.err()).startsWith("bulwark: Invalid value for option '--to': expected one of [xml, json, marking, compact]")
                .contains("(see 'bulwark label convert --help')");
        yaml.assertNoStackTrace();
        Cli missing = Cli.run("label", "convert", LABEL);
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--to=FORMAT'");
        missing.assertNoStackTrace();
    }

    // === decide ===================================================================================

    @Test
    void decidePermits() {
        Cli r = Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--clearance", "NATO SECRET", "--coi", "ISR").succeeds();
        assertThat(r.line()).isEqualTo("PERMIT: the subject's clearance, nationality and memberships satisfy the label");
        Cli.run("label", "decide", LABEL, "--nationality", "FRA", "--clearance", "FRA SECRET", "--coi", "ISR,OPS").succeeds();
        Cli.run("label", "decide", "NATO SECRET", "--nationality", "DEU", "--clearance", "geheim").succeeds();
    }

    @Test
    void decideDeniesWithTheReason() {
        Cli low = Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--clearance", "NATO CONFIDENTIAL", "--coi", "ISR");
        assertThat(low.exit()).isEqualTo(3);
        assertThat(low.out().strip()).isEqualTo("DENY: clearance NATO CONFIDENTIAL is below NATO SECRET");
        low.assertNoStackTrace();
        Cli coi = Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--clearance", "NATO SECRET");
        assertThat(coi.exit()).isEqualTo(3);
        assertThat(coi.out().strip()).isEqualTo("DENY: not a member of ISR, which the label requires (restrictive: all values required)");
        Cli nation = Cli.run("label", "decide", LABEL, "--nationality", "USA", "--clearance", "NATO SECRET", "--coi", "ISR");
        assertThat(nation.exit()).isEqualTo(3);
        assertThat(nation.out()).contains("nationality USA").contains("'Releasable To': FRA, DEU, GBR");
        assertThat(Cli.run("label", "decide", "NATO CONFIDENTIAL", "--nationality", "JPN", "--clearance", "NATO SECRET").exit()).isEqualTo(3);
    }

    @Test
    void decideRefusesABadSubject() {
        assertThat(Cli.run("label", "decide", LABEL, "--nationality", "de", "--clearance", "NATO SECRET").failsWith(2).err().strip())
                .isEqualTo("bulwark: subject at nationality: 'de' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        assertThat(Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--coi", "MAGIC").failsWith(2).err())
                .contains("subject at cois: 'MAGIC' is not a restrictive category value");
        assertThat(Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--clearance", "SUPER SECRET").failsWith(2).err())
                .contains("'SUPER SECRET' is not a classification of any loaded policy");
        assertThat(Cli.run("label", "decide", LABEL, "--nationality", "DEU", "--clearance", "SECRET").failsWith(2).err())
                .contains("ambiguous");
        Cli missing = Cli.run("label", "decide", LABEL);
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--nationality");
    }

    // === release ==================================================================================

    @Test
    void releaseListsTheNations() {
        assertThat(Cli.run("label", "release", "NATO SECRET//REL TO DEU, JPN//COI ISR").succeeds().line()).isEqualTo("DEU JPN");
        assertThat(Cli.run("label", "release", "NATO SECRET//REL TO FVEY").succeeds().line()).isEqualTo("AUS CAN GBR NZL USA");
        assertThat(Cli.run("label", "release", "GEHEIM").succeeds().line()).isEqualTo("DEU");
        assertThat(Cli.run("label", "release", "NATO SECRET").succeeds().line().split(" ")).hasSize(32).contains("TUR").doesNotContain("JPN");
    }

    @Test
    void releaseToOneNation() {
        assertThat(Cli.run("label", "release", "--nation", "JPN", "NATO SECRET//REL TO DEU, JPN").succeeds().line())
                .isEqualTo("JPN may hold it");
        Cli no = Cli.run("label", "release", "--nation", "FRA", "NATO SECRET//REL TO DEU, JPN");
        assertThat(no.exit()).isEqualTo(3);
        assertThat(no.out().strip()).isEqualTo("FRA may not hold it");
        assertThat(Cli.run("label", "release", "--nation", "JPN", "NATO SECRET").exit()).isEqualTo(3);
        // Not a nation code: bad input, not "may not hold it".
        assertThat(Cli.run("label", "release", "--nation", "fra", "NATO SECRET//REL TO DEU, FRA").failsWith(ExitCode.BAD_INPUT).err().strip())
                .isEqualTo("bulwark: --nation: 'fra' is not an ISO 3166-1 alpha-3 code in capitals (e.g. FRA)");
    }

    // === --policy and options =====================================================================

    @Test
    void aCustomPolicyReplacesTheBundledOnes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("test.xml");
        Files.writeString(file, PolicyCommandTest.TEST_SPIF, StandardCharsets.UTF_8);
        String p = file.toString();
        assertThat(Cli.run("label", "check", "--policy", p, "test high//cav bravo, alpha//rel to gbr, deu").succeeds().line())
                .isEqualTo("TEST HIGH//REL TO DEU, GBR//CAV ALPHA, BRAVO");
        assertThat(Cli.run("label", "convert", "--policy", p, "--to", "marking", "TEST HIGH//REL TO DEU//CAV ALPHA").succeeds().line())
                .isEqualTo("TEST HIGH Releasable to Germany CAV ALPHA");
        assertThat(Cli.run("label", "release", "--policy", p, "TEST LOW").succeeds().line()).isEqualTo("DEU FRA GBR");
        Cli.run("label", "decide", "--policy", p, "TEST MID", "--nationality", "FRA", "--clearance", "TEST HIGH").succeeds();
        assertThat(Cli.run("label", "decide", "--policy", p, "TEST MID//CAV ALPHA", "--nationality", "FRA", "--clearance", "TEST HIGH").exit())
                .isEqualTo(3);
        // only the given policy is loaded
        assertThat(Cli.run("label", "check", "--policy", p, "NATO SECRET").failsWith(2).err())
                .contains("at offset 0: does not start with a classification of any loaded policy (TEST): "
                        + "write its marking phrase (e.g. TEST HIGH) or policy and level (e.g. TEST HIGH)");
        assertThat(Cli.run("label", "check", "--policy", p, "NATO SECRET//REL TO DEU").failsWith(2).err())
                .contains("'NATO SECRET' is not a classification of any loaded policy (TEST)");
    }

    @Test
    void aMissingOrBrokenPolicyFileIsBadInput(@TempDir Path dir) throws IOException {
        assertThat(Cli.run("label", "check", "--policy", dir.resolve("none.xml").toString(), "TEST LOW").failsWith(2).err())
                .contains("none.xml: no such policy file");
        Path broken = dir.resolve("broken.xml");
        Files.writeString(broken, PolicyCommandTest.TEST_SPIF.replace("name=\"MID\"", "name=\"LOW\""));
        assertThat(Cli.run("label", "check", "--policy", broken.toString(), "TEST LOW").failsWith(2).err().strip())
                .isEqualTo("bulwark: " + broken + " at securityClassification[name=LOW]: duplicate classification name");
    }

    @Test
    void unknownOptionsAndCommandsAreBadInput() {
        Cli option = Cli.run("label", "check", "--frobnicate", LABEL);
        assertThat(option.exit()).isEqualTo(2);
        assertThat(option.out()).isEmpty();
        assertThat(option.err()).contains("Unknown option: '--frobnicate'").contains("label check --help");
        option.assertNoStackTrace();
        Cli command = Cli.run("label", "frobnicate");
        assertThat(command.exit()).isEqualTo(2);
        command.assertNoStackTrace();
        assertThat(Cli.run("--frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void helpAndVersion() {
        Cli help = Cli.run("label", "--help").succeeds();
        assertThat(help.out()).contains("check").contains("convert").contains("decide").contains("release");
        assertThat(Cli.run("--help").succeeds().out()).contains("Exit codes:").contains("2  bad input");
        assertThat(Cli.run("--version").succeeds().line()).isEqualTo("bulwark 0.1.0");
    }
}
