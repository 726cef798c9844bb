package io.lumadb.shards.query;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed dotted path such as {@code address.city} or {@code items.0.sku}. Segments are non-empty
 * and never start with {@code $}.
 *
 * @param text the path as written
 * @param segments its dot-separated segments
 */
public record Path(String text, List<String> segments) {

    public Path {
        segments = List.copyOf(segments);
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("a path needs at least one segment: '" + text + "'");
        }
    }

    /** Parses {@code text}; a bad path is a {@link QueryException} at {@code pointer}. */
    public static Path parse(String text, String pointer) {
        if (text.isEmpty()) {
            throw new QueryException(pointer, "a path must not be empty; use dotted field names like \"a.b\"");
        }
        List<String> segments = new ArrayList<>();
        int start = 0;
        while (true) {
            int dot = text.indexOf('.', start);
            String segment = dot < 0 ? text.substring(start) : text.substring(start, dot);
            if (segment.isEmpty()) {
                throw new QueryException(
                        pointer, "path '" + text + "' has an empty segment; segments are separated by single dots");
            }
            if (segment.charAt(0) == '$') {
                throw new QueryException(
                        pointer,
                        "path '" + text + "' has segment '" + segment
                                + "' starting with '$'; operators are not allowed here, only field names");
            }
            segments.add(segment);
            if (dot < 0) {
                return new Path(text, segments);
            }
            start = dot + 1;
        }
    }

    /** True if this path is the single field {@code name}. */
    boolean is(String name) {
        return segments.size() == 1 && segments.get(0).equals(name);
    }

    /** True if {@code segment} may index an array: a plain decimal number without sign. */
    static int arrayIndex(String segment) {
        if (segment.length() > 9) {
            return -1;
        }
        int index = 0;
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            index = index * 10 + (c - '0');
        }
        return index;
    }

    @Override
    public String toString() {
        return text;
    }
}
