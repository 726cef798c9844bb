package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * What one caller may see of a collection: the documents matching a row filter, without some
 * fields. Built by the security rules for each caller (with its claims already in the filter),
 * and applied wherever documents leave: point reads, listings, queries and every change it
 * receives. {@link #ALL} is what a caller without rules sees.
 *
 * @param filterJson the row filter as JQL (null: every document), ANDed into the caller's queries
 * @param hiddenFields top-level or dotted paths removed from every document the caller gets
 */
public record RowAccess(JsonNode filterJson, Filter filter, Set<String> hiddenFields) {

    /** Everything. */
    public static final RowAccess ALL = new RowAccess(null, null, Set.of());

    public RowAccess {
        hiddenFields = Set.copyOf(hiddenFields);
        if ((filterJson == null) != (filter == null)) {
            throw new IllegalArgumentException("a row filter comes with its JSON form");
        }
    }

    /** A row filter over JQL {@code filterJson} (null: every row) hiding {@code hiddenFields}. */
    public static RowAccess of(JsonNode filterJson, Set<String> hiddenFields, QueryLimits limits) {
        if (filterJson == null) {
            return new RowAccess(null, null, hiddenFields);
        }
        return new RowAccess(filterJson, Filter.parse(filterJson, "/rule", limits), hiddenFields);
    }

    /** Whether nothing is restricted: every document, whole. */
    public boolean unrestricted() {
        return filter == null && hiddenFields.isEmpty();
    }

    /** Whether {@code doc} (stored form, with {@code _id}) is visible. */
    public boolean sees(JsonNode doc) {
        return doc != null && (filter == null || filter.matches(doc, Deadline.none()));
    }

    /** Whether {@code path} (a field path of a query) names a hidden field or lies inside one. */
    public boolean hides(String path) {
        for (String hidden : hiddenFields) {
            if (path.equals(hidden) || path.startsWith(hidden + ".") || hidden.startsWith(path + ".")) {
                return true;
            }
        }
        return false;
    }

    /** {@code doc} without the hidden fields (a copy when there are any). */
    public JsonNode strip(JsonNode doc) {
        if (hiddenFields.isEmpty() || doc == null || !doc.isObject()) {
            return doc;
        }
        ObjectNode copy = ((ObjectNode) doc).deepCopy();
        for (String path : hiddenFields) {
            remove(copy, path);
        }
        return copy;
    }

    /** The stored JSON {@code json} without the hidden fields (the same array when there are none). */
    public byte[] strip(byte[] json) {
        if (hiddenFields.isEmpty() || json == null) {
            return json;
        }
        return DocumentJson.bytes(strip(parse(json)));
    }

    private static void remove(ObjectNode node, String path) {
        int dot = path.indexOf('.');
        if (dot < 0) {
            node.remove(path);
            return;
        }
        JsonNode child = node.get(path.substring(0, dot));
        if (child instanceof ObjectNode object) {
            remove(object, path.substring(dot + 1));
        }
    }

    public static JsonNode parse(byte[] json) {
        try {
            return DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("stored document is not JSON", e);
        }
    }
}
