package io.bulwark.cli;

import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A label from the argument or, when it is absent or {@code -}, from standard input. */
public final class LabelInput {

    enum From { xml, json, marking }

    @Option(names = "--from", paramLabel = "FORMAT", description = "Input format: ${COMPLETION-CANDIDATES}. "
            + "Default: guessed ('<' XML, '{' JSON, else a marking, display or compact).")
    From from;

    @Parameters(index = "0", arity = "0..1", paramLabel = "LABEL",
            description = "The label; '-' or absent reads standard input.")
    String text;

    ConfidentialityLabel read(PolicySet policies) {
        String t = text == null || text.equals("-") ? stdin() : text;
        LabelFormat format;
        if (from != null) {
            format = switch (from) {
                case xml -> LabelFormat.XML;
                case json -> LabelFormat.JSON;
                case marking -> LabelFormat.MARKING;
            };
        } else {
            String s = t.stripLeading();
            format = s.startsWith("<") ? LabelFormat.XML : s.startsWith("{") ? LabelFormat.JSON : LabelFormat.MARKING;
        }
        return policies.decode(format, t);
    }

    private static String stdin() {
        try {
            byte[] bytes = System.in.readNBytes(PolicySet.MAX_LABEL_CHARS * 4 + 1);
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(in).toString();
            } catch (java.nio.charset.CharacterCodingException e) { // decoded leniently, a byte would become U+FFFD and the error name that
                throw new UserError(ExitCode.BAD_INPUT, "standard input at byte " + in.position() + ": not UTF-8");
            }
        } catch (IOException e) {
            throw new UserError(ExitCode.BAD_INPUT, "standard input cannot be read: " + e.getMessage());
        }
    }
}
