package io.lumadb.bench.query;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the query benchmark measured, as it writes it to JSON (and the suite reads it back): a
 * measurement per query and variant (medians over the rounds), the two ratios per query, the
 * plans that were checked before measuring, and whether everything held.
 *
 * @param status {@code "ok"}, or {@code "failed"} when setup, a plan or answer check, or any
 *     query failed: then the figures must not be read as a clean measurement
 * @param failures why it failed, one line each
 * @param checks what was verified before measuring, one line each
 * @param indexBuildSeconds how long each index took to build, by system and index
 */
public record QueryReport(
        String status,
        List<String> failures,
        Map<String, String> settings,
        List<Measurement> measurements,
        List<Ratio> ratios,
        List<PlanCheck> plans,
        List<String> checks,
        Map<String, Double> indexBuildSeconds) {

    public QueryReport {
        failures = List.copyOf(failures);
        // Copied in order: the report lists settings as the benchmark wrote them.
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        measurements = List.copyOf(measurements);
        ratios = List.copyOf(ratios);
        plans = List.copyOf(plans);
        checks = List.copyOf(checks);
        indexBuildSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(indexBuildSeconds));
    }

    /** The report of a run that produced nothing but {@code why} it failed. */
    public static QueryReport failed(String why) {
        return new QueryReport("failed", List.of(why), Map.of(), List.of(), List.of(), List.of(), List.of(), Map.of());
    }

    public boolean ok() {
        return "ok".equals(status);
    }

    /** The measurement of {@code query} by {@code variant} (ids as in {@link Query#id()}, {@link Variant#id()}). */
    public Optional<Measurement> measurement(String query, String variant) {
        return measurements.stream()
                .filter(m -> m.query().equals(query) && m.variant().equals(variant))
                .findFirst();
    }

    /**
     * One query answered one way, medians over the rounds.
     *
     * @param throughput answered queries per second
     * @param answered answered queries in the measured windows, all rounds
     * @param errors failed or wrong answers, warm-ups included, all rounds
     */
    public record Measurement(
            String query,
            String variant,
            double throughput,
            double p50Ms,
            double p99Ms,
            long answered,
            long errors,
            List<String> errorSamples,
            int rounds) {
        public Measurement {
            errorSamples = List.copyOf(errorSamples);
        }
    }

    /** LumaDB with its index against PostgreSQL and against its own full scan, in throughput. */
    public record Ratio(String query, double indexedOverPostgresql, double indexedOverScan) {}

    /**
     * The plan a system chose for one sample query, checked before measuring.
     *
     * @param plan LumaDB: the shards' plans, grouped ("index by_sku on 4 shards (order: memory)");
     *     PostgreSQL: the plan's nodes
     * @param keysExamined LumaDB: index keys examined over all shards (-1 for PostgreSQL)
     * @param documentsExamined LumaDB: documents examined over all shards (-1 for PostgreSQL)
     * @param returned LumaDB: documents the shards returned to the coordinator (-1 for PostgreSQL)
     */
    public record PlanCheck(
            String query,
            String variant,
            String plan,
            long keysExamined,
            long documentsExamined,
            long returned,
            boolean ok) {}
}
