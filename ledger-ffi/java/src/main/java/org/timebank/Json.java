package org.timebank;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader for the JSON the library writes (reports of exchanges): objects as {@link
 * Map}, arrays as {@link List}, strings, numbers as {@link BigDecimal} (exact), booleans and
 * null. The package has no dependency but JNA, so it reads these few documents itself; text
 * that is not JSON throws {@link IllegalStateException} (the library wrote it, so that is a bug).
 */
final class Json {
    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** The value {@code text} holds. */
    static Object parse(String text) {
        Json json = new Json(text);
        Object value = json.value();
        json.blank();
        if (json.at != text.length()) {
            throw json.bad("text after the value");
        }
        return value;
    }

    /** The text of each element of the array {@code text} holds, as written. */
    static List<String> elements(String text) {
        Json json = new Json(text);
        List<String> out = new ArrayList<String>();
        json.blank();
        json.expect('[');
        json.blank();
        if (json.peek() == ']') {
            return out;
        }
        while (true) {
            json.blank();
            int start = json.at;
            json.value();
            out.add(text.substring(start, json.at));
            json.blank();
            if (json.peek() == ']') {
                return out;
            }
            json.expect(',');
        }
    }

    /** {@code value} (as {@link #parse} returns them) written as JSON. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Map) {
            out.append('{');
            String comma = "";
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                out.append(comma);
                write(e.getKey(), out);
                out.append(':');
                write(e.getValue(), out);
                comma = ",";
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            String comma = "";
            for (Object e : (List<?>) value) {
                out.append(comma);
                write(e, out);
                comma = ",";
            }
            out.append(']');
        } else if (value instanceof String) {
            out.append('"');
            for (char c : ((String) value).toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            out.append('"');
        } else if (value instanceof BigDecimal) {
            out.append(((BigDecimal) value).toString());
        } else {
            out.append(String.valueOf(value)); // true, false, null
        }
    }

    private IllegalStateException bad(String why) {
        return new IllegalStateException("the library wrote JSON this package cannot read (" + why + " at " + at + ")");
    }

    private char peek() {
        if (at >= text.length()) {
            throw bad("end of text");
        }
        return text.charAt(at);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw bad("expected '" + c + "'");
        }
        at++;
    }

    private void blank() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private Object value() {
        blank();
        char c = peek();
        if (c == '{') {
            return object();
        } else if (c == '[') {
            return array();
        } else if (c == '"') {
            return string();
        } else if (text.startsWith("true", at)) {
            at += 4;
            return Boolean.TRUE;
        } else if (text.startsWith("false", at)) {
            at += 5;
            return Boolean.FALSE;
        } else if (text.startsWith("null", at)) {
            at += 4;
            return null;
        }
        int start = at;
        while (at < text.length() && "+-.eE0123456789".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        if (start == at) {
            throw bad("no value");
        }
        return new BigDecimal(text.substring(start, at));
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<String, Object>();
        expect('{');
        blank();
        if (peek() == '}') {
            at++;
            return out;
        }
        while (true) {
            blank();
            String key = string();
            blank();
            expect(':');
            out.put(key, value());
            blank();
            if (peek() == '}') {
                at++;
                return out;
            }
            expect(',');
        }
    }

    private List<Object> array() {
        List<Object> out = new ArrayList<Object>();
        expect('[');
        blank();
        if (peek() == ']') {
            at++;
            return out;
        }
        while (true) {
            out.add(value());
            blank();
            if (peek() == ']') {
                at++;
                return out;
            }
            expect(',');
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek();
            at++;
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = peek();
            at++;
            switch (e) {
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u':
                    if (at + 4 > text.length()) {
                        throw bad("short \\u escape");
                    }
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                    break;
                default: out.append(e);
            }
        }
    }
}
