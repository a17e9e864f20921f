package io.bulwark.label;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random mutations of valid XML, JSON and marking inputs — characters and bytes inserted,
 * deleted, replaced and swapped, truncation, duplicated fragments, swapped words — never make
 * PolicySet.decode raise anything but InvalidLabelException, and never trip the safety net that
 * turns a codec's own crash into "unreadable label". A successful decode is fine: it must give a
 * valid canonical label that reads back.
 */
class MutationPropertiesTest {

    /** Characters that matter to one format or another, controls, and awkward Unicode. */
    private static final String PALETTE = "<>/=\"'&;#{}[]:,\\ -_.+!?%*0123456789eEaZ\t\n\r\u0000\u0001\u001f\u007f\u0085\u00a0"
            + "\u2028\u202e\ufeff\ufffd\uD800\uDC00éÜß€";
    /** Words to swap in: other policies, types, tags and values, so that mutants reach validation. */
    private static final List<String> WORDS = List.of("NATO", "DEU", "FRA", "GBR", "USA", "SECRET", "GEHEIM", "TOP SECRET",
            "PERMISSIVE", "RESTRICTIVE", "INFORMATIVE", "Releasable To", "Only", "Communities of Interest", "ISR", "ATOMAL",
            "SIOP-ESI", "FVEY", "REL TO", "ONLY", "COI", "SENS", "PM", "//", ", ", "Releasable to ", "Germany", "ONLY",
            "GenericValue", "Category", "ConfidentialityInformation", "\"values\"", "\"categories\"", "null", "[]", "{}",
            "2026-11-26T12:00:00Z", "&amp;", "&#0;", "<![CDATA[x]]>", "<!DOCTYPE x>", "\\u0000", "\\uD800", "1e999999999");

    @Provide
    Arbitrary<String> xmlMutants() {
        return mutants(LabelFormat.XML);
    }

    @Provide
    Arbitrary<String> jsonMutants() {
        return mutants(LabelFormat.JSON);
    }

    @Provide
    Arbitrary<String> markingMutants() {
        return mutants(LabelFormat.MARKING);
    }

    @Property(tries = 2500)
    void mutatedXml(@ForAll("xmlMutants") String input) {
        onlyLabelErrors(LabelFormat.XML, input);
    }

    @Property(tries = 2500)
    void mutatedJson(@ForAll("jsonMutants") String input) {
        onlyLabelErrors(LabelFormat.JSON, input);
    }

    @Property(tries = 3000)
    void mutatedMarkings(@ForAll("markingMutants") String input) {
        onlyLabelErrors(LabelFormat.MARKING, input);
        onlyLabelErrors(LabelFormat.COMPACT, input);
    }

    private static void onlyLabelErrors(LabelFormat format, String input) {
        ConfidentialityLabel decoded;
        try {
            decoded = DEFAULTS.decode(format, input);
        } catch (InvalidLabelException e) {
            assertThat(e.rule()).as("%s: %s", format, input).isNotBlank().doesNotStartWith("unreadable label (");
            Statistics.label(format.name()).collect("InvalidLabelException");
            return;
        } catch (Throwable t) {
            fail("%s decode of %s threw %s", format, printable(input), t, t);
            return;
        }
        Statistics.label(format.name()).collect("decoded");
        assertThat(DEFAULTS.validate(decoded)).isEqualTo(decoded);
        LabelFormat back = format == LabelFormat.MARKING ? LabelFormat.COMPACT : format;
        assertThat(DEFAULTS.decode(back, DEFAULTS.encode(decoded, back))).isEqualTo(decoded);
    }

    // === mutants ==================================================================================

    private static Arbitrary<String> mutants(LabelFormat format) {
        return Arbitraries.randomValue(r -> {
            String seed = valid(format, r);
            int n = 1 + r.nextInt(4);
            for (int i = 0; i < n; i++) seed = mutate(seed, r);
            return seed;
        });
    }

    /** A valid input of the format; for markings, the display form in a random language or the compact form. */
    private static String valid(LabelFormat format, Random r) {
        ConfidentialityLabel l = RandomWorld.label(DEFAULTS, r, format != LabelFormat.MARKING);
        if (format != LabelFormat.MARKING) return DEFAULTS.encode(l, format);
        if (r.nextInt(3) == 0) return DEFAULTS.encode(l, LabelFormat.COMPACT);
        List<String> languages = new ArrayList<>(Fixtures.languages(DEFAULTS.policy(l.policy()).orElseThrow()));
        return DEFAULTS.encode(l, LabelFormat.MARKING, RandomWorld.pick(languages, r));
    }

    static String mutate(String s, Random r) {
        int len = s.length();
        int at = len == 0 ? 0 : r.nextInt(len + 1);
        int at2 = len == 0 ? 0 : r.nextInt(len + 1);
        int lo = Math.min(at, at2);
        int hi = Math.max(at, at2);
        return switch (r.nextInt(11)) {
            case 0 -> s.substring(0, at) + PALETTE.charAt(r.nextInt(PALETTE.length())) + s.substring(at);        // insert a char
            case 1 -> len == 0 ? s : s.substring(0, Math.min(at, len - 1)) + s.substring(Math.min(at, len - 1) + 1); // delete a char
            case 2 -> len == 0 ? s : replace(s, Math.min(at, len - 1), PALETTE.charAt(r.nextInt(PALETTE.length())));  // replace a char
            case 3 -> len < 2 ? s : swap(s, Math.min(at, len - 2));                                               // swap neighbours
            case 4 -> s.substring(0, at);                                                                          // truncate
            case 5 -> s.substring(0, at) + s.substring(lo, Math.min(hi, lo + 200)) + s.substring(at);              // duplicate a fragment
            case 6 -> s.substring(0, lo) + s.substring(hi);                                                        // delete a range
            case 7 -> bytes(s, r);                                                                                 // corrupt a byte
            case 8 -> s.substring(0, lo) + RandomWorld.pick(WORDS, r) + s.substring(hi == lo ? lo : Math.min(len, lo + r.nextInt(hi - lo + 1)));
            case 9 -> s.substring(0, lo) + (r.nextBoolean() ? s.substring(lo, hi).toLowerCase() : s.substring(lo, hi).toUpperCase()) + s.substring(hi);
            default -> s.substring(0, at) + s.substring(at).repeat(1 + r.nextInt(3));                             // repeat the tail
        };
    }

    private static String replace(String s, int at, char c) {
        return s.substring(0, at) + c + s.substring(at + 1);
    }

    private static String swap(String s, int at) {
        char[] c = s.toCharArray();
        char t = c[at];
        c[at] = c[at + 1];
        c[at + 1] = t;
        return new String(c);
    }

    /** Corrupts the UTF-8 bytes (a flipped bit or a random byte) and reads them back, as UTF-8 or as Latin-1. */
    private static String bytes(String s, Random r) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0) return s;
        int i = r.nextInt(b.length);
        if (r.nextBoolean()) b[i] ^= (byte) (1 << r.nextInt(8)); else b[i] = (byte) r.nextInt(256);
        return new String(b, r.nextInt(4) == 0 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c >= 0x7f) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
        }
        return b.toString();
    }
}
