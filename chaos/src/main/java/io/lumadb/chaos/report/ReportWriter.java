package io.lumadb.chaos.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes everything a chaos run leaves for people and for a later offline check into one
 * directory:
 *
 * <ul>
 *   <li>{@value #PLAN}: the plan the run followed, as given;
 *   <li>{@value HistoryFiles#FILE_NAME}: the whole history (see {@link HistoryFiles});
 *   <li>{@value #VERDICTS}: each check's verdict with its anomalies and its smallest failing
 *       sub-history;
 *   <li>{@value #TIMELINE}: latency and availability over time with the faults (see {@link
 *       TimelineSvg});
 *   <li>{@value #SUMMARY}: the figures in JSON: operations, faults and availability by kind,
 *       heal-to-available by kind, verdicts, and the caller's extra figures;
 *   <li>{@value #REPORT}: the same for people, linking the timeline image.
 * </ul>
 *
 * <p>Each file is written whole or not at all (through a temporary file), the history first,
 * since it is what a run cannot reproduce. Durations in the JSON files are seconds (fields named
 * {@code ...Seconds}); availabilities are fractions from 0 to 1, null where no operation ran.
 */
public final class ReportWriter {

    public static final String PLAN = "plan.json";
    public static final String HISTORY = HistoryFiles.FILE_NAME;
    public static final String VERDICTS = "verdicts.json";
    public static final String TIMELINE = "timeline.svg";
    public static final String SUMMARY = "summary.json";
    public static final String REPORT = "report.md";

    private static final String PASS = "✔";
    private static final String FAIL = "✘";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Map<String, String> FILES = filesDescribed();

    private ReportWriter() {}

    /**
     * Writes the report into {@code dir}, creating it if needed and replacing the files named
     * above if they are there.
     *
     * @param scenario the scenario's name, for titles
     * @param seed the seed the plan was drawn from
     * @param plan the plan: a {@code Map<String, Object>}, a record, anything Jackson can write as
     *     it is (java.time values are written as their ISO text), a {@link JsonNode}, or a {@code
     *     String} holding JSON (written as a JSON string if it is not JSON); null for none. Its
     *     top-level entries that are plain values (not lists or objects) are also shown under the
     *     timeline's title.
     * @param figures extra figures for {@value #SUMMARY} and {@value #REPORT}, such as the
     *     cluster size or the number of keys; values as for {@code plan}
     * @throws IOException when a file cannot be written
     */
    public static Report write(
            Path dir,
            String scenario,
            long seed,
            Object plan,
            History history,
            List<Verdict> verdicts,
            Map<String, ?> figures)
            throws IOException {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(verdicts, "verdicts");
        Objects.requireNonNull(figures, "figures");
        Files.createDirectories(dir);
        HistoryFiles.write(dir.resolve(HISTORY), history);
        Json.writeAtomically(dir.resolve(VERDICTS), Json.pretty(verdictsJson(verdicts)));
        JsonNode planTree = tree(plan);
        Json.writeAtomically(dir.resolve(PLAN), Json.pretty(planTree));

        Timeline timeline = Timeline.of(history);
        Json.writeAtomically(
                dir.resolve(SUMMARY),
                Json.pretty(summaryJson(scenario, seed, history, timeline, verdicts, tree(figures))));
        Json.writeAtomically(dir.resolve(TIMELINE), TimelineSvg.render(timeline, scenario, seed, parameters(planTree)));
        Json.writeAtomically(dir.resolve(REPORT), markdown(scenario, seed, history, timeline, verdicts, figures));
        return new Report(dir, scenario, seed, verdicts, timeline);
    }

    /**
     * A few lines for the terminal: one per verdict ({@code ✔ check: summary} or {@code ✘ check:
     * summary (n anomalies)}), then {@code report: <dir>}.
     */
    public static String terminalText(List<Verdict> verdicts, Path dir) {
        StringBuilder out = new StringBuilder();
        for (Verdict v : verdicts) {
            out.append(v.valid() ? PASS : FAIL)
                    .append(' ')
                    .append(v.check())
                    .append(": ")
                    .append(v.summary());
            if (!v.valid()) {
                out.append(" (")
                        .append(v.anomalies().size())
                        .append(v.anomalies().size() == 1 ? " anomaly)" : " anomalies)");
            }
            out.append('\n');
        }
        return out.append("report: ").append(dir.toAbsolutePath()).append('\n').toString();
    }

    static JsonNode tree(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof String text) {
            try {
                return Json.MAPPER.readTree(text);
            } catch (IOException e) {
                return NODES.textNode(text);
            }
        }
        try {
            return Json.MAPPER.valueToTree(value);
        } catch (IllegalArgumentException e) {
            // Losing the plan's structure is better than losing the report at the end of a run.
            return NODES.textNode(value.toString());
        }
    }

    private static Map<String, Object> parameters(JsonNode plan) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (plan instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> e : object.properties()) {
                JsonNode v = e.getValue();
                if (v.isValueNode()) {
                    out.put(e.getKey(), v.asText());
                }
            }
        }
        return out;
    }

    private static JsonNode verdictsJson(List<Verdict> verdicts) {
        ArrayNode out = NODES.arrayNode();
        for (Verdict v : verdicts) {
            out.add((JsonNode) Json.MAPPER.valueToTree(v));
        }
        return out;
    }

    private static JsonNode summaryJson(
            String scenario, long seed, History history, Timeline t, List<Verdict> verdicts, JsonNode figures) {
        ObjectNode out = NODES.objectNode();
        out.put("scenario", scenario);
        out.put("seed", seed);
        out.put("valid", verdicts.stream().allMatch(Verdict::valid));

        ObjectNode ops = out.putObject("operations");
        ops.put("durationSeconds", seconds(t.endNanos()));
        counts(ops, t.all());
        ops.set("writeAvailability", Json.number(t.writes().availability()));
        ops.set("availabilityOutsideFaults", Json.number(t.outsideFaults().availability()));
        ObjectNode byType = ops.putObject("byType");
        byType(history.ops()).forEach((type, c) -> counts(byType.putObject(type.name()), c));
        if (t.latency() != null) {
            ObjectNode latency = ops.putObject("latencyMillis");
            latency.put("p50", t.latency().p50Millis());
            latency.put("p99", t.latency().p99Millis());
            latency.put("max", t.latency().maxMillis());
        }
        out.put("changesSeen", history.changes().size());

        ObjectNode faults = out.putObject("faults");
        for (Timeline.KindSummary k : t.byKind().values()) {
            ObjectNode kind = faults.putObject(k.kind());
            kind.put("injected", k.faults());
            kind.put("secondsUnderFault", seconds(k.underFault().toNanos()));
            counts(kind, k.during());
            kind.set("writeAvailability", Json.number(k.writesDuring().availability()));
            kind.set("healToAvailableMeanSeconds", seconds(k.meanHealToAvailable()));
            kind.set("healToAvailableMaxSeconds", seconds(k.maxHealToAvailable()));
            kind.put("notRecovered", k.notRecovered());
        }
        ArrayNode windows = out.putArray("faultWindows");
        for (Timeline.FaultStats s : t.faults()) {
            FaultWindow f = s.fault();
            ObjectNode w = windows.addObject();
            w.put("kind", f.kind());
            w.put("description", f.description());
            w.set("nodes", Json.MAPPER.valueToTree(f.nodes()));
            w.put("startSeconds", seconds(f.startNanos()));
            w.put("endSeconds", seconds(f.endNanos()));
            counts(w, s.all());
            w.set("healToAvailableSeconds", seconds(s.healToAvailable()));
        }

        ObjectNode v = out.putObject("verdicts");
        v.put("valid", verdicts.stream().filter(Verdict::valid).count());
        v.put("invalid", verdicts.stream().filter(x -> !x.valid()).count());
        ArrayNode checks = v.putArray("checks");
        for (Verdict verdict : verdicts) {
            ObjectNode c = checks.addObject();
            c.put("check", verdict.check());
            c.put("valid", verdict.valid());
            c.put("summary", verdict.summary());
            c.put("anomalies", verdict.anomalies().size());
        }
        out.set("figures", figures);
        return out;
    }

    private static void counts(ObjectNode node, Timeline.Counts c) {
        node.put("ops", c.total());
        node.put("ok", c.ok());
        node.put("fail", c.fail());
        node.put("unknown", c.unknown());
        node.set("availability", Json.number(c.availability()));
    }

    private static Map<Op.Type, Timeline.Counts> byType(List<Op> ops) {
        Map<Op.Type, int[]> tally = new EnumMap<>(Op.Type.class);
        for (Op op : ops) {
            tally.computeIfAbsent(op.type(), k -> new int[3])[op.outcome().ordinal()]++;
        }
        Map<Op.Type, Timeline.Counts> out = new EnumMap<>(Op.Type.class);
        tally.forEach((type, n) -> out.put(
                type,
                new Timeline.Counts(
                        n[Op.Outcome.OK.ordinal()], n[Op.Outcome.FAIL.ordinal()], n[Op.Outcome.UNKNOWN.ordinal()])));
        return out;
    }

    private static double seconds(long nanos) {
        return Math.round(nanos / 1e6) / 1e3;
    }

    private static JsonNode seconds(Duration d) {
        return d == null ? NODES.nullNode() : NODES.numberNode(seconds(d.toNanos()));
    }

    static String markdown(
            String scenario, long seed, History history, Timeline t, List<Verdict> verdicts, Map<String, ?> figures) {
        StringBuilder md = new StringBuilder();
        long failed = verdicts.stream().filter(v -> !v.valid()).count();
        md.append("# Chaos run: ")
                .append(inline(scenario))
                .append(" (seed ")
                .append(seed)
                .append(")\n\n");
        if (verdicts.isEmpty()) {
            md.append("No checks ran.\n\n");
        } else if (failed == 0) {
            md.append("**").append(PASS).append(" all ").append(verdicts.size()).append(" checks passed.**\n\n");
        } else {
            md.append("**")
                    .append(FAIL)
                    .append(' ')
                    .append(failed)
                    .append(" of ")
                    .append(verdicts.size())
                    .append(" checks failed.**\n\n");
        }

        md.append("## Verdicts\n\n| Check | Result | Summary |\n|---|:-:|---|\n");
        for (Verdict v : verdicts) {
            md.append("| ")
                    .append(cell(v.check()))
                    .append(" | ")
                    .append(v.valid() ? PASS : FAIL)
                    .append(" | ")
                    .append(cell(v.summary()))
                    .append(" |\n");
        }

        md.append("\n## Operations\n\n")
                .append(String.format(
                        Locale.ROOT,
                        "%d operations in %.1f s: %d ok, %d failed, %d unknown; availability %s (writes %s),"
                                + " %s while no fault was active. %d changes seen.%n",
                        t.all().total(),
                        t.endNanos() / 1e9,
                        t.all().ok(),
                        t.all().fail(),
                        t.all().unknown(),
                        percent(t.all().availability()),
                        percent(t.writes().availability()),
                        percent(t.outsideFaults().availability()),
                        history.changes().size()));
        if (t.latency() != null) {
            md.append(String.format(
                    Locale.ROOT,
                    "Latency of OK operations: p50 %.1f ms, p99 %.1f ms, max %.1f ms.%n",
                    t.latency().p50Millis(),
                    t.latency().p99Millis(),
                    t.latency().maxMillis()));
        }

        md.append("\n## Faults\n\n");
        if (t.byKind().isEmpty()) {
            md.append("No faults were injected.\n");
        } else {
            md.append("Availability is the share of operations invoked while a fault of the kind was active that the"
                            + " database answered (they happened, or it refused them definitely, as a compare-and-set"
                            + " whose precondition failed)."
                            + " Heal → available: from the heal to the first second from which on availability stayed")
                    .append(String.format(Locale.ROOT, " at least %.0f%%", Timeline.AVAILABLE * 100))
                    .append(" for 5 s (or until the next fault or the end); \"not recovered\" counts the faults after"
                            + " which it did not.\n\n")
                    .append("| Kind | Faults | Time under fault | Ops | Availability | Heal → available mean | max |"
                            + " Not recovered |\n")
                    .append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
            for (Timeline.KindSummary k : t.byKind().values()) {
                md.append("| ")
                        .append(cell(k.kind()))
                        .append(" | ")
                        .append(k.faults())
                        .append(" | ")
                        .append(duration(k.underFault()))
                        .append(" | ")
                        .append(k.during().total())
                        .append(" | ")
                        .append(percent(k.availability()))
                        .append(" | ")
                        .append(duration(k.meanHealToAvailable()))
                        .append(" | ")
                        .append(duration(k.maxHealToAvailable()))
                        .append(" | ")
                        .append(k.notRecovered())
                        .append(" |\n");
            }
            md.append("\n| # | Kind | Nodes | From | To | What | Ops | Availability | Heal → available |\n")
                    .append("|--:|---|---|--:|--:|---|--:|--:|--:|\n");
            int i = 1;
            for (Timeline.FaultStats s : t.faults()) {
                FaultWindow f = s.fault();
                md.append("| ")
                        .append(i++)
                        .append(" | ")
                        .append(cell(f.kind()))
                        .append(" | ")
                        .append(cell(String.join(", ", f.nodes())))
                        .append(" | ")
                        .append(duration(Duration.ofNanos(f.startNanos())))
                        .append(" | ")
                        .append(duration(Duration.ofNanos(f.endNanos())))
                        .append(" | ")
                        .append(cell(f.description()))
                        .append(" | ")
                        .append(s.all().total())
                        .append(" | ")
                        .append(percent(s.availability()))
                        .append(" | ")
                        .append(s.healToAvailable() == null ? "not recovered" : duration(s.healToAvailable()))
                        .append(" |\n");
            }
        }

        md.append("\n## Timeline\n\n![Latency and availability over time, with the faults](")
                .append(TIMELINE)
                .append(")\n");

        if (!figures.isEmpty()) {
            md.append("\n## Figures\n\n| Figure | Value |\n|---|---|\n");
            figures.forEach((name, value) -> md.append("| ")
                    .append(cell(name))
                    .append(" | ")
                    .append(cell(figure(value)))
                    .append(" |\n"));
        }

        if (failed > 0) {
            md.append("\n## Anomalies\n");
            for (Verdict v : verdicts) {
                if (v.valid()) {
                    continue;
                }
                md.append("\n### ")
                        .append(FAIL)
                        .append(' ')
                        .append(inline(v.check()))
                        .append("\n\n");
                md.append(inline(v.summary())).append("\n\n");
                for (String anomaly : v.anomalies()) {
                    md.append("- ").append(inline(anomaly)).append('\n');
                }
                if (!v.smallestFailing().isEmpty()) {
                    md.append("\nSmallest failing sub-history (")
                            .append(v.smallestFailing().size())
                            .append(v.smallestFailing().size() == 1 ? " operation" : " operations")
                            .append("):\n\n");
                    String fence = fence(v.smallestFailing());
                    md.append(fence).append('\n');
                    for (Op op : v.smallestFailing()) {
                        md.append(op).append('\n');
                    }
                    md.append(fence).append('\n');
                }
            }
        }

        md.append("\n## Files\n\n");
        FILES.forEach((name, what) -> md.append("- [" + name + "](" + name + "): " + what + "\n"));
        return md.toString();
    }

    private static Map<String, String> filesDescribed() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(PLAN, "the plan the run followed");
        files.put(HISTORY, "every operation, fault and change seen, one JSON object a line");
        files.put(VERDICTS, "the verdicts with their anomalies and smallest failing sub-histories");
        files.put(SUMMARY, "the figures above");
        files.put(TIMELINE, "the timeline");
        return Collections.unmodifiableMap(files);
    }

    private static String figure(Object value) {
        JsonNode node = tree(value);
        return node.isValueNode() ? node.asText() : node.toString();
    }

    /** A code fence longer than any run of backticks in the ops' text, so none can close it early. */
    private static String fence(List<Op> ops) {
        int longest = 0;
        for (Op op : ops) {
            int run = 0;
            for (char c : op.toString().toCharArray()) {
                run = c == '`' ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
        }
        return "`".repeat(Math.max(3, longest + 1));
    }

    /** Text on one line. */
    private static String inline(String text) {
        return text.replace('\r', ' ').replace('\n', ' ');
    }

    /** Text for a table cell, where a bar would end the cell. */
    private static String cell(String text) {
        return inline(text).replace("|", "\\|");
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) ? "–" : String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    private static String duration(Duration d) {
        return d == null ? "–" : String.format(Locale.ROOT, "%.1f s", d.toNanos() / 1e9);
    }
}
