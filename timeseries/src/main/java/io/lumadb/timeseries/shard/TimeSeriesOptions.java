package io.lumadb.timeseries.shard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.timeseries.Precision;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options of a time-series collection, given at creation under {@code "timeseries"} and fixed
 * from then on; the catalog keeps them as {@link #json()}.
 *
 * @param precision the unit of integer times that name none: line-protocol writes without a
 *     {@code precision} parameter and JSON points
 * @param timeField the member holding a flat JSON point's time
 * @param measurement the measurement of a flat JSON point that names none
 * @param tags the members of a flat JSON point that are tags (the others are fields)
 * @param retention how long points are kept, in nanoseconds (0: forever)
 * @param blockDuration the time range of one compressed block, in nanoseconds
 * @param lateness how long after a block's end it stays open for late points, in nanoseconds; also
 *     how long after its end a downsampling window waits for late points before it is rolled up
 * @param downsampling the continuous downsampling rules, by increasing window length (none: empty)
 */
public record TimeSeriesOptions(
        Precision precision,
        String timeField,
        String measurement,
        List<String> tags,
        long retention,
        long blockDuration,
        long lateness,
        List<DownsamplingRule> downsampling) {

    /** Longest block: a day. Shortest: a second. */
    private static final long MAX_BLOCK = TimeUnit.DAYS.toNanos(1);

    private static final long MIN_BLOCK = TimeUnit.SECONDS.toNanos(1);

    private static final Set<String> MEMBERS = Set.of(
            "precision", "timeField", "measurement", "tags", "retention", "blockDuration", "lateness", "downsampling");

    /** The most downsampling rules a collection has. */
    static final int MAX_RULES = 4;

    private static final Set<String> RULE_MEMBERS = Set.of("every", "aggregates", "retention");

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ns|us|µs|ms|s|m|h|d|w)");

    public TimeSeriesOptions {
        tags = List.copyOf(tags);
        downsampling = List.copyOf(downsampling);
    }

    /** The store's settings for these options. */
    public TimeSeriesSettings settings() {
        return new TimeSeriesSettings(blockDuration, lateness);
    }

    /** Thrown for options that are not valid, with the JSON pointer of the culprit. */
    public static final class InvalidOptionsException extends IllegalArgumentException {
        private final String pointer;

        public InvalidOptionsException(String pointer, String message) {
            super(message);
            this.pointer = pointer;
        }

        public String pointer() {
            return pointer;
        }
    }

    /**
     * Reads the options (null or an empty object: every default) of the collection {@code
     * collection}; pointers are relative to {@code at}.
     *
     * @throws InvalidOptionsException naming what is wrong and where
     */
    public static TimeSeriesOptions parse(JsonNode options, String collection, String at) {
        if (options != null && !options.isNull() && !options.isObject()) {
            throw new InvalidOptionsException(at, "timeseries must be an object of options");
        }
        JsonNode o = options == null || options.isNull() ? DocumentJson.mapper().createObjectNode() : options;
        for (var member : o.properties()) {
            if (!MEMBERS.contains(member.getKey())) {
                throw new InvalidOptionsException(
                        at + "/" + member.getKey(),
                        "unknown time-series option '" + member.getKey() + "'; supported: "
                                + String.join(", ", sorted()));
            }
        }
        Precision precision = Precision.NANOSECONDS;
        if (o.has("precision")) {
            precision = precision(o.get("precision"), at + "/precision");
        }
        String timeField = text(o, "timeField", "time", at);
        String measurement = text(o, "measurement", collection, at);
        List<String> tags = new ArrayList<>();
        JsonNode t = o.get("tags");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw new InvalidOptionsException(at + "/tags", "tags must be an array of member names");
            }
            Set<String> seen = new LinkedHashSet<>();
            for (int i = 0; i < t.size(); i++) {
                JsonNode tag = t.get(i);
                if (!tag.isTextual() || tag.asText().isEmpty()) {
                    throw new InvalidOptionsException(at + "/tags/" + i, "a tag key must be a non-empty string");
                }
                if (tag.asText().equals(timeField) || !seen.add(tag.asText())) {
                    throw new InvalidOptionsException(
                            at + "/tags/" + i, "tag key '" + tag.asText() + "' is the time field or named twice");
                }
            }
            tags.addAll(seen);
        }
        long retention = 0;
        if (o.hasNonNull("retention")) {
            retention = duration(o.get("retention"), at + "/retention");
        }
        long block = o.hasNonNull("blockDuration")
                ? duration(o.get("blockDuration"), at + "/blockDuration")
                : TimeSeriesSettings.DEFAULT.blockDuration();
        if (block < MIN_BLOCK || block > MAX_BLOCK || TimeUnit.DAYS.toNanos(1) % block != 0) {
            throw new InvalidOptionsException(
                    at + "/blockDuration", "blockDuration must divide a day and lie between 1s and 1d, like 1h or 10m");
        }
        long lateness = o.hasNonNull("lateness")
                ? duration(o.get("lateness"), at + "/lateness")
                : TimeSeriesSettings.DEFAULT.lateness();
        if (retention != 0 && retention < block) {
            throw new InvalidOptionsException(
                    at + "/retention", "retention must be at least one block (" + format(block) + ")");
        }
        List<DownsamplingRule> rules = rules(o.get("downsampling"), retention, lateness, at + "/downsampling");
        return new TimeSeriesOptions(precision, timeField, measurement, tags, retention, block, lateness, rules);
    }

    private static List<DownsamplingRule> rules(JsonNode n, long retention, long lateness, String at) {
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray() || n.size() > MAX_RULES) {
            throw new InvalidOptionsException(
                    at,
                    "downsampling must be an array of at most " + MAX_RULES + " rules like {\"every\": \"1m\","
                            + " \"aggregates\": [\"mean\", \"max\"], \"retention\": \"90d\"}");
        }
        List<DownsamplingRule> rules = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode r = n.get(i);
            String here = at + "/" + i;
            if (!r.isObject()) {
                throw new InvalidOptionsException(
                        here, "a downsampling rule must be an object with every, aggregates" + " and retention");
            }
            for (var member : r.properties()) {
                if (!RULE_MEMBERS.contains(member.getKey())) {
                    throw new InvalidOptionsException(
                            here + "/" + member.getKey(),
                            "unknown downsampling member '" + member.getKey() + "'; supported: aggregates, every,"
                                    + " retention");
                }
            }
            if (!r.hasNonNull("every")) {
                throw new InvalidOptionsException(here + "/every", "a downsampling rule needs every, like 1m or 1h");
            }
            long every = duration(r.get("every"), here + "/every");
            if (every < MIN_BLOCK) {
                throw new InvalidOptionsException(here + "/every", "every must be at least 1s");
            }
            if (!rules.isEmpty() && every <= rules.getLast().every()) {
                throw new InvalidOptionsException(
                        here + "/every", "downsampling rules must come by increasing every, each once");
            }
            long keep = r.hasNonNull("retention") ? duration(r.get("retention"), here + "/retention") : 0;
            if (keep != 0 && keep < every) {
                throw new InvalidOptionsException(
                        here + "/retention", "retention must be at least one window (" + format(every) + ")");
            }
            if (retention != 0 && retention < every + lateness) {
                throw new InvalidOptionsException(
                        here + "/every",
                        "points are kept " + format(retention) + ", less than a window of " + format(every)
                                + " plus the lateness of " + format(lateness) + ": windows would close without them");
            }
            rules.add(new DownsamplingRule(every, keep, aggregates(r.get("aggregates"), here + "/aggregates")));
        }
        return rules;
    }

    private static Set<WindowAggregator.Kind> aggregates(JsonNode n, String at) {
        if (n == null || n.isNull()) {
            return DownsamplingRule.KEEPABLE;
        }
        if (!n.isArray() || n.isEmpty()) {
            throw new InvalidOptionsException(
                    at, "aggregates must be a non-empty array of count, sum, mean, min, max, first and last");
        }
        Set<WindowAggregator.Kind> kinds = EnumSet.noneOf(WindowAggregator.Kind.class);
        for (int i = 0; i < n.size(); i++) {
            JsonNode a = n.get(i);
            WindowAggregator.Kind kind = null;
            if (a.isTextual()) {
                for (WindowAggregator.Kind k : DownsamplingRule.KEEPABLE) {
                    if (k.name().toLowerCase(java.util.Locale.ROOT).equals(a.asText())) {
                        kind = k;
                    }
                }
            }
            if (kind == null) {
                throw new InvalidOptionsException(
                        at + "/" + i,
                        "a downsampling rule keeps count, sum, mean, min, max, first or last"
                                + " (percentiles need every point: they are answered from the points)");
            }
            kinds.add(kind);
        }
        return kinds;
    }

    /** The options as the catalog keeps them, every default spelled out. */
    public String json() {
        ObjectNode o = DocumentJson.mapper().createObjectNode();
        o.put("precision", precision.symbol());
        o.put("timeField", timeField);
        o.put("measurement", measurement);
        tags.forEach(o.putArray("tags")::add);
        if (!o.has("tags")) {
            o.putArray("tags");
        }
        if (retention != 0) {
            o.put("retention", format(retention));
        } else {
            o.putNull("retention");
        }
        o.put("blockDuration", format(blockDuration));
        o.put("lateness", format(lateness));
        if (!downsampling.isEmpty()) {
            var rules = o.putArray("downsampling");
            for (DownsamplingRule r : downsampling) {
                ObjectNode rule = rules.addObject();
                rule.put("every", format(r.every()));
                var kinds = rule.putArray("aggregates");
                DownsamplingRule.KEEPABLE.stream()
                        .filter(r.aggregates()::contains)
                        .forEach(k -> kinds.add(k.name().toLowerCase(java.util.Locale.ROOT)));
                if (r.retention() != 0) {
                    rule.put("retention", format(r.retention()));
                } else {
                    rule.putNull("retention");
                }
            }
        }
        return o.toString();
    }

    /** Reads what {@link #json()} wrote. */
    public static TimeSeriesOptions fromJson(String json, String collection) {
        try {
            return parse(DocumentJson.mapper().readTree(json), collection, "");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("time-series options are not JSON: " + e.getMessage(), e);
        }
    }

    /** A precision symbol as line protocol names it ({@code ns}, {@code us}, {@code ms}, {@code s}). */
    public static Precision precision(JsonNode node, String pointer) {
        if (node == null || !node.isTextual()) {
            throw new InvalidOptionsException(pointer, "precision must be one of ns, us, ms, s");
        }
        try {
            return Precision.of(node.asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionsException(pointer, "precision must be one of ns, us, ms, s");
        }
    }

    /** A duration like {@code 90s}, {@code 10m}, {@code 1h}, {@code 30d} or {@code 2w}, in nanoseconds. */
    public static long duration(JsonNode node, String pointer) {
        Matcher m = node != null && node.isTextual() ? DURATION.matcher(node.asText()) : null;
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new InvalidOptionsException(pointer, "expected a positive duration like 10s, 5m, 1h, 30d or 2w");
        }
        long n = Long.parseLong(m.group(1));
        long unit =
                switch (m.group(2)) {
                    case "ns" -> 1;
                    case "us", "µs" -> 1_000;
                    case "ms" -> 1_000_000;
                    case "s" -> TimeUnit.SECONDS.toNanos(1);
                    case "m" -> TimeUnit.MINUTES.toNanos(1);
                    case "h" -> TimeUnit.HOURS.toNanos(1);
                    case "d" -> TimeUnit.DAYS.toNanos(1);
                    default -> TimeUnit.DAYS.toNanos(7);
                };
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new InvalidOptionsException(
                    pointer, "duration " + node.asText() + " is too long (at most 292 years)");
        }
    }

    /** The largest unit that writes {@code nanos} exactly. */
    static String format(long nanos) {
        return io.lumadb.timeseries.query.TsTime.duration(nanos);
    }

    private static String text(JsonNode o, String member, String otherwise, String at) {
        JsonNode v = o.get(member);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new InvalidOptionsException(at + "/" + member, member + " must be a non-empty string");
        }
        return v.asText();
    }

    private static List<String> sorted() {
        return MEMBERS.stream().sorted().toList();
    }
}
