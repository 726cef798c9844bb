package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the answers of both systems: QuestDB's {@code /exec} JSON ({@code columns}, {@code
 * dataset}, or {@code error}) and LumaDB's {@code _tsquery} JSON ({@code groups} of {@code tags}
 * and {@code rows}, {@code truncated}). A malformed answer is an {@link IllegalStateException}
 * that quotes it, never a silently wrong figure.
 */
final class Answers {

    private Answers() {}

    /** The error QuestDB answered with, or null when {@code answer} is a result. */
    static String questDbError(JsonNode answer) {
        JsonNode error = answer.get("error");
        return error == null ? null : error.asText();
    }

    /** The single number of a {@code SELECT count() ...}; 0 when the table does not exist yet. */
    static long questDbCount(JsonNode answer) {
        String error = questDbError(answer);
        if (error != null) {
            if (error.contains("does not exist")) {
                return 0;
            }
            throw new IllegalStateException("QuestDB answered the count with an error: " + error);
        }
        JsonNode value = answer.path("dataset").path(0).path(0);
        if (!value.canConvertToLong()) {
            throw new IllegalStateException("QuestDB's count answer has no number: " + abbreviated(answer));
        }
        return value.asLong();
    }

    /**
     * Whether {@code SELECT * FROM wal_tables() WHERE name = ...} says the table applied every
     * transaction of its WAL ({@code writerTxn} = {@code sequencerTxn}) and is not suspended.
     */
    static boolean questDbWalApplied(JsonNode answer) {
        String error = questDbError(answer);
        if (error != null) {
            throw new IllegalStateException("QuestDB answered wal_tables() with an error: " + error);
        }
        JsonNode row = answer.path("dataset").path(0);
        if (row.isMissingNode()) {
            throw new IllegalStateException("wal_tables() does not list the table: " + abbreviated(answer));
        }
        JsonNode writer = row.path(column(answer, "writerTxn"));
        JsonNode sequencer = row.path(column(answer, "sequencerTxn"));
        boolean suspended = row.path(column(answer, "suspended")).asBoolean(true);
        return !suspended && writer.canConvertToLong() && writer.asLong() == sequencer.asLong();
    }

    /**
     * The rows of {@code SELECT timestamp, hostname, avg(usage_user), max(usage_user) ... SAMPLE BY},
     * found by column name, sorted by host and window.
     */
    static List<Window> questDbWindows(JsonNode answer) {
        String error = questDbError(answer);
        if (error != null) {
            throw new IllegalStateException("QuestDB answered the window aggregate with an error: " + error);
        }
        int time = column(answer, "timestamp");
        int host = column(answer, "hostname");
        int mean = column(answer, "avg");
        int max = column(answer, "max");
        List<Window> out = new ArrayList<>();
        for (JsonNode row : answer.path("dataset")) {
            out.add(new Window(
                    row.path(host).asText(),
                    nanos(row.path(time)),
                    number(row.path(mean), answer),
                    number(row.path(max), answer)));
        }
        return Window.sorted(out);
    }

    /** The index of the column whose name is {@code name} or starts with {@code name(}. */
    private static int column(JsonNode answer, String name) {
        JsonNode columns = answer.path("columns");
        for (int i = 0; i < columns.size(); i++) {
            String c = columns.get(i).path("name").asText();
            if (c.equals(name) || c.startsWith(name + "(")) {
                return i;
            }
        }
        throw new IllegalStateException("QuestDB's answer has no column " + name + ": " + abbreviated(answer));
    }

    /**
     * The sum of {@code field}'s {@code count} over every group and row of a {@code _tsquery}
     * answer with {@code "aggregates":["count"]}.
     */
    static long lumaDbCount(JsonNode answer, String field) {
        truncated(answer);
        long count = 0;
        for (JsonNode group : groups(answer)) {
            for (JsonNode row : group.path("rows")) {
                JsonNode value = row.path(field).path("count");
                if (!value.canConvertToLong()) {
                    throw new IllegalStateException(
                            "LumaDB's count answer has a row without " + field + ".count: " + abbreviated(answer));
                }
                count += value.asLong();
            }
        }
        return count;
    }

    /**
     * The rows of a {@code _tsquery} with {@code "groupBy":["hostname"]} and {@code
     * "aggregates":["mean","max"]} of {@code field}, sorted by host and window.
     */
    static List<Window> lumaDbWindows(JsonNode answer, String field) {
        truncated(answer);
        List<Window> out = new ArrayList<>();
        for (JsonNode group : groups(answer)) {
            String host = group.path("tags").path("hostname").asText(null);
            if (host == null) {
                throw new IllegalStateException(
                        "LumaDB's answer has a group without tags.hostname: " + abbreviated(answer));
            }
            for (JsonNode row : group.path("rows")) {
                JsonNode values = row.path(field);
                out.add(new Window(
                        host,
                        nanos(row.path("time")),
                        number(values.path("mean"), answer),
                        number(values.path("max"), answer)));
            }
        }
        return Window.sorted(out);
    }

    private static JsonNode groups(JsonNode answer) {
        JsonNode groups = answer.get("groups");
        if (groups == null || !groups.isArray()) {
            throw new IllegalStateException("LumaDB's answer has no groups: " + abbreviated(answer));
        }
        return groups;
    }

    private static void truncated(JsonNode answer) {
        if (answer.path("truncated").asBoolean(false)) {
            throw new IllegalStateException("LumaDB truncated its answer: " + abbreviated(answer));
        }
    }

    /** A time as ISO-8601 text ({@code 2016-01-01T00:00:00.000000Z}) or as an integer of ns. */
    static long nanos(JsonNode time) {
        if (time.isIntegralNumber()) {
            return time.asLong();
        }
        if (!time.isTextual()) {
            throw new IllegalStateException("not a time: " + time);
        }
        Instant t = Instant.parse(time.asText());
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private static double number(JsonNode value, JsonNode answer) {
        if (!value.isNumber()) {
            throw new IllegalStateException("not a number: " + value + " in " + abbreviated(answer));
        }
        return value.asDouble();
    }

    private static String abbreviated(JsonNode answer) {
        String text = answer.toString();
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
}
