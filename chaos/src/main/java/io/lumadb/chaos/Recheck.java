package io.lumadb.chaos;

import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Verdict;
import io.lumadb.chaos.report.HistoryFiles;
import io.lumadb.chaos.report.Timeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code bin/chaos --recheck <report dir>}: checks a run's saved {@code history.ndjson} again
 * offline (the register histories in both read modes) and prints its operations and, per fault
 * kind, the faults, availability and time from heal to full availability. The checks that need
 * what was read back at the end of the run (sets, the stream, live queries) are in its report.
 */
final class Recheck {

    private Recheck() {}

    static String of(Path reportDir) throws IOException {
        History history = HistoryFiles.read(reportDir.resolve(HistoryFiles.FILE_NAME));
        StringBuilder out = new StringBuilder("history " + reportDir + "\n");
        for (Verdict v : ChaosRun.registerVerdicts(history.ops())) {
            out.append(v.valid() ? "PASS " : "FAIL ")
                    .append(v.check())
                    .append(": ")
                    .append(v.summary())
                    .append('\n');
        }
        Timeline t = Timeline.of(history);
        Timeline.Counts all = t.all();
        out.append(String.format(
                Locale.ROOT,
                "operations %d: answered %d, failed %d, unknown %d; availability %.2f%% (writes %.2f%%), outside faults %.2f%%%n",
                all.total(),
                all.ok(),
                all.fail(),
                all.unknown(),
                100 * all.availability(),
                100 * t.writes().availability(),
                100 * t.outsideFaults().availability()));
        for (Timeline.KindSummary k : t.byKind().values()) {
            out.append(String.format(
                    Locale.ROOT,
                    "%-10s faults %2d, %5.0f s under fault, %6d ops, availability %6.2f%%, heal to available mean %s max %s,"
                            + " not recovered %d%n",
                    k.kind(),
                    k.faults(),
                    k.underFault().toMillis() / 1000.0,
                    k.during().total(),
                    100 * k.availability(),
                    seconds(k.meanHealToAvailable()),
                    seconds(k.maxHealToAvailable()),
                    k.notRecovered()));
        }
        return out.toString();
    }

    private static String seconds(java.time.Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
