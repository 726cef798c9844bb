package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A sort order of documents. It always ends with {@code _id} (ascending, unless the request placed
 * {@code _id} itself), so the order is total and pages can resume after a cursor.
 *
 * @param keys the sort keys, most significant first; never empty
 */
public record SortSpec(List<Key> keys) {

    private static final Path ID = new Path("_id", List.of("_id"));

    /** The natural order: {@code _id} ascending. */
    public static final SortSpec BY_ID = new SortSpec(List.of(new Key(ID, false)));

    public SortSpec {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a sort needs at least one key");
        }
    }

    /**
     * One sort key.
     *
     * @param path the path sorted by
     * @param descending true for descending order
     */
    public record Key(Path path, boolean descending) {}

    /**
     * Parses the {@code sort} of a request: an array of {@code "path"}, {@code "-path"} or {@code
     * {"path": "age", "order": "asc"|"desc"}}. {@code null} (absent) is {@link #BY_ID}.
     */
    public static SortSpec parse(JsonNode sort, String pointer) {
        if (sort == null || sort.isNull() || sort.isMissingNode()) {
            return BY_ID;
        }
        if (!sort.isArray()) {
            throw new QueryException(
                    pointer,
                    "sort takes an array of \"path\", \"-path\" or {\"path\": \"p\", \"order\": \"asc\"|\"desc\"}");
        }
        List<Key> keys = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < sort.size(); i++) {
            String at = QueryException.child(pointer, i);
            Key key = parseKey(sort.get(i), at);
            if (!seen.add(key.path().text())) {
                throw new QueryException(at, "path '" + key.path().text() + "' appears twice in the sort");
            }
            keys.add(key);
        }
        if (!seen.contains("_id")) {
            keys.add(new Key(ID, false));
        }
        return new SortSpec(keys);
    }

    private static Key parseKey(JsonNode item, String at) {
        if (item.isTextual()) {
            String text = item.textValue();
            boolean descending = text.startsWith("-");
            return new Key(Path.parse(descending ? text.substring(1) : text, at), descending);
        }
        if (item.isObject()) {
            for (var e : item.properties()) {
                if (!e.getKey().equals("path") && !e.getKey().equals("order")) {
                    throw new QueryException(
                            QueryException.child(at, e.getKey()),
                            "unknown field '" + e.getKey() + "' in a sort key; allowed: path, order");
                }
            }
            JsonNode path = item.get("path");
            if (path == null || !path.isTextual()) {
                throw new QueryException(QueryException.child(at, "path"), "a sort key needs a string \"path\"");
            }
            JsonNode order = item.get("order");
            boolean descending = false;
            if (order != null) {
                if (!order.isTextual()
                        || !(order.textValue().equals("asc")
                                || order.textValue().equals("desc"))) {
                    throw new QueryException(QueryException.child(at, "order"), "order is \"asc\" or \"desc\"");
                }
                descending = order.textValue().equals("desc");
            }
            return new Key(Path.parse(path.textValue(), QueryException.child(at, "path")), descending);
        }
        throw new QueryException(
                at, "a sort key is \"path\", \"-path\" or {\"path\": \"p\", \"order\": \"asc\"|\"desc\"}");
    }

    /**
     * The value {@code doc} sorts by for {@code key}: the least (ascending) or greatest
     * (descending) of {@link Paths#indexValues}, as MongoDB sorts arrays by their extreme element;
     * null for a missing path.
     */
    public static JsonNode sortValue(JsonNode doc, Key key) {
        List<JsonNode> values = Paths.indexValues(doc, key.path()).values();
        if (values.isEmpty()) {
            return NullNode.instance;
        }
        return key.descending() ? values.getLast() : values.getFirst();
    }

    /**
     * The concatenated {@link KeyCodec#encode} of the sort values of every key except a trailing
     * {@code _id} key, each in its key's direction. Callers append the document's id bytes to make
     * keys unique; comparing such keys unsigned gives the sort order.
     */
    public byte[] sortKey(JsonNode doc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        int n = keys.size();
        if (keys.getLast().path().is("_id")) {
            n--;
        }
        for (int i = 0; i < n; i++) {
            Key key = keys.get(i);
            KeyCodec.encode(sortValue(doc, key), key.descending(), out);
        }
        return out.toByteArray();
    }

    /** True if this is {@code _id} ascending only: the natural order of documents in a shard. */
    public boolean isIdOrder() {
        return keys.size() == 1
                && keys.getFirst().path().is("_id")
                && !keys.getFirst().descending();
    }
}
