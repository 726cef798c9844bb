package io.lumadb.shards.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.Regexes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A collection's declared schema: a subset of JSON Schema (draft 2020-12) that every write of
 * the collection must satisfy, checked by the shard before anything is persisted (so it holds for
 * every API: single writes, merge patches after merging, bulk writes and SQL).
 *
 * <p>The subset is {@link #KEYWORD_LIST} (and {@code $schema} at the root). Anything else ({@code $ref}, combinators,
 * conditionals) is refused when the schema is declared rather than silently ignored, so a
 * declared schema means exactly what it says. {@code format} is an annotation, as the 2020-12
 * specification makes it, never asserted. Patterns are RE2 patterns under the limits of JQL's
 * {@code $regex}, so no pattern can make a write take unbounded time.
 *
 * <p>The schema describes a document's content: {@code _id} and {@code _version} belong to the
 * database and may not be declared. The root may name one property as the {@value #PRIMARY_KEY}:
 * SQL's {@code PRIMARY KEY}, whose value is also the document's {@code _id}.
 *
 * <p>Validation is done by networknt's json-schema-validator, a maintained implementation of the
 * specification; this class decides the subset and how violations are reported.
 */
public final class CollectionSchema {

    /** The root keyword naming the property whose value is also the {@code _id}. */
    public static final String PRIMARY_KEY = "x-primaryKey";

    /** The keywords of the subset, as the class comment and error messages list them. */
    private static final List<String> KEYWORD_LIST = List.of(
            "type",
            "enum",
            "const",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "minItems",
            "maxItems",
            "uniqueItems",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "title",
            "description",
            "default",
            "examples");

    private static final Set<String> KEYWORDS = Set.copyOf(KEYWORD_LIST);

    private static final String KEYWORDS_TEXT = String.join(", ", KEYWORD_LIST) + ", $schema";

    private static final Set<String> TYPES =
            Set.of("object", "array", "string", "integer", "number", "boolean", "null");

    /** The largest schema accepted, as JSON text. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder()
                    .pathType(PathType.JSON_POINTER)
                    .formatAssertionsEnabled(false)
                    .regularExpressionFactory(pattern -> {
                        com.google.re2j.Pattern re2 = Regexes.compile(pattern, "");
                        return value -> re2.matcher(value).find();
                    })
                    .build()));

    /** A property of the root object: its name, its type ({@code null}: any) and whether it is required. */
    public record Property(String name, String type, boolean required) {}

    /** Why a document does not satisfy the schema: where (a JSON Pointer into the document) and what. */
    public record Violation(String pointer, String message) {}

    /** A schema that is not one LumaDB accepts; {@link #pointer()} points into the schema. */
    public static final class InvalidSchemaException extends IllegalArgumentException {
        private final String pointer;

        InvalidSchemaException(String pointer, String message) {
            super(message);
            this.pointer = pointer;
        }

        public String pointer() {
            return pointer;
        }
    }

    private final ObjectNode json;
    private final String text;
    private final Schema compiled;

    private CollectionSchema(ObjectNode json, String text, Schema compiled) {
        this.json = json;
        this.text = text;
        this.compiled = compiled;
    }

    /** Checks that {@code node} is a schema of the supported subset and compiles it. */
    public static CollectionSchema of(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new InvalidSchemaException("", "a schema is a JSON object");
        }
        ObjectNode copy = node.deepCopy();
        checkRoot(copy);
        String text;
        try {
            text = DocumentJson.mapper().writeValueAsString(copy);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (text.length() > MAX_BYTES) {
            throw new InvalidSchemaException("", "a schema may be at most " + MAX_BYTES + " bytes of JSON");
        }
        ObjectNode forValidator = copy.deepCopy();
        forValidator.remove(PRIMARY_KEY);
        Schema compiled;
        try {
            compiled = REGISTRY.getSchema(forValidator);
            compiled.initializeValidators();
        } catch (QueryException e) {
            throw new InvalidSchemaException(e.pointer(), e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidSchemaException("", "the schema cannot be compiled: " + e.getMessage());
        }
        return new CollectionSchema(copy, text, compiled);
    }

    /** Schemas compiled from their stored text: the catalog hands every reader the same text. */
    private static final Map<String, CollectionSchema> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    private static final int PARSED_MAX = 1_024;

    /**
     * A schema stored by {@link #json()}, compiled once per text (schemas are immutable and their
     * validation is thread-safe); throws like {@link #of(JsonNode)}.
     */
    public static CollectionSchema parse(String text) {
        CollectionSchema known = PARSED.get(text);
        if (known != null) {
            return known;
        }
        CollectionSchema parsed;
        try {
            parsed = of(DocumentJson.mapper().readTree(text));
        } catch (JsonProcessingException e) {
            throw new InvalidSchemaException("", "a schema is JSON: " + e.getOriginalMessage());
        }
        if (PARSED.size() >= PARSED_MAX) {
            PARSED.clear(); // schemas change rarely; compiling one again is cheap enough
        }
        PARSED.put(text, parsed);
        return parsed;
    }

    /** The schema as JSON text, as declared. */
    public String json() {
        return text;
    }

    /** The schema as a JSON object (a copy). */
    public ObjectNode node() {
        return json.deepCopy();
    }

    /** The property whose value is also the {@code _id}, or null. */
    public String primaryKey() {
        JsonNode key = json.get(PRIMARY_KEY);
        return key == null ? null : key.textValue();
    }

    /** The root object's declared properties, in declaration order. */
    public List<Property> properties() {
        Set<String> required = new java.util.HashSet<>();
        json.path("required").forEach(r -> required.add(r.textValue()));
        List<Property> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : json.path("properties").properties()) {
            JsonNode type = p.getValue().get("type");
            String single = type != null && type.isTextual() ? type.textValue() : singleNonNull(type);
            if (type == null) {
                single = typeOfValues(p.getValue());
            }
            out.add(new Property(p.getKey(), single, required.contains(p.getKey())));
        }
        return out;
    }

    /** The one JSON type of an untyped property's {@code enum} or {@code const} values, or null. */
    private static String typeOfValues(JsonNode property) {
        List<JsonNode> values = new ArrayList<>();
        property.path("enum").forEach(values::add);
        if (property.has("const")) {
            values.add(property.get("const"));
        }
        String found = null;
        for (JsonNode v : values) {
            String t =
                    switch (v.getNodeType()) {
                        case STRING -> "string";
                        case BOOLEAN -> "boolean";
                        case NUMBER -> v.isIntegralNumber() ? "integer" : "number";
                        case NULL -> null;
                        default -> "object";
                    };
            if (t == null) {
                continue;
            }
            if (found != null && !found.equals(t)) {
                if ((found.equals("integer") || found.equals("number"))
                        && (t.equals("integer") || t.equals("number"))) {
                    found = "number";
                    continue;
                }
                return null;
            }
            found = t;
        }
        return found;
    }

    /** The schema of the root's property {@code name} (a copy), or null when it is not declared. */
    public JsonNode propertySchema(String name) {
        JsonNode p = json.path("properties").get(name);
        return p == null ? null : p.deepCopy();
    }

    /** {@code ["integer", "null"]} reads as integer; anything else with several types as any. */
    private static String singleNonNull(JsonNode types) {
        if (types == null || !types.isArray()) {
            return null;
        }
        String found = null;
        for (JsonNode t : types) {
            if (!t.textValue().equals("null")) {
                if (found != null) {
                    return null;
                }
                found = t.textValue();
            }
        }
        return found;
    }

    /** This schema with one more optional property (SQL's {@code ALTER TABLE ... ADD COLUMN}). */
    public CollectionSchema withProperty(String name, JsonNode propertySchema, boolean required) {
        ObjectNode next = json.deepCopy();
        ObjectNode properties =
                next.has("properties") ? (ObjectNode) next.get("properties") : next.putObject("properties");
        if (properties.has(name)) {
            throw new InvalidSchemaException(
                    QueryException.child("/properties", name), "property " + name + " is declared already");
        }
        properties.set(name, propertySchema);
        if (required) {
            (next.has("required")
                            ? (com.fasterxml.jackson.databind.node.ArrayNode) next.get("required")
                            : next.putArray("required"))
                    .add(name);
        }
        return of(next);
    }

    /** The first way {@code content} (a document without {@code _id} and {@code _version}) breaks the schema, or null. */
    public Violation check(JsonNode content) {
        List<Error> errors = compiled.validate(content);
        if (errors.isEmpty()) {
            return null;
        }
        Error first = errors.getFirst();
        String pointer = first.getInstanceLocation().toString();
        if (pointer.equals("$") || pointer.equals("#")) {
            pointer = "";
        }
        if ("required".equals(first.getKeyword()) && first.getProperty() != null) {
            pointer = QueryException.child(pointer, first.getProperty());
        }
        return new Violation(pointer, first.getMessage());
    }

    // ---- the subset

    private static void checkRoot(ObjectNode root) {
        JsonNode type = root.get("type");
        if (type != null && !(type.isTextual() && type.textValue().equals("object"))) {
            throw new InvalidSchemaException(
                    "/type", "a collection's schema describes documents: its type is \"object\"");
        }
        JsonNode dialect = root.get("$schema");
        if (dialect != null
                && !(dialect.isTextual()
                        && dialect.textValue().startsWith("https://json-schema.org/draft/2020-12/schema"))) {
            throw new InvalidSchemaException(
                    "/$schema",
                    "only JSON Schema draft 2020-12 is supported (\"https://json-schema.org/draft/2020-12/schema\")");
        }
        JsonNode properties = root.get("properties");
        if (properties != null && properties.isObject()) {
            for (String reserved : List.of(DocumentJson.ID, DocumentJson.VERSION)) {
                if (properties.has(reserved)) {
                    throw new InvalidSchemaException(
                            "/properties/" + reserved,
                            reserved + " belongs to the database, not to a document's content; it cannot be declared");
                }
            }
        }
        JsonNode key = root.get(PRIMARY_KEY);
        if (key != null) {
            if (!key.isTextual() || properties == null || !properties.has(key.textValue())) {
                throw new InvalidSchemaException(
                        "/" + PRIMARY_KEY, PRIMARY_KEY + " names one of the declared properties");
            }
            boolean required = false;
            for (JsonNode r : root.path("required")) {
                required |= key.textValue().equals(r.textValue());
            }
            if (!required) {
                throw new InvalidSchemaException("/" + PRIMARY_KEY, "the primary key property must be required");
            }
        }
        checkSubschema(root, "", true);
    }

    private static void checkSubschema(JsonNode schema, String at, boolean root) {
        if (schema.isBoolean()) {
            return;
        }
        if (!schema.isObject()) {
            throw new InvalidSchemaException(at, "a schema is a JSON object or a boolean");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String keyword = e.getKey();
            String here = QueryException.child(at, keyword);
            JsonNode value = e.getValue();
            if (root && (keyword.equals("$schema") || keyword.equals(PRIMARY_KEY))) {
                continue;
            }
            if (!KEYWORDS.contains(keyword)) {
                throw new InvalidSchemaException(
                        here, "keyword " + keyword + " is not supported; a schema may use " + KEYWORDS_TEXT);
            }
            switch (keyword) {
                case "type" -> checkType(value, here);
                case "properties" -> {
                    if (!value.isObject()) {
                        throw new InvalidSchemaException(here, "properties is an object of schemas");
                    }
                    for (Map.Entry<String, JsonNode> p : value.properties()) {
                        checkSubschema(p.getValue(), QueryException.child(here, p.getKey()), false);
                    }
                }
                case "items", "additionalProperties" -> checkSubschema(value, here, false);
                case "required" -> {
                    if (!value.isArray()) {
                        throw new InvalidSchemaException(here, "required is an array of property names");
                    }
                    for (JsonNode r : value) {
                        if (!r.isTextual()) {
                            throw new InvalidSchemaException(here, "required is an array of property names");
                        }
                    }
                }
                case "enum" -> {
                    if (!value.isArray() || value.isEmpty()) {
                        throw new InvalidSchemaException(here, "enum is a non-empty array of values");
                    }
                }
                case "pattern" -> {
                    if (!value.isTextual()) {
                        throw new InvalidSchemaException(here, "pattern is a string");
                    }
                    try {
                        Regexes.compile(value.textValue(), here);
                    } catch (QueryException bad) {
                        throw new InvalidSchemaException(bad.pointer(), bad.getMessage());
                    }
                }
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf" -> {
                    if (!value.isNumber()) {
                        throw new InvalidSchemaException(here, keyword + " is a number");
                    }
                    if (keyword.equals("multipleOf") && value.doubleValue() <= 0) {
                        throw new InvalidSchemaException(here, "multipleOf is greater than 0");
                    }
                }
                case "minLength", "maxLength", "minItems", "maxItems" -> {
                    if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0) {
                        throw new InvalidSchemaException(here, keyword + " is a non-negative integer");
                    }
                }
                case "uniqueItems" -> {
                    if (!value.isBoolean()) {
                        throw new InvalidSchemaException(here, "uniqueItems is a boolean");
                    }
                }
                default -> {
                    // Annotations and const take any value.
                }
            }
        }
    }

    private static void checkType(JsonNode value, String at) {
        List<JsonNode> types = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(types::add);
        } else {
            types.add(value);
        }
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (JsonNode t : types) {
            if (!t.isTextual() || !TYPES.contains(t.textValue()) || seen.put(t.textValue(), true) != null) {
                throw new InvalidSchemaException(at, "type is one of " + TYPES + " or an array of distinct ones");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CollectionSchema other && other.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
