package io.lumadb.vector;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.query.Path;
import io.lumadb.shards.query.QueryException;
import io.lumadb.vector.index.Analyzers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the body of {@code PUT .../_indexes/{name}} for a search index:
 *
 * <pre>{@code
 * {"type": "vector", "path": "embedding", "dimension": 768, "similarity": "cosine",
 *  "m": 16, "efConstruction": 100, "quantization": "int8"}
 * {"type": "text", "paths": ["title", "body"], "analyzer": "english", "stored": true}
 * }</pre>
 *
 * Similarity is {@code cosine} (default), {@code dot_product} or {@code euclidean};
 * quantization {@code none} (default), {@code int8}, {@code int4} or {@code binary}; {@code m}
 * and {@code efConstruction} default to 16 and 100. A text index takes {@code path} or {@code
 * paths}; its analyzer defaults to {@code standard} and {@code stored} (kept for highlights) to
 * true. Every problem is a {@link QueryException} pointing at its field.
 */
public final class SearchIndexBodies {

    private static final Set<String> VECTOR_FIELDS =
            Set.of("type", "path", "dimension", "similarity", "m", "efConstruction", "quantization");
    private static final Set<String> TEXT_FIELDS = Set.of("type", "path", "paths", "analyzer", "stored");

    private SearchIndexBodies() {}

    /** Whether {@code body} defines a search index (its {@code type} is {@code vector} or {@code text}). */
    public static boolean isSearch(JsonNode body) {
        return body != null && body.isObject() && body.has("type");
    }

    public static SearchSpec parse(JsonNode body) {
        String type = body.path("type").asText("");
        return switch (type) {
            case "vector" -> vector(body);
            case "text" -> text(body);
            default ->
                throw new QueryException(
                        "/type",
                        "type must be \"vector\" or \"text\" (a secondary index has no"
                                + " type, only \"fields\"), got " + body.get("type"));
        };
    }

    private static SearchSpec vector(JsonNode body) {
        unknown(body, VECTOR_FIELDS, "a vector index");
        String path = path(body.get("path"), "/path");
        JsonNode dim = body.get("dimension");
        if (dim == null
                || !dim.isIntegralNumber()
                || !dim.canConvertToInt()
                || dim.intValue() < 1
                || dim.intValue() > SearchSpec.MAX_DIMENSION) {
            throw new QueryException(
                    "/dimension",
                    "dimension must be an integer from 1 to " + SearchSpec.MAX_DIMENSION + ", got " + dim);
        }
        SearchSpec.Similarity similarity =
                choice(body, "similarity", SearchSpec.Similarity.class, SearchSpec.Similarity.COSINE);
        SearchSpec.Quantization quantization =
                choice(body, "quantization", SearchSpec.Quantization.class, SearchSpec.Quantization.NONE);
        int m = integer(body, "m", SearchSpec.DEFAULT_M, 2, 512);
        int ef = integer(body, "efConstruction", SearchSpec.DEFAULT_EF_CONSTRUCTION, 1, 3200);
        return SearchSpec.vector(path, dim.intValue(), similarity, m, ef, quantization);
    }

    private static SearchSpec text(JsonNode body) {
        unknown(body, TEXT_FIELDS, "a text index");
        List<String> paths = new ArrayList<>();
        if (body.has("path") == body.has("paths")) {
            throw new QueryException("", "a text index names its fields with either \"path\" or \"paths\"");
        }
        if (body.has("path")) {
            paths.add(path(body.get("path"), "/path"));
        } else {
            JsonNode list = body.get("paths");
            if (!list.isArray() || list.isEmpty() || list.size() > SearchSpec.MAX_TEXT_PATHS) {
                throw new QueryException(
                        "/paths", "paths must be an array of 1 to " + SearchSpec.MAX_TEXT_PATHS + " paths");
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String p = path(list.get(i), "/paths/" + i);
                if (!seen.add(p)) {
                    throw new QueryException("/paths/" + i, "path '" + p + "' appears twice");
                }
                paths.add(p);
            }
        }
        String analyzer = body.path("analyzer").asText("standard");
        if (body.has("analyzer") && !body.get("analyzer").isTextual()) {
            throw new QueryException("/analyzer", "analyzer must be a string");
        }
        if (!Analyzers.names().contains(analyzer)) {
            throw new QueryException(
                    "/analyzer",
                    "unknown analyzer '" + analyzer + "'; known: "
                            + String.join(", ", new java.util.TreeSet<>(Analyzers.names())));
        }
        JsonNode stored = body.get("stored");
        if (stored != null && !stored.isBoolean()) {
            throw new QueryException("/stored", "stored must be true or false");
        }
        return SearchSpec.text(paths, analyzer, stored == null || stored.booleanValue());
    }

    private static void unknown(JsonNode body, Set<String> allowed, String what) {
        body.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new QueryException(
                        "/" + name,
                        "unknown field '" + name + "' for " + what + "; allowed: "
                                + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        });
    }

    private static String path(JsonNode node, String pointer) {
        if (node == null || !node.isTextual() || node.textValue().isEmpty()) {
            throw new QueryException(pointer, "a path (a non-empty string such as \"embedding\" or \"a.b\") is needed");
        }
        String path = node.textValue();
        Path.parse(path, pointer);
        if (path.equals(DocumentJson.ID) || path.equals(DocumentJson.VERSION)) {
            throw new QueryException(pointer, "'" + path + "' cannot be a search field");
        }
        return path;
    }

    private static <E extends Enum<E>> E choice(JsonNode body, String field, Class<E> type, E fallback) {
        JsonNode node = body.get(field);
        if (node == null) {
            return fallback;
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String name = e.name().toLowerCase(Locale.ROOT);
            names.add(name);
            if (node.isTextual() && node.textValue().equals(name)) {
                return e;
            }
        }
        throw new QueryException("/" + field, field + " must be one of " + names + ", got " + node);
    }

    private static int integer(JsonNode body, String field, int fallback, int min, int max) {
        JsonNode node = body.get(field);
        if (node == null) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw new QueryException(
                    "/" + field, field + " must be an integer from " + min + " to " + max + ", got " + node);
        }
        return node.intValue();
    }
}
