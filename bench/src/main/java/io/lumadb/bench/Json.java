package io.lumadb.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Serializes plain Java values to JSON: {@link Map} (keys as strings, in iteration order),
 * {@link List}, {@link CharSequence}, {@link Number}, {@link Boolean} and null. Non-finite
 * numbers become null (JSON has no NaN). Enough for benchmark reports without a JSON library.
 */
final class Json {

    private Json() {}

    static String write(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, 0);
        return s.append('\n').toString();
    }

    private static void write(StringBuilder s, Object v, int indent) {
        switch (v) {
            case null -> s.append("null");
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    s.append("{}");
                    return;
                }
                s.append("{\n");
                Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<?, ?> e = it.next();
                    pad(s, indent + 1);
                    string(s, String.valueOf(e.getKey()));
                    s.append(": ");
                    write(s, e.getValue(), indent + 1);
                    s.append(it.hasNext() ? ",\n" : "\n");
                }
                pad(s, indent);
                s.append('}');
            }
            case List<?> l -> {
                if (l.isEmpty()) {
                    s.append("[]");
                    return;
                }
                s.append("[\n");
                for (int i = 0; i < l.size(); i++) {
                    pad(s, indent + 1);
                    write(s, l.get(i), indent + 1);
                    s.append(i + 1 < l.size() ? ",\n" : "\n");
                }
                pad(s, indent);
                s.append(']');
            }
            case Double d -> number(s, d);
            case Float f -> number(s, f.doubleValue());
            case Number n -> s.append(n);
            case Boolean b -> s.append(b);
            default -> string(s, v.toString());
        }
    }

    private static void number(StringBuilder s, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            s.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            s.append((long) d);
        } else {
            // Six significant decimals are far below measurement noise and keep files readable.
            s.append(new BigDecimal(d)
                    .round(new MathContext(6))
                    .stripTrailingZeros()
                    .toPlainString());
        }
    }

    private static void pad(StringBuilder s, int indent) {
        s.append("  ".repeat(indent));
    }

    static void string(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
