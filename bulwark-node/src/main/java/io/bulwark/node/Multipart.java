package io.bulwark.node;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A strict reader of {@code multipart/form-data} bodies (RFC 7578) held in memory: the parts by
 * name, each with its content type and bytes. Anything malformed is a {@link Problem} 400 naming the
 * part and the rule.
 */
final class Multipart {

    record Part(String name, Optional<String> contentType, byte[] body) {}

    private Multipart() {}

    /** The boundary of a {@code multipart/form-data} content type, or empty if it is another type. */
    static Optional<String> boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return Optional.empty();
        }
        for (String param : contentType.split(";")) {
            String p = param.strip();
            if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = p.substring(9).strip();
                if (b.startsWith("\"") && b.endsWith("\"") && b.length() >= 2) b = b.substring(1, b.length() - 1);
                if (b.isEmpty() || b.length() > 70) throw Problem.badRequest("multipart: the boundary is 1 to 70 characters");
                return Optional.of(b);
            }
        }
        throw Problem.badRequest("multipart/form-data without a boundary parameter");
    }

    static Map<String, Part> parse(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(body, delimiter, 0);
        if (at < 0) throw Problem.badRequest("multipart: the body has no boundary line");
        Map<String, Part> parts = new LinkedHashMap<>();
        while (true) {
            int lineEnd = at + delimiter.length;
            if (lineEnd + 2 <= body.length && body[lineEnd] == '-' && body[lineEnd + 1] == '-') {
                return parts; // the closing delimiter
            }
            if (lineEnd + 2 > body.length || body[lineEnd] != '\r' || body[lineEnd + 1] != '\n') {
                throw Problem.badRequest("multipart: a boundary line must end with CRLF (byte " + lineEnd + ")");
            }
            int headersStart = lineEnd + 2;
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), headersStart);
            if (headersEnd < 0) throw Problem.badRequest("multipart: part headers without the blank line that ends them");
            if (headersEnd - headersStart > MAX_PART_HEADERS) {
                throw Problem.badRequest("multipart: a part's headers (byte " + headersStart + ") exceed " + MAX_PART_HEADERS + " bytes");
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
            int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII), headersEnd + 4);
            if (next < 0) throw Problem.badRequest("multipart: a part is not closed by the boundary (truncated body?)");
            String name = null;
            Optional<String> type = Optional.empty();
            for (String h : headers.split("\r\n")) {
                int colon = h.indexOf(':');
                if (colon <= 0) throw Problem.badRequest("multipart: malformed part header '" + quoted(h) + "'");
                String key = h.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).strip();
                if (key.equals("content-disposition")) {
                    name = dispositionName(value);
                } else if (key.equals("content-type")) {
                    type = Optional.of(value);
                }
            }
            if (name == null || name.isEmpty()) throw Problem.badRequest("multipart: a part has no Content-Disposition name");
            if (parts.containsKey(name)) throw Problem.badRequest("multipart: part '" + quoted(name) + "' appears twice");
            parts.put(name, new Part(name, type, Arrays.copyOfRange(body, headersEnd + 4, next)));
            at = next + 2;
        }
    }

    /** A part's headers, at most: a name and a media type need far less, and the parameter pattern then stays shallow. */
    static final int MAX_PART_HEADERS = 8192;

    /** What a message quotes of a header or name: at most 100 characters. */
    static String quoted(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }

    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
    private static final java.util.regex.Pattern PARAMETER =
            java.util.regex.Pattern.compile("\\s*;\\s*(" + TOKEN + ")=(?:\"((?:[^\"\\\\]++|\\\\.)*+)\"|(" + TOKEN + "))");

    /** The name parameter of {@code form-data; name="..."; ...} (RFC 7578 §4.2), quoted strings read as such. */
    private static String dispositionName(String value) {
        if (!value.regionMatches(true, 0, "form-data", 0, 9)) {
            throw Problem.badRequest("multipart: Content-Disposition '" + quoted(value) + "': a part is form-data");
        }
        String name = null;
        java.util.regex.Matcher m = PARAMETER.matcher(value);
        int at = 9;
        while (at < value.length() && !value.substring(at).isBlank()) {
            if (!m.region(at, value.length()).lookingAt()) {
                throw Problem.badRequest("multipart: Content-Disposition '" + quoted(value) + "' at offset " + at + ": a parameter is ; NAME=VALUE "
                        + "or ; NAME=\"QUOTED VALUE\"");
            }
            if (m.group(1).equalsIgnoreCase("name")) {
                name = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
            }
            at = m.end();
        }
        return name;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
