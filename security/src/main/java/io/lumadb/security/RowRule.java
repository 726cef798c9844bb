package io.lumadb.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.query.Filter;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QueryLimits;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A row- and field-level rule of a role, for the collections of its resource ({@code *}, {@code
 * db:<database>} or {@code db:<database>/<collection>}):
 *
 * <ul>
 *   <li>{@code read}: a JQL filter; the role's holders see only the documents matching it;
 *   <li>{@code write}: a JQL filter the document must match after a write, and before it for
 *       updates and deletes (like PostgreSQL's {@code WITH CHECK} and {@code USING});
 *   <li>{@code hide}: fields (top-level or dotted paths) the role's holders never get.
 * </ul>
 *
 * <p>A filter may name the caller's claims: a string value {@code "$claims.<name>"} is replaced
 * by that claim ({@code {"owner": "$claims.sub"}}, {@code {"tenant": {"$in":
 * "$claims.tenants"}}}). A rule naming a claim the caller does not have matches nothing.
 */
public record RowRule(String resource, JsonNode read, JsonNode write, List<String> hide) {

    private static final Pattern CLAIM = Pattern.compile("\\$claims\\.([A-Za-z0-9_.:-]{1,100})");
    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}");

    public RowRule {
        if (!resource.equals("*") && !resource.startsWith("db:")) {
            throw new IllegalArgumentException(
                    "a rule's resource is *, db:<database> or db:<database>/<collection>: " + resource);
        }
        Grant.checkResource(resource);
        // A rule without a filter crosses between nodes (and comes back from the journal) with
        // that filter as a JSON null: it means no filter, as a Java null does.
        read = absent(read) ? null : read;
        write = absent(write) ? null : write;
        hide = List.copyOf(hide == null ? List.of() : hide);
        for (String field : hide) {
            if (!FIELD.matcher(field).matches() || field.equals("_id") || field.equals("_version")) {
                throw new IllegalArgumentException(
                        "cannot hide '" + field + "': a field path other than _id and _version");
            }
        }
        if (read == null && write == null && hide.isEmpty()) {
            throw new IllegalArgumentException("a rule has a read filter, a write filter or fields to hide");
        }
        check(read, "read");
        check(write, "write");
    }

    private static boolean absent(JsonNode filter) {
        return filter == null || filter.isNull() || filter.isMissingNode();
    }

    /** Validates a filter with placeholder claims, so a bad rule is refused when it is defined. */
    private static void check(JsonNode filter, String what) {
        if (filter == null) {
            return;
        }
        if (!filter.isObject()) {
            throw new IllegalArgumentException("a rule's " + what + " filter is a JQL filter object");
        }
        try {
            Filter.parse(substitute(filter, null, new boolean[1]), "/" + what, QueryLimits.DEFAULTS);
        } catch (QueryException e) {
            throw new IllegalArgumentException("the " + what + " filter is not valid JQL: " + e.getMessage());
        }
    }

    /** Whether this rule covers collection {@code db/collection}. */
    boolean covers(String db, String collection) {
        return resource.equals("*") || resource.equals("db:" + db) || resource.equals("db:" + db + "/" + collection);
    }

    /** This rule confined to one database, as a role bound to it is (see {@link Grant#within}). */
    Optional<RowRule> within(String database) {
        if (resource.equals("*")) {
            return Optional.of(new RowRule("db:" + database, read, write, hide));
        }
        if (resource.equals("db:" + database) || resource.startsWith("db:" + database + "/")) {
            return Optional.of(this);
        }
        return Optional.empty();
    }

    Set<String> hidden() {
        return Set.copyOf(hide);
    }

    /**
     * {@code filter} with every {@code "$claims.<name>"} replaced by the claim from {@code claims};
     * with null claims (validation) by a placeholder of the right shape. A missing claim sets
     * {@code missing[0]}.
     */
    static JsonNode substitute(JsonNode filter, Map<String, Object> claims, boolean[] missing) {
        return substitute(filter, claims, missing, false);
    }

    private static JsonNode substitute(JsonNode node, Map<String, Object> claims, boolean[] missing, boolean list) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (node.isTextual()) {
            var m = CLAIM.matcher(node.textValue());
            if (!m.matches()) {
                return node;
            }
            if (claims == null) {
                return list ? f.arrayNode().add("x") : f.textNode("x");
            }
            Object value = claims.get(m.group(1));
            if (value == null) {
                missing[0] = true;
                return list ? f.arrayNode() : f.nullNode();
            }
            return io.lumadb.shards.model.DocumentJson.mapper().valueToTree(value);
        }
        if (node.isObject()) {
            ObjectNode out = f.objectNode();
            for (var e : node.properties()) {
                boolean wantsList = e.getKey().equals("$in")
                        || e.getKey().equals("$nin")
                        || e.getKey().equals("$all");
                out.set(e.getKey(), substitute(e.getValue(), claims, missing, wantsList));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = f.arrayNode();
            node.forEach(child -> out.add(substitute(child, claims, missing, false)));
            return out;
        }
        return node;
    }
}
