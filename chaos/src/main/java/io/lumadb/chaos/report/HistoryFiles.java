package io.lumadb.chaos.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a run's {@link History} to {@code history.ndjson} and reads it back, so that a run can be
 * checked again offline, and so that people can grep it.
 *
 * <p>The format: UTF-8, one JSON object per line, each with a {@code "kind"} naming what it holds.
 *
 * <ul>
 *   <li>{@code {"kind":"op", ...}}: an {@link Op}, its fields named as the record's components
 *       ({@code index}, {@code process}, {@code node}, {@code type}, {@code key}, {@code value},
 *       {@code expected}, {@code version}, {@code invokedNanos}, {@code completedNanos}, {@code
 *       outcome}, {@code detail}); absent values are {@code null}.
 *   <li>{@code {"kind":"fault", ...}}: a {@link FaultWindow}; its own {@code kind} component is
 *       named {@code faultKind}, since {@code kind} already says what the line is.
 *   <li>{@code {"kind":"change", ...}}: a {@link ChangeSeen}, fields named as its components.
 * </ul>
 *
 * <p>Lines are in time order (an op at its invocation, a fault at its start, a change when it was
 * received); among each kind the history's own order is kept, so that reading a file back gives a
 * history whose {@code ops()}, {@code faults()} and {@code changes()} equal the original's. Blank
 * lines are skipped; anything else that is not one of the three is an error naming the line.
 */
public final class HistoryFiles {

    /** The file's name in a report directory. */
    public static final String FILE_NAME = "history.ndjson";

    private static final String KIND = "kind";
    private static final String FAULT_KIND = "faultKind";

    private HistoryFiles() {}

    /** Writes {@code history} to {@code file}, replacing it, all at once (never half-written). */
    public static void write(Path file, History history) throws IOException {
        List<Op> ops = history.ops();
        List<FaultWindow> faults = history.faults();
        List<ChangeSeen> changes = history.changes();
        // Streamed: a long run's history is far larger than any other file of a report.
        Json.writeAtomically(file, out -> writeNdjson(out, ops, faults, changes));
    }

    /**
     * Reads a history written by {@link #write}. Its clock starts at 0, and {@link
     * History#nextIndex()} starts again at 0: it is for checking, not for recording more.
     *
     * @throws IOException when the file cannot be read or a line is not an op, fault or change
     */
    public static History read(Path file) throws IOException {
        History history = new History(0);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (!line.isBlank()) {
                    readLine(history, line, file, number);
                }
            }
        }
        return history;
    }

    private static void writeNdjson(Writer out, List<Op> ops, List<FaultWindow> faults, List<ChangeSeen> changes)
            throws IOException {
        int o = 0;
        int f = 0;
        int c = 0;
        // A merge rather than a sort: each list keeps its own order, which a sort by time alone
        // would not for changes received out of time order by different consumers.
        while (o < ops.size() || f < faults.size() || c < changes.size()) {
            long opAt = o < ops.size() ? ops.get(o).invokedNanos() : Long.MAX_VALUE;
            long faultAt = f < faults.size() ? faults.get(f).startNanos() : Long.MAX_VALUE;
            long changeAt = c < changes.size() ? changes.get(c).atNanos() : Long.MAX_VALUE;
            ObjectNode line = Json.MAPPER.createObjectNode();
            if (faultAt <= opAt && faultAt <= changeAt && f < faults.size()) {
                ObjectNode fault = Json.MAPPER.valueToTree(faults.get(f++));
                line.put(KIND, "fault");
                line.set(FAULT_KIND, fault.remove("kind"));
                line.setAll(fault);
            } else if (opAt <= changeAt && o < ops.size()) {
                line.put(KIND, "op");
                line.setAll((ObjectNode) Json.MAPPER.valueToTree(ops.get(o++)));
            } else {
                line.put(KIND, "change");
                line.setAll((ObjectNode) Json.MAPPER.valueToTree(changes.get(c++)));
            }
            out.write(Json.MAPPER.writeValueAsString(line));
            out.write('\n');
        }
    }

    private static void readLine(History history, String line, Path file, int number) throws IOException {
        try {
            JsonNode tree = Json.MAPPER.readTree(line);
            if (!(tree instanceof ObjectNode node)) {
                throw new IOException(file + " line " + number + ": not a JSON object");
            }
            String kind = node.path(KIND).asText("");
            node.remove(KIND);
            switch (kind) {
                case "op" -> history.add(Json.MAPPER.treeToValue(node, Op.class));
                case "change" -> history.add(Json.MAPPER.treeToValue(node, ChangeSeen.class));
                case "fault" -> {
                    node.set("kind", node.remove(FAULT_KIND));
                    history.add(Json.MAPPER.treeToValue(node, FaultWindow.class));
                }
                default ->
                    throw new IOException(file + " line " + number + ": \"kind\" is \"" + kind
                            + "\", expected \"op\", \"fault\" or \"change\"");
            }
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            // The records' constructors reject impossible values; say where they came from.
            throw new IOException(file + " line " + number + ": " + e.getMessage(), e);
        }
    }
}
