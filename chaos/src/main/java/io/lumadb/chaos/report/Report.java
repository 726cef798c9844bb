package io.lumadb.chaos.report;

import io.lumadb.chaos.history.Verdict;
import java.nio.file.Path;
import java.util.List;

/**
 * A report as {@link ReportWriter#write} left it on disk: where it is, the verdicts it shows and
 * the timeline it computed.
 *
 * @param dir the directory holding the report's files
 */
public record Report(Path dir, String scenario, long seed, List<Verdict> verdicts, Timeline timeline) {

    public Report {
        verdicts = List.copyOf(verdicts);
    }

    /** Whether every check passed (true when there were none). */
    public boolean valid() {
        return verdicts.stream().allMatch(Verdict::valid);
    }

    /** One of the report's files, by name (such as {@link ReportWriter#REPORT}). */
    public Path file(String name) {
        return dir.resolve(name);
    }

    /** A few lines for the terminal; see {@link ReportWriter#terminalText(List, Path)}. */
    public String terminalText() {
        return ReportWriter.terminalText(verdicts, dir);
    }
}
