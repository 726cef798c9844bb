package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The distinct values at a path ({@code distinct} of a request), as MongoDB's distinct: an array
 * at the path contributes its elements (one level), documents missing the path contribute nothing,
 * an explicit null contributes null. The answer {@code {"values": [...]}} is in {@link KeyCodec}
 * order, at most {@link QueryLimits#maxGroups()} values.
 */
public final class DistinctSpec {

    private static final String POINTER = "/distinct";

    private final Path path;

    private DistinctSpec(Path path) {
        this.path = path;
    }

    /** The path whose values are collected. */
    public Path path() {
        return path;
    }

    /** Parses {@code distinct} (a path string) found at {@code pointer}. */
    public static DistinctSpec parse(JsonNode distinct, String pointer) {
        if (distinct == null || !distinct.isTextual()) {
            throw new QueryException(pointer, "distinct takes a path string, e.g. \"address.city\"");
        }
        return new DistinctSpec(Path.parse(distinct.textValue(), pointer));
    }

    /** A new, empty accumulator for one shard. */
    public AggregateSpec.Accumulator newAccumulator(QueryLimits limits) {
        return new Values(limits);
    }

    /** Merges the shards' partial results into {@code {"values": [...]}}. */
    public JsonNode merge(List<byte[]> partials, QueryLimits limits) {
        Values all = new Values(limits);
        for (byte[] partial : partials) {
            JsonNode root;
            try {
                root = DocumentJson.mapper().readTree(partial);
            } catch (IOException e) {
                throw new IllegalArgumentException("not a partial distinct result", e);
            }
            root.path("values").forEach(all::put);
        }
        return all.json();
    }

    private final class Values implements AggregateSpec.Accumulator {
        final QueryLimits limits;
        final TreeMap<byte[], JsonNode> values = new TreeMap<>(Arrays::compareUnsigned);

        Values(QueryLimits limits) {
            this.limits = limits;
        }

        void put(JsonNode v) {
            byte[] key = KeyCodec.encode(v, false);
            if (values.putIfAbsent(key, v) == null && values.size() > limits.maxGroups()) {
                throw new QueryException(
                        POINTER, "distinct found more than " + limits.maxGroups() + " values (the limit)");
            }
        }

        @Override
        public void add(JsonNode doc) {
            for (JsonNode leaf : Paths.walk(doc, path).leaves()) {
                if (leaf.isArray()) {
                    leaf.forEach(this::put);
                } else {
                    put(leaf);
                }
            }
        }

        ObjectNode json() {
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            ArrayNode list = root.putArray("values");
            values.values().forEach(list::add);
            return root;
        }

        @Override
        public byte[] toBytes() {
            try {
                return DocumentJson.mapper().writeValueAsBytes(json());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
