package io.lumadb.sql.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.sql.schema.Column;
import io.lumadb.sql.schema.ColumnType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link LumaTableScan} asks of its collection: the filter conjuncts, sort, offset and
 * limit pushed into the collection's JQL query. It travels into the generated code as JSON text
 * and becomes a JQL request body per execution, once the statement's parameters are known.
 *
 * <p>A conjunct is a tree of {@code {"$and": [...]}}, {@code {"$or": [...]}} and comparison
 * leaves {@code {"$sql": {"field", "op", "value" | "param" | "values"}}}: a leaf keeps SQL's
 * meaning (a comparison with {@code NULL} matches nothing; {@code <>} does not match a missing
 * field) and turns into JQL only in {@link #query}, when a parameter's value is known.
 *
 * @param columns the columns the statement was planned with, which the rows are read as
 * @param filters the pushed conjuncts, each with the digest of the SQL condition it came from
 * @param sort the pushed sort keys, most significant first (empty: the shards' {@code _id} order)
 * @param offset rows to skip, 0 for none
 * @param fetch rows to return at most, or -1 for all
 */
public record ScanSpec(
        List<Column> columns, List<Conjunct> filters, List<SortKey> sort, long offset, long fetch, boolean count) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Nothing pushed: every document of a table with {@code columns}, in {@code _id} order. */
    public static ScanSpec all(List<Column> columns) {
        return new ScanSpec(columns, List.of(), List.of(), 0, -1, false);
    }

    public ScanSpec {
        columns = List.copyOf(columns);
        filters = List.copyOf(filters);
        sort = List.copyOf(sort);
    }

    /** One pushed conjunct and the digest of the SQL condition it came from. */
    public record Conjunct(String digest, JsonNode tree) {}

    /** A pushed sort key on a top-level field. */
    public record SortKey(String field, boolean descending) {}

    ScanSpec withFilters(List<Conjunct> more) {
        List<Conjunct> all = new ArrayList<>(filters);
        all.addAll(more);
        return new ScanSpec(columns, all, sort, offset, fetch, count);
    }

    ScanSpec withSort(List<SortKey> keys, long newOffset, long newFetch) {
        return new ScanSpec(columns, filters, keys, newOffset, newFetch, count);
    }

    /** This scan reading only the columns at {@code keep} (positions in {@link #columns}, in order). */
    ScanSpec withColumns(List<Integer> keep) {
        List<Column> narrowed = new ArrayList<>();
        keep.forEach(i -> narrowed.add(columns.get(i)));
        return new ScanSpec(narrowed, filters, sort, offset, fetch, count);
    }

    /**
     * The fields to ask the shards for ({@code fields} of the JQL query), or null for whole
     * documents: when the whole document is a column, or nothing was left out.
     */
    public JsonNode jqlFields() {
        if (columns.stream()
                .anyMatch(c -> c.kind() == Column.Kind.DOC || (c.kind() == Column.Kind.FIELD && !c.pushable()))) {
            return null; // a field JQL would read as a path ("a.b") is read from the whole document
        }
        ArrayNode fields = NODES.arrayNode();
        for (Column c : columns) {
            if (c.kind() == Column.Kind.FIELD) {
                fields.add(c.name());
            }
        }
        return fields;
    }

    /** This scan answering only how many documents match: one row, the count ({@code COUNT(*)}). */
    ScanSpec withCount() {
        return new ScanSpec(columns, filters, sort, offset, fetch, true);
    }

    /**
     * Whether a conjunct with this JQL is pushed already (compared by JQL, which names fields, not
     * by the SQL digest, which names columns by position and changes when a scan is narrowed).
     */
    boolean hasConjunct(JsonNode tree) {
        return filters.stream().anyMatch(c -> c.tree().equals(tree));
    }

    /** Whether a sort, offset or limit is pushed, after which no filter may be pushed. */
    boolean ordered() {
        return !sort.isEmpty() || offset > 0 || fetch >= 0;
    }

    public String toJson() {
        ObjectNode o = NODES.objectNode();
        ArrayNode cols = o.putArray("columns");
        for (Column c : columns) {
            cols.addObject()
                    .put("name", c.name())
                    .put("type", c.type().name())
                    .put("kind", c.kind().name())
                    .put("strict", c.strict());
        }
        ArrayNode f = o.putArray("filters");
        for (Conjunct c : filters) {
            f.addObject().put("digest", c.digest()).set("tree", c.tree());
        }
        ArrayNode s = o.putArray("sort");
        for (SortKey k : sort) {
            s.addObject().put("field", k.field()).put("descending", k.descending());
        }
        o.put("offset", offset).put("fetch", fetch).put("count", count);
        return o.toString();
    }

    public static ScanSpec fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a scan spec: " + json, e);
        }
        List<Column> columns = new ArrayList<>();
        o.get("columns")
                .forEach(c -> columns.add(new Column(
                        c.get("name").asText(),
                        ColumnType.valueOf(c.get("type").asText()),
                        Column.Kind.valueOf(c.get("kind").asText()),
                        c.get("strict").asBoolean())));
        List<Conjunct> filters = new ArrayList<>();
        o.get("filters").forEach(c -> filters.add(new Conjunct(c.get("digest").asText(), c.get("tree"))));
        List<SortKey> sort = new ArrayList<>();
        o.get("sort")
                .forEach(k -> sort.add(
                        new SortKey(k.get("field").asText(), k.get("descending").asBoolean())));
        return new ScanSpec(
                columns,
                filters,
                sort,
                o.get("offset").asLong(),
                o.get("fetch").asLong(),
                o.path("count").asBoolean());
    }

    /** The highest statement parameter index the pushed filter reads, or -1 for none. */
    public int maxParam() {
        int max = -1;
        for (Conjunct c : filters) {
            max = Math.max(max, maxParam(c.tree()));
        }
        return max;
    }

    private static int maxParam(JsonNode node) {
        int max = node.has("param") ? node.get("param").asInt() : -1;
        for (JsonNode child : node) {
            max = Math.max(max, maxParam(child));
        }
        return max;
    }

    /** The JQL filter of the pushed conjuncts with {@code params} bound, or null for none. */
    public JsonNode filter(Object[] params) {
        if (filters.isEmpty()) {
            return null;
        }
        if (filters.size() == 1) {
            return jql(filters.getFirst().tree(), params);
        }
        ObjectNode and = NODES.objectNode();
        ArrayNode all = and.putArray("$and");
        filters.forEach(c -> all.add(jql(c.tree(), params)));
        return and;
    }

    /** The JQL sort of the pushed keys, or null for the shards' own {@code _id} order. */
    public JsonNode jqlSort() {
        if (sort.isEmpty()) {
            return null;
        }
        ArrayNode s = NODES.arrayNode();
        sort.forEach(k -> s.add((k.descending() ? "-" : "") + k.field()));
        return s;
    }

    /** Matches no document (JQL's {@code $nor} of the filter that matches all). */
    private static JsonNode nothing() {
        ObjectNode nor = NODES.objectNode();
        nor.putArray("$nor").addObject();
        return nor;
    }

    private static JsonNode jql(JsonNode tree, Object[] params) {
        if (tree.has("$and") || tree.has("$or")) {
            String op = tree.has("$and") ? "$and" : "$or";
            ObjectNode out = NODES.objectNode();
            ArrayNode parts = out.putArray(op);
            tree.get(op).forEach(t -> parts.add(jql(t, params)));
            return out;
        }
        JsonNode leaf = tree.get("$sql");
        String field = leaf.get("field").asText();
        String op = leaf.get("op").asText();
        ObjectNode out = NODES.objectNode();
        switch (op) {
            case "isNull" -> out.putNull(field);
            case "notNull" -> out.putObject(field).putNull("$ne");
            case "$in" -> {
                ArrayNode values = NODES.arrayNode();
                for (JsonNode v : leaf.get("values")) {
                    JsonNode bound = bind(v, params);
                    if (!bound.isNull()) { // x IN (.., NULL, ..) never matches through the NULL
                        values.add(bound);
                    }
                }
                out.putObject(field).set("$in", values);
            }
            default -> {
                JsonNode value = bind(leaf, params);
                if (value.isNull()) {
                    return nothing(); // a comparison with NULL is never true
                }
                if (op.equals("$ne")) {
                    // SQL's a <> v is unknown where a is NULL (missing); JQL's $ne matches it.
                    ObjectNode both = NODES.objectNode();
                    both.putArray("$and")
                            .add(NODES.objectNode()
                                    .set(field, NODES.objectNode().set("$ne", value)))
                            .add(NODES.objectNode()
                                    .set(field, NODES.objectNode().putNull("$ne")));
                    return both;
                }
                out.putObject(field).set(op, value);
            }
        }
        return out;
    }

    /** The value of a leaf or {@code $in} element: its literal, or its parameter's value. */
    private static JsonNode bind(JsonNode holder, Object[] params) {
        JsonNode param = holder.get("param");
        if (param != null) {
            int i = param.asInt();
            return toJson(i < params.length ? params[i] : null);
        }
        JsonNode v = holder.get("value");
        return v == null ? NODES.nullNode() : v;
    }

    /** A statement parameter's value as JSON; numbers as JQL compares them (by value). */
    static JsonNode toJson(Object value) {
        return switch (value) {
            case null -> NODES.nullNode();
            case String s -> NODES.textNode(s);
            case Boolean b -> NODES.booleanNode(b);
            case Integer i -> NODES.numberNode((long) i);
            case Long l -> NODES.numberNode(l);
            case Short s -> NODES.numberNode((long) s);
            case Byte b -> NODES.numberNode((long) b);
            case BigInteger b -> NODES.numberNode(b);
            case BigDecimal d -> numeric(d);
            case Double d -> NODES.numberNode(d);
            case Float f -> NODES.numberNode((double) f);
            case Character c -> NODES.textNode(c.toString());
            default -> NODES.textNode(value.toString());
        };
    }

    static JsonNode numeric(BigDecimal d) {
        BigDecimal stripped = d.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
            return NODES.numberNode(stripped.longValueExact());
        }
        return NODES.numberNode(d.doubleValue());
    }

    /** The spec as {@code EXPLAIN} shows it: the JQL the shards are asked, with {@code ?n} for parameters. */
    String describe() {
        StringBuilder out = new StringBuilder();
        if (!filters.isEmpty()) {
            Object[] marks = new Object[64];
            for (int i = 0; i < marks.length; i++) {
                marks[i] = "?" + i;
            }
            out.append("filter=").append(filter(marks));
        }
        if (!sort.isEmpty()) {
            out.append(out.isEmpty() ? "" : ", ").append("sort=").append(jqlSort());
        }
        if (offset > 0) {
            out.append(out.isEmpty() ? "" : ", ").append("offset=").append(offset);
        }
        if (fetch >= 0) {
            out.append(out.isEmpty() ? "" : ", ").append("limit=").append(fetch);
        }
        if (count) {
            out.append(out.isEmpty() ? "" : ", ").append("count=true");
        } else if (jqlFields() != null) {
            out.append(out.isEmpty() ? "" : ", ").append("fields=").append(jqlFields());
        }
        return out.toString();
    }
}
