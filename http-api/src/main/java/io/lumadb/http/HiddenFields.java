package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Principal;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.RowAccess;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fields hidden from a caller by its roles' {@code hide} rules, kept out of everything it asks
 * and writes, not only out of what it reads:
 *
 * <ul>
 *   <li>a query or subscription naming one (filter, sort, fields, aggregate, distinct) is refused,
 *       since its answer (which documents match, in which order, which groups) would tell the
 *       field's values;
 *   <li>a write body naming one (to set it, or to remove it with a merge patch's {@code null}) is
 *       refused, and so is one setting an object holding one to a value that cannot hold it;
 *   <li>a replace or patch keeps the stored values of the hidden fields ({@link #restore}): a
 *       caller's writes never change nor drop data it cannot see.
 * </ul>
 *
 * <p>Refusals are {@code 403 hidden-field} (not {@code 400}: the request is well-formed, the
 * caller's roles do not allow it), decided on the request alone, before any document is read,
 * so the answer tells nothing about what is stored.
 */
final class HiddenFields {

    /** Members of a {@code _query} body that never name a field. */
    private static final Set<String> NO_FIELDS = Set.of("limit", "after", "timeoutMs", "count", "explain");

    private HiddenFields() {}

    /**
     * The fields {@code principal}'s writes to {@code db/collection} must leave alone: those
     * hidden from its reads, and those every role letting it write hides (so a role that may
     * write but not read still keeps its hidden fields out of reach).
     */
    static Set<String> ofWrites(ApiContext api, Principal principal, String db, String collection) {
        Set<String> read = api.security()
                .access(principal, Action.READ, false, db, collection)
                .hiddenFields();
        Set<String> write = api.security()
                .access(principal, Action.WRITE, false, db, collection)
                .hiddenFields();
        if (write.isEmpty() || read.containsAll(write)) {
            return read;
        }
        Set<String> all = new HashSet<>(read);
        all.addAll(write);
        return Set.copyOf(all);
    }

    // ---- queries and subscriptions

    /** Refuses a {@code _query} body naming a field {@code sight} hides, anywhere it could name one. */
    static void refuseInQuery(JsonNode body, RowAccess sight) {
        if (sight.hiddenFields().isEmpty() || body == null || !body.isObject()) {
            return;
        }
        for (var member : body.properties()) {
            String name = member.getKey();
            if (!NO_FIELDS.contains(name)) {
                refuseNamed(member.getValue(), sight, name.equals("filter"), "/" + name);
            }
        }
    }

    /** Refuses a subscription whose {@code filter} or {@code sort} names a field {@code sight} hides. */
    static void refuseInSubscription(JsonNode filter, JsonNode sort, RowAccess sight) {
        if (sight.hiddenFields().isEmpty()) {
            return;
        }
        if (filter != null) {
            refuseNamed(filter, sight, true, "/filter");
        }
        if (sort != null) {
            refuseNamed(sort, sight, false, "/sort");
        }
    }

    /**
     * Refuses a hidden field named as a key anywhere in {@code node}, or, outside a filter (where
     * strings are values), as a string: a path, or a descending sort key {@code "-path"}. A key or
     * path refused is also one that lies inside a hidden field or holds one ({@link
     * RowAccess#hides}). Names that only look like paths (a metric's name) may be refused too:
     * refusing too much tells nothing, too little would.
     */
    private static void refuseNamed(JsonNode node, RowAccess sight, boolean filter, String pointer) {
        if (node.isObject()) {
            for (var member : node.properties()) {
                String key = member.getKey();
                if (!key.startsWith("$") && sight.hides(key)) {
                    throw inQuery(key, pointer);
                }
                refuseNamed(member.getValue(), sight, filter, pointer);
            }
        } else if (node.isArray()) {
            node.forEach(child -> refuseNamed(child, sight, filter, pointer));
        } else if (!filter && node.isTextual()) {
            String text = node.textValue();
            String path = text.startsWith("-") ? text.substring(1) : text;
            if (sight.hides(text) || sight.hides(path)) {
                throw inQuery(path, pointer);
            }
        }
    }

    private static ApiException inQuery(String field, String pointer) {
        return new ApiException(
                403,
                "hidden-field",
                "Hidden field",
                "the field '" + field + "' is hidden from your roles; a query cannot name it",
                pointer);
    }

    // ---- writes

    /**
     * Refuses a write body ({@code patch}: a JSON merge patch, else a whole document) that names a
     * field in {@code hidden}, even to remove it, or that puts a value other than an object where
     * an object holding a hidden field is (for a patch, {@code null} there removes what the
     * caller sees of that object and keeps the hidden fields: see {@link #restore}). Judged on the
     * body alone, so the answer does not depend on what is stored.
     */
    static void refuseInWrite(JsonNode body, Set<String> hidden, boolean patch) {
        if (hidden.isEmpty() || body == null || !body.isObject()) {
            return;
        }
        for (String path : hidden) {
            JsonNode node = body;
            List<String> segments = List.of(path.split("\\."));
            for (int i = 0; i < segments.size(); i++) {
                JsonNode child = node.get(segments.get(i));
                String pointer = pointer(segments.subList(0, i + 1));
                if (child == null || (patch && child.isNull() && i < segments.size() - 1)) {
                    break;
                }
                if (i == segments.size() - 1) {
                    throw inWrite(path, pointer, "a write cannot set or remove it (its stored value is kept as it is)");
                }
                if (!child.isObject()) {
                    throw inWrite(
                            path,
                            pointer,
                            "a write cannot put anything but an object at '"
                                    + String.join(".", segments.subList(0, i + 1)) + "', which holds it");
                }
                node = child;
            }
        }
    }

    /**
     * Puts the values {@code stored} has at the {@code hidden} paths into {@code document} (what
     * the caller's write would make of it), creating the objects leading to them where {@code
     * document} has none. Returns whether anything was put back.
     *
     * @throws ApiException {@code 403 hidden-field} when {@code document} has a value other than an
     *     object on the way (a body {@link #refuseInWrite} let through never does)
     */
    static boolean restore(ObjectNode document, JsonNode stored, Set<String> hidden) {
        boolean changed = false;
        for (String path : hidden) {
            List<String> segments = List.of(path.split("\\."));
            JsonNode value = stored;
            for (String segment : segments) {
                value = value != null && value.isObject() ? value.get(segment) : null;
            }
            if (value == null) {
                continue;
            }
            ObjectNode node = document;
            for (int i = 0; i < segments.size() - 1; i++) {
                JsonNode child = node.get(segments.get(i));
                if (child == null) {
                    child = node.putObject(segments.get(i));
                } else if (!child.isObject()) {
                    throw inWrite(
                            path,
                            pointer(segments.subList(0, i + 1)),
                            "a write cannot replace the object that holds it");
                }
                node = (ObjectNode) child;
            }
            JsonNode previous = node.replace(segments.getLast(), value.deepCopy());
            changed |= !value.equals(previous);
        }
        return changed;
    }

    /**
     * The JSON merge patch (RFC 7396) that turns {@code from} into {@code to}: members {@code to}
     * lacks become {@code null}, objects on both sides are diffed member by member, anything else
     * that differs is replaced whole. Exact only when {@code to} holds no {@code null} a patch
     * would have to set (a merge patch cannot): true of what {@link DocumentJson#mergePatch} makes
     * of a stored document.
     */
    static ObjectNode diff(JsonNode from, ObjectNode to) {
        ObjectNode patch = DocumentJson.mapper().createObjectNode();
        if (from != null && from.isObject()) {
            for (var member : from.properties()) {
                if (!to.has(member.getKey())) {
                    patch.putNull(member.getKey());
                }
            }
        }
        for (var member : to.properties()) {
            JsonNode before = from == null ? null : from.get(member.getKey());
            JsonNode after = member.getValue();
            if (after.equals(before)) {
                continue;
            }
            if (before != null && before.isObject() && after.isObject()) {
                patch.set(member.getKey(), diff(before, (ObjectNode) after));
            } else {
                patch.set(member.getKey(), after.deepCopy());
            }
        }
        return patch;
    }

    private static String pointer(List<String> segments) {
        StringBuilder out = new StringBuilder();
        for (String s : segments) {
            out.append('/').append(s.replace("~", "~0").replace("/", "~1"));
        }
        return out.toString();
    }

    private static ApiException inWrite(String field, String pointer, String why) {
        return new ApiException(
                403,
                "hidden-field",
                "Hidden field",
                "the field '" + field + "' is hidden from your roles; " + why,
                pointer);
    }
}
