package io.lumadb.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A route's path, such as {@code /api/v1/{db}/{collection}/_indexes/{name}}: literal segments
 * and named parameters, each a whole segment. A parameter matches one non-empty segment, except
 * that {@code {db}}, {@code {collection}} and {@code {id}} never match a segment starting with
 * {@code _}: database, collection and document names cannot start with one, so such a segment
 * always names one of LumaDB's own resources ({@code _docs}, {@code _changes}, ...) and a
 * misspelt one is a 404, not a document called {@code _chnages}.
 *
 * <p>The last segment may be a rest parameter, {@code {path...}}: it matches one or more
 * non-empty segments and holds them joined by {@code /} (each already decoded), for resources
 * named by a relative path such as a backup's files. Its name is {@code path}.
 */
final class PathTemplate {

    /** The parameters that hold names, which never start with {@code _}. */
    static final Set<String> NAME_PARAMETERS = Set.of(Call.DB, Call.COLLECTION, Call.ID);

    private final String text;
    private final List<String> segments;
    /** Per segment, the parameter it holds, or null for a literal; parsed once, read per request. */
    private final String[] names;

    private final List<String> parameters;
    /** Whether the last segment is a rest parameter ({@code {name...}}). */
    private final boolean rest;

    private PathTemplate(String text, List<String> segments, List<String> parameters) {
        this.text = text;
        this.segments = segments;
        this.names = segments.stream().map(PathTemplate::parameterName).toArray(String[]::new);
        this.parameters = parameters;
        this.rest = segments.getLast().endsWith("...}");
    }

    static PathTemplate parse(String text) {
        if (!text.startsWith("/") || text.endsWith("/") || text.contains("//")) {
            throw new IllegalArgumentException(
                    "a path template starts with '/' and has no empty segment or trailing slash: " + text);
        }
        List<String> segments = List.of(text.substring(1).split("/", -1));
        List<String> parameters = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            String s = segments.get(i);
            if (s.endsWith("...}") && i != segments.size() - 1) {
                throw new IllegalArgumentException("a rest parameter {name...} is the last segment: " + text);
            }
            String name = parameterName(s);
            if (name != null) {
                if (!name.matches("[a-z][a-zA-Z0-9]*")) {
                    throw new IllegalArgumentException("a parameter is {name} with a simple name: " + text);
                }
                if (parameters.contains(name)) {
                    throw new IllegalArgumentException("parameter {" + name + "} appears twice in " + text);
                }
                parameters.add(name);
            } else if (s.contains("{") || s.contains("}")) {
                throw new IllegalArgumentException("a parameter is a whole segment: " + text);
            }
        }
        return new PathTemplate(text, segments, List.copyOf(parameters));
    }

    private static String parameterName(String segment) {
        if (segment.length() > 5 && segment.startsWith("{") && segment.endsWith("...}")) {
            return segment.substring(1, segment.length() - 4);
        }
        return segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}")
                ? segment.substring(1, segment.length() - 1)
                : null;
    }

    String text() {
        return text;
    }

    /** The parameter names, in path order. */
    List<String> parameters() {
        return parameters;
    }

    /** The parameter values if {@code path} matches, else null. */
    Map<String, String> match(List<String> path) {
        if (path.size() != segments.size() && !(rest && path.size() > segments.size())) {
            return null;
        }
        Map<String, String> values = null;
        for (int i = 0; i < segments.size(); i++) {
            String actual = rest && i == segments.size() - 1 ? restOf(path, i) : path.get(i);
            if (actual == null) {
                return null;
            }
            String name = names[i];
            if (name == null) {
                if (!segments.get(i).equals(actual)) {
                    return null;
                }
            } else {
                if (actual.isEmpty() || (actual.startsWith("_") && NAME_PARAMETERS.contains(name))) {
                    return null;
                }
                if (values == null) {
                    values = new LinkedHashMap<>();
                }
                values.put(name, actual);
            }
        }
        return values == null ? Map.of() : values;
    }

    /** Segments {@code from..} joined by '/', or null if one is empty. */
    private static String restOf(List<String> path, int from) {
        for (int i = from; i < path.size(); i++) {
            if (path.get(i).isEmpty()) {
                return null;
            }
        }
        return String.join("/", path.subList(from, path.size()));
    }

    /**
     * Orders templates so that the more specific comes first where two could match one path:
     * segment by segment from the left, a literal before a parameter.
     */
    static int bySpecificity(PathTemplate a, PathTemplate b) {
        int n = Math.min(a.segments.size(), b.segments.size());
        for (int i = 0; i < n; i++) {
            boolean la = a.names[i] == null;
            boolean lb = b.names[i] == null;
            if (la != lb) {
                return la ? -1 : 1;
            }
        }
        if (a.rest != b.rest) {
            // A fixed template before a rest one that could match the same paths.
            return a.rest ? 1 : -1;
        }
        return Integer.compare(a.segments.size(), b.segments.size());
    }

    /** The same template up to parameter names: two such routes could never be told apart. */
    String shape() {
        StringBuilder shape = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            shape.append('/')
                    .append(names[i] == null ? segments.get(i) : rest && i == segments.size() - 1 ? "{...}" : "{}");
        }
        return shape.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
