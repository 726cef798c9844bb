package io.lumadb.sql.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The typed columns of collections without a declared schema, inferred from a sample: the first
 * {@code sampleSize} documents in {@code _id} order. Each top-level field becomes a column of its
 * dominant type (the type most sampled documents hold there; integers and fractions count as one
 * numeric type, {@code DOUBLE} if any fraction was seen). Columns are in order of first
 * appearance. A collection's columns are sampled again once they are older than {@code refresh},
 * so a new field shows up within that time; a new or dropped-and-recreated collection is sampled
 * at once.
 */
public final class ColumnInference {

    /** The three columns every table has, ahead of its fields. */
    public static final List<Column> SYSTEM = List.of(
            new Column(DocumentJson.ID, ColumnType.VARCHAR, Column.Kind.ID, true),
            new Column(DocumentJson.VERSION, ColumnType.BIGINT, Column.Kind.VERSION, true),
            new Column("doc", ColumnType.JSON, Column.Kind.DOC, true));

    /**
     * A collection's inferred columns.
     *
     * @param sampled how many documents the sample held (fewer than the sample size: the whole
     *     collection)
     */
    public record Inferred(List<Column> columns, int sampled, long atNanos) {}

    private final SqlBackend backend;
    private final int sampleSize;
    private final Duration refresh;
    private final Map<String, Inferred> cache = new ConcurrentHashMap<>();

    public ColumnInference(SqlBackend backend, int sampleSize, Duration refresh) {
        this.backend = backend;
        this.sampleSize = sampleSize;
        this.refresh = refresh;
    }

    /** Counts the invalidations, so that plans made over older columns are made again. */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Forgets the columns of a collection (SQL just wrote it: a field may be new), and counts an
     * invalidation, so that cached plans are made again over the columns sampled next.
     */
    public void invalidate(String database, String collection) {
        cache.keySet().removeIf(k -> k.startsWith(database + "/" + collection + "/"));
        version.incrementAndGet();
    }

    /** Forgets the columns of every collection (a statement named a column no sample had). */
    public void invalidateAll() {
        cache.clear();
        version.incrementAndGet();
    }

    /** How many invalidations, and re-samples that found other columns, there were. */
    public long version() {
        return version.get();
    }

    /** The columns of {@code info}, sampled now if not known or older than the refresh interval. */
    public Inferred columns(CollectionInfo info, long deadlineNanos) {
        String key = info.database() + "/" + info.name() + "/" + info.incarnation() + "/" + info.schemaVersion();
        Inferred known = cache.get(key);
        if (known != null && System.nanoTime() - known.atNanos() < refresh.toNanos()) {
            return known;
        }
        Inferred fresh = sample(info, deadlineNanos);
        cache.keySet().removeIf(k -> k.startsWith(info.database() + "/" + info.name() + "/"));
        cache.put(key, fresh);
        if (known != null && !known.columns().equals(fresh.columns())) {
            // Plans made over the old columns are made again (SqlEngine compares this version).
            version.incrementAndGet();
        }
        return fresh;
    }

    private Inferred sample(CollectionInfo info, long deadlineNanos) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("limit", Math.min(sampleSize, backend.limits().maxLimit()));
        long millis = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L);
        body.put("timeoutMs", millis);
        Queries.Result result = Waits.await(
                backend.query(info.database(), info.name(), body),
                millis + 1_000,
                () -> new io.lumadb.shards.query.QueryTimeoutException(
                        "sampling " + info.database() + "/" + info.name() + " for its columns took too long"));
        Map<String, Map<ColumnType, Integer>> seen = new LinkedHashMap<>();
        for (byte[] doc : result.documents()) {
            JsonNode node;
            try {
                node = DocumentJson.mapper().readTree(doc);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (var field : node.properties()) {
                String name = field.getKey();
                if (SYSTEM.stream().anyMatch(c -> c.name().equals(name))) {
                    continue;
                }
                ColumnType type = ColumnType.of(field.getValue());
                Map<ColumnType, Integer> counts = seen.computeIfAbsent(name, n -> new EnumMap<>(ColumnType.class));
                if (type != null) {
                    counts.merge(type, 1, Integer::sum);
                }
            }
        }
        List<Column> columns = new ArrayList<>(SYSTEM);
        if (info.schema() != null) {
            // A declared schema names the columns; the sample only estimates the size.
            columns.addAll(declared(info.declaredSchema()));
            return new Inferred(List.copyOf(columns), result.documents().size(), System.nanoTime());
        }
        seen.forEach((name, counts) -> columns.add(new Column(name, dominant(counts), Column.Kind.FIELD, false)));
        return new Inferred(List.copyOf(columns), result.documents().size(), System.nanoTime());
    }

    /**
     * The columns of a declared schema's properties, in declaration order, typed by their JSON
     * type. They are not exact (a document written before the schema was declared may hold
     * another type there, which reads as NULL), so conditions on them are pushed as pre-filters.
     */
    static List<Column> declared(CollectionSchema schema) {
        List<Column> columns = new ArrayList<>();
        for (CollectionSchema.Property p : schema.properties()) {
            ColumnType type =
                    switch (p.type() == null ? "" : p.type()) {
                        case "integer" -> ColumnType.BIGINT;
                        case "number" -> ColumnType.DOUBLE;
                        case "boolean" -> ColumnType.BOOLEAN;
                        case "object", "array" -> ColumnType.JSON;
                        default -> ColumnType.VARCHAR;
                    };
            columns.add(new Column(p.name(), type, Column.Kind.FIELD, false));
        }
        return columns;
    }

    /** The most frequent type, numbers counted together; {@code VARCHAR} for a field only ever null. */
    static ColumnType dominant(Map<ColumnType, Integer> counts) {
        int numbers = counts.getOrDefault(ColumnType.BIGINT, 0) + counts.getOrDefault(ColumnType.DOUBLE, 0);
        ColumnType best = ColumnType.VARCHAR;
        int bestCount = counts.getOrDefault(ColumnType.VARCHAR, 0);
        if (numbers > bestCount) {
            best = counts.getOrDefault(ColumnType.DOUBLE, 0) > 0 ? ColumnType.DOUBLE : ColumnType.BIGINT;
            bestCount = numbers;
        }
        for (ColumnType other : List.of(ColumnType.BOOLEAN, ColumnType.JSON)) {
            if (counts.getOrDefault(other, 0) > bestCount) {
                best = other;
                bestCount = counts.get(other);
            }
        }
        return best;
    }
}
