package io.bulwark.label;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.bulwark.label.Fixtures.DEFAULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The test vectors in docs/formats/*.md, so that the format specs and the code cannot drift apart.
 *
 * <ul>
 *   <li>A fenced block whose info string starts with {@code vectors} holds lines
 *       {@code input => expected}. Options after the word: {@code from=} the input format
 *       (default marking), {@code to=} the output format (default compact), {@code lang=} the
 *       display language, {@code policies=} the bundled policies to load (comma-separated; default
 *       all). The input is decoded and encoded; the output must equal {@code expected}, which must
 *       itself decode to the same label and encode to itself (it is canonical).
 *       {@code expected} = {@code ERROR position: rule} means decoding fails with exactly that.
 *       Blank lines and lines starting with {@code #} are ignored.</li>
 *   <li>A fenced block {@code xml vector compact="..."} holds a canonical XML document: it decodes
 *       to the label of that compact marking and encodes back to itself, byte for byte.</li>
 * </ul>
 */
class FormatDocVectorsTest {

    private static final Pattern XML_VECTOR = Pattern.compile("xml vector compact=\"([^\"]+)\"");

    private record Block(Path file, int line, String info, List<String> lines) {}

    @TestFactory
    Stream<DynamicTest> vectorsInTheFormatDocs() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Block b : blocks()) {
            if (b.info().equals("vectors") || b.info().startsWith("vectors ")) {
                Map<String, String> options = options(b);
                for (int i = 0; i < b.lines().size(); i++) {
                    String line = b.lines().get(i);
                    if (line.isBlank() || line.startsWith("#")) continue;
                    String where = b.file().getFileName() + ":" + (b.line() + 1 + i);
                    int arrow = line.indexOf(" => ");
                    assertThat(arrow).as("%s: a vector is 'input => expected'", where).isPositive();
                    String input = line.substring(0, arrow);
                    String expected = line.substring(arrow + 4).strip();
                    tests.add(DynamicTest.dynamicTest(where + " " + abbreviate(input), () -> check(options, input, expected)));
                }
            }
            Matcher xml = XML_VECTOR.matcher(b.info());
            if (xml.matches()) {
                String document = String.join("\n", b.lines()) + "\n";
                String where = b.file().getFileName() + ":" + b.line();
                tests.add(DynamicTest.dynamicTest(where + " XML document", () -> {
                    ConfidentialityLabel l = DEFAULTS.decode(LabelFormat.XML, document);
                    assertThat(DEFAULTS.canonicalMarking(l)).isEqualTo(xml.group(1));
                    assertThat(DEFAULTS.encode(l, LabelFormat.XML)).isEqualTo(document);
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void everyFormatDocHasVectors() throws IOException {
        Map<String, Integer> count = new HashMap<>();
        for (Block b : blocks()) {
            int n = (int) b.lines().stream().filter(l -> l.contains(" => ")).count();
            if (b.info().startsWith("vectors")) count.merge(b.file().getFileName().toString(), n, Integer::sum);
            if (XML_VECTOR.matcher(b.info()).matches()) count.merge(b.file().getFileName().toString(), 1, Integer::sum);
        }
        assertThat(count.getOrDefault("label-marking.md", 0)).isGreaterThanOrEqualTo(40);
        assertThat(count.getOrDefault("label-json.md", 0)).isGreaterThanOrEqualTo(10);
        assertThat(count.getOrDefault("label-xml.md", 0)).isGreaterThanOrEqualTo(2);
    }

    private static void check(Map<String, String> options, String input, String expected) {
        PolicySet set = policies(options.get("policies"));
        LabelFormat from = format(options.getOrDefault("from", "marking"));
        LabelFormat to = format(options.getOrDefault("to", "compact"));
        String language = options.getOrDefault("lang", "");
        if (expected.startsWith("ERROR ")) {
            InvalidLabelException e = catchThrowableOfType(InvalidLabelException.class, () -> set.decode(from, input));
            assertThat(e).as("decoding should fail: %s", input).isNotNull();
            assertThat(e.position().map(p -> p + ": ").orElse("") + e.rule()).isEqualTo(expected.substring("ERROR ".length()));
            return;
        }
        ConfidentialityLabel label = set.decode(from, input);
        assertThat(set.encode(label, to, language)).isEqualTo(expected);
        ConfidentialityLabel back = set.decode(to, expected);
        assertThat(back).as("the expected output reads back to the same label").isEqualTo(label);
        assertThat(set.encode(back, to, language)).as("the expected output is canonical").isEqualTo(expected);
    }

    private static PolicySet policies(String names) {
        if (names == null) return DEFAULTS;
        return PolicySet.of(Arrays.stream(names.split(",")).map(n -> DEFAULTS.policy(n.strip()).orElseThrow()).toList());
    }

    private static LabelFormat format(String name) {
        return LabelFormat.valueOf(name.toUpperCase(Locale.ROOT));
    }

    private static Map<String, String> options(Block b) {
        Map<String, String> out = new HashMap<>();
        String[] words = b.info().split("\\s+");
        for (int i = 1; i < words.length; i++) {
            String[] kv = words[i].split("=", 2);
            assertThat(kv).as("%s:%d option '%s'", b.file().getFileName(), b.line(), words[i]).hasSize(2);
            assertThat(kv[0]).isIn("from", "to", "lang", "policies");
            out.put(kv[0], kv[1]);
        }
        return out;
    }

    private static List<Block> blocks() throws IOException {
        Path dir = formatsDirectory();
        List<Block> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    if (!lines.get(i).startsWith("```")) continue;
                    String info = lines.get(i).substring(3).strip();
                    int start = i + 1;
                    int end = start;
                    while (end < lines.size() && !lines.get(end).startsWith("```")) end++;
                    out.add(new Block(f, start, info, lines.subList(start, end)));
                    i = end;
                }
            }
        }
        return out;
    }

    /** docs/formats of the repository, found upwards from the working directory (the module). */
    private static Path formatsDirectory() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("docs").resolve("formats");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new AssertionError("docs/formats not found above " + Path.of("").toAbsolutePath());
    }

    private static String abbreviate(String s) {
        return s.length() > 70 ? s.substring(0, 70) + "…" : s;
    }
}
