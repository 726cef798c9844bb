package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of each result document ({@code fields} of a request): inclusion only, {@code _id}
 * and {@code _version} always included. Through arrays, each object element is reduced to the rest
 * of the path and other elements are dropped, and an object lacking the rest of a path is kept
 * as {@code {}} (both as MongoDB); a top-level field that is missing or a scalar where a path
 * continues is omitted. Numeric segments are field names here, never array positions.
 */
public final class Projection {

    private static final Projection ALL = new Projection(null);

    /** Tree of included paths: a null child marks a path that ends there (include whole value). */
    private final Map<String, Node> root;

    private static final class Node {
        final Map<String, Node> children = new LinkedHashMap<>();
        boolean whole;
    }

    private Projection(Map<String, Node> root) {
        this.root = root;
    }

    /** Parses {@code fields}: an array of paths; null (absent) means the whole document. */
    public static Projection parse(JsonNode fields, String pointer) {
        if (fields == null || fields.isNull() || fields.isMissingNode()) {
            return ALL;
        }
        if (!fields.isArray()) {
            throw new QueryException(pointer, "fields takes an array of paths, e.g. [\"name\", \"address.city\"]");
        }
        Node top = new Node();
        for (int i = 0; i < fields.size(); i++) {
            String at = QueryException.child(pointer, i);
            JsonNode item = fields.get(i);
            if (!item.isTextual()) {
                throw new QueryException(at, "a field is a path string, got " + FilterParser.describe(item));
            }
            Path path = Path.parse(item.textValue(), at);
            if (path.is(DocumentJson.ID) || path.is(DocumentJson.VERSION)) {
                continue;
            }
            String first = path.segments().getFirst();
            if (first.equals(DocumentJson.ID) || first.equals(DocumentJson.VERSION)) {
                throw new QueryException(
                        at, "'" + path.text() + "' overlaps '" + first + "', which is always included");
            }
            Node node = top;
            List<String> segments = path.segments();
            for (int s = 0; s < segments.size(); s++) {
                if (node.whole) {
                    throw new QueryException(at, "'" + path.text() + "' overlaps a shorter path in fields");
                }
                node = node.children.computeIfAbsent(segments.get(s), k -> new Node());
            }
            if (node.whole || !node.children.isEmpty()) {
                throw new QueryException(
                        at, "'" + path.text() + "' overlaps another path in fields (a path or one under it)");
            }
            node.whole = true;
        }
        return new Projection(top.children);
    }

    /** True if this returns whole documents. */
    public boolean isAll() {
        return root == null;
    }

    /** {@code doc} reduced to the projected fields ({@code doc} itself when {@link #isAll()}). */
    public JsonNode apply(JsonNode doc) {
        if (root == null || !doc.isObject()) {
            return doc;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        JsonNode id = doc.get(DocumentJson.ID);
        if (id != null) {
            out.set(DocumentJson.ID, id);
        }
        JsonNode version = doc.get(DocumentJson.VERSION);
        if (version != null) {
            out.set(DocumentJson.VERSION, version);
        }
        projectObject(doc, root, out);
        return out;
    }

    private static void projectObject(JsonNode object, Map<String, Node> children, ObjectNode out) {
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            Node node = children.get(e.getKey());
            if (node == null) {
                continue;
            }
            JsonNode projected = node.whole ? e.getValue() : project(e.getValue(), node);
            if (projected != null) {
                out.set(e.getKey(), projected);
            }
        }
    }

    /** The value reduced to the sub-paths of {@code node}; null if nothing of it remains. */
    private static JsonNode project(JsonNode value, Node node) {
        if (value.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            projectObject(value, node.children, out);
            return out;
        }
        if (value.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : value) {
                if (element.isObject() || element.isArray()) {
                    out.add(project(element, node));
                }
            }
            return out;
        }
        return null;
    }

    @Override
    public String toString() {
        return root == null ? "all" : root.keySet().toString();
    }
}
