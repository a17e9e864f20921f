package io.bulwark.label.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A small strict JSON reader (RFC 8259) and string quoting, so that the label library needs no
 * dependency. Objects become {@link LinkedHashMap}s (duplicate keys are an error), arrays
 * {@link List}s, numbers {@link BigDecimal}s. Nesting is limited.
 */
public final class Json {

    private static final int MAX_DEPTH = 16;
    private final String text;
    private final BiFunction<String, String, RuntimeException> error;
    private int pos;

    private Json(String text, BiFunction<String, String, RuntimeException> error) {
        this.text = text;
        this.error = error;
    }

    /** Parses a whole document; {@code error} makes the caller's exception from (position, rule). */
    public static Object parse(String text, BiFunction<String, String, RuntimeException> error) {
        Json j = new Json(text, error);
        j.skipSpace();
        Object value = j.value(0);
        j.skipSpace();
        if (j.pos != text.length()) {
            throw j.fail("unexpected text after the JSON value");
        }
        return value;
    }

    private RuntimeException fail(String rule) {
        return error.apply("offset " + pos, rule);
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++; else break;
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw fail("nested deeper than " + MAX_DEPTH + " levels");
        if (pos >= text.length()) throw fail("unexpected end of input");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw fail("unexpected character '" + printable(c) + "'");
            }
        };
    }

    private static String printable(char c) {
        return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) throw fail("expected " + word);
        pos += word.length();
        return value;
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> out = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipSpace();
            if (pos >= text.length() || text.charAt(pos) != '"') throw fail("expected a member name in double quotes");
            int at = pos;
            String key = string();
            skipSpace();
            if (pos >= text.length() || text.charAt(pos) != ':') throw fail("expected ':' after a member name");
            pos++;
            skipSpace();
            Object v = value(depth + 1);
            if (out.containsKey(key)) {
                pos = at;
                throw fail("duplicate member \"" + key + "\"");
            }
            out.put(key, v);
            skipSpace();
            if (pos >= text.length()) throw fail("unexpected end of input in an object");
            char c = text.charAt(pos++);
            if (c == '}') return out;
            if (c != ',') {
                pos--;
                throw fail("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        List<Object> out = new ArrayList<>();
        pos++;
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == ']') {
            pos++;
            return out;
        }
        while (true) {
            skipSpace();
            out.add(value(depth + 1));
            skipSpace();
            if (pos >= text.length()) throw fail("unexpected end of input in an array");
            char c = text.charAt(pos++);
            if (c == ']') return out;
            if (c != ',') {
                pos--;
                throw fail("expected ',' or ']'");
            }
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= text.length()) throw fail("unterminated string");
            char c = text.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) {
                pos--;
                throw fail("control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= text.length()) throw fail("unterminated escape");
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw fail("truncated \\u escape");
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        char h = text.charAt(pos + i);
                        if (!java.util.HexFormat.isHexDigit(h)) throw fail("bad hex digit in \\u escape"); // ASCII only (RFC 8259)
                        cp = cp * 16 + java.util.HexFormat.fromHexDigit(h);
                    }
                    pos += 4;
                    b.append((char) cp);
                }
                default -> {
                    pos--;
                    throw fail("unknown escape '\\" + printable(e) + "'");
                }
            }
        }
    }

    private BigDecimal number() {
        int start = pos;
        if (text.charAt(pos) == '-') pos++;
        while (pos < text.length() && "0123456789.eE+-".indexOf(text.charAt(pos)) >= 0) pos++;
        String n = text.substring(start, pos);
        if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?") || n.length() > 40) {
            pos = start;
            throw fail("malformed number");
        }
        try {
            return new BigDecimal(n);
        } catch (NumberFormatException e) { // an exponent beyond int range, e.g. 1e99999999999
            pos = start;
            throw fail("number out of range");
        }
    }

    /** The JSON string literal for {@code s}, quoted and escaped. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
