package io.lumadb.bench.ycsb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What YCSB 0.17's {@code site.ycsb.Client} printed, parsed: the text exporter's measurement lines
 * ({@code [READ], 50thPercentileLatency(us), 300}, {@code [READ], Return=OK, 1000}, {@code
 * [READ-FAILED], Operations, 3}, {@code [OVERALL], Throughput(ops/sec), 1234.5}) and the operation
 * count of the last status line ({@code ... 10 sec: 200 operations; ...}, printed with {@code -s}).
 * Other lines (log messages, stack traces, the JVM's GC lines) are ignored.
 *
 * @param throughputOpsPerSec {@code [OVERALL], Throughput(ops/sec)}, NaN if absent
 * @param runtimeMillis {@code [OVERALL], RunTime(ms)}, NaN if absent
 * @param operations per operation type in printed order, without CLEANUP, the JVM lines and the
 *     {@code -FAILED} measurements (folded into the failures of their operation type)
 * @param operationsDone the count of the last status line, -1 if there was none
 * @param failureDetails one line per non-OK outcome, e.g. {@code "[READ] Return=NOT_FOUND: 3"}
 */
record YcsbOutput(
        double throughputOpsPerSec,
        double runtimeMillis,
        Map<String, OpStats> operations,
        long operationsDone,
        List<String> failureDetails) {

    private static final Pattern MEASUREMENT = Pattern.compile("^\\[([^\\]]+)\\], ([^,]+), (.+)$");
    private static final Pattern PERCENTILE =
            Pattern.compile("^(\\d+(?:\\.\\d+)?)(?:st|nd|rd|th)?PercentileLatency\\(us\\)$");
    private static final Pattern STATUS =
            Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d:\\d{3} \\d+ sec: (\\d+) operations;");
    private static final String FAILED_SUFFIX = "-FAILED";
    private static final Set<String> OK_RETURNS = Set.of("OK", "BATCHED_OK");

    YcsbOutput {
        operations = Collections.unmodifiableMap(new LinkedHashMap<>(operations));
        failureDetails = List.copyOf(failureDetails);
    }

    /** Operations that did not succeed, over all types. */
    long failures() {
        return operations.values().stream().mapToLong(OpStats::failures).sum();
    }

    static YcsbOutput parse(List<String> lines) {
        double throughput = Double.NaN;
        double runtime = Double.NaN;
        long done = -1;
        Map<String, Measured> measured = new LinkedHashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            Matcher status = STATUS.matcher(line);
            if (status.find()) {
                done = Long.parseLong(status.group(1));
                continue;
            }
            Matcher m = MEASUREMENT.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String name = m.group(1);
            String metric = m.group(2).strip();
            String value = m.group(3).strip();
            if (name.equals("OVERALL")) {
                if (metric.equals("Throughput(ops/sec)")) {
                    throughput = parseDouble(value);
                } else if (metric.equals("RunTime(ms)")) {
                    runtime = parseDouble(value);
                }
                continue;
            }
            // GC and JVM lines are not operations; Intended-* repeat the operations from another clock.
            if (name.startsWith("TOTAL_GC") || name.equals("CLEANUP") || name.startsWith("Intended-")) {
                continue;
            }
            Measured op = measured.computeIfAbsent(name, n -> new Measured());
            if (metric.equals("Operations")) {
                op.operations = (long) parseDouble(value);
            } else if (metric.startsWith("Return=")) {
                op.returns.put(metric.substring("Return=".length()), (long) parseDouble(value));
            } else {
                Matcher p = PERCENTILE.matcher(metric);
                if (p.matches()) {
                    op.percentiles.put(Double.parseDouble(p.group(1)), parseDouble(value));
                }
            }
        }

        // Fold OP-FAILED into OP, keeping OP where it (or, if it never succeeded, OP-FAILED) appeared.
        Map<String, OpStats> operations = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Measured> e : measured.entrySet()) {
            String name = e.getKey();
            String base =
                    name.endsWith(FAILED_SUFFIX) ? name.substring(0, name.length() - FAILED_SUFFIX.length()) : name;
            if (operations.containsKey(base)) {
                continue;
            }
            Measured ok = measured.getOrDefault(base, new Measured());
            Measured failed = measured.get(base + FAILED_SUFFIX);
            long failedReturns = 0;
            for (Map.Entry<String, Long> r : ok.returns.entrySet()) {
                if (!OK_RETURNS.contains(r.getKey()) && r.getValue() > 0) {
                    failedReturns += r.getValue();
                    failures.add("[" + base + "] Return=" + r.getKey() + ": " + r.getValue());
                }
            }
            long failedOps = failed == null ? 0 : failed.operations;
            if (failedOps > failedReturns) {
                failures.add("[" + base + FAILED_SUFFIX + "] Operations: " + failedOps);
            }
            operations.put(
                    base,
                    new OpStats(
                            ok.operations,
                            ok.percentile(50),
                            ok.percentile(95),
                            ok.percentile(99),
                            Math.max(failedReturns, failedOps)));
        }
        return new YcsbOutput(throughput, runtime, operations, done, failures);
    }

    private static double parseDouble(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The lines of one measurement name, as printed. */
    private static final class Measured {
        long operations;
        final Map<String, Long> returns = new LinkedHashMap<>();
        final Map<Double, Double> percentiles = new TreeMap<>();

        double percentile(double p) {
            return percentiles.getOrDefault(p, Double.NaN);
        }
    }
}
