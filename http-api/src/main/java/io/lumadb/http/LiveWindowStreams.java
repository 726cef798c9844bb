package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.live.LiveWindows;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryException;
import io.lumadb.timeseries.query.TsTime;
import io.lumadb.timeseries.shard.TimeSeriesOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Live window queries as a stream of events, for SSE ({@code _tsquery/live}) and the WebSocket
 * (subscription type {@code windows}): {@code subscribed}, then {@code window} for each window
 * once its end plus {@code grace} (default 2s) has passed, {@code update} when later points change
 * one of the last {@code horizon} windows (default: the collection's lateness in windows), and
 * {@code heartbeat} every 10 s while quiet. Every event carries a token to resume from.
 */
final class LiveWindowStreams {

    private static final Duration HEARTBEAT = Duration.ofSeconds(10);

    private static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);

    private LiveWindowStreams() {}

    /** One event: its name, the token it carries, and its data (which holds the token too). */
    record Event(String name, String token, ObjectNode data) {}

    /**
     * Opens a live window query over collection {@code db/coll}.
     *
     * @param query a {@code _tsquery} body with a window and aggregates and no range
     * @param grace a duration like {@code 500ms}, or null for the default
     * @param horizon windows watched for late points, or null for the default
     * @param resume a token of an earlier event of the same query, or null to start now
     * @throws ApiException (also in the stage) for a bad query, parameter or token
     */
    static CompletionStage<Source<Event, NotUsed>> open(
            ApiContext api, String db, String coll, JsonNode query, String grace, Integer horizon, String resume) {
        if (query == null || !query.isObject()) {
            throw ApiException.badRequest(
                    "invalid-query", "Invalid query", "query must be a _tsquery body (a JSON object)", "query");
        }
        if (query.has("from") || query.has("to")) {
            throw ApiException.badRequest(
                    "invalid-query", "Invalid query", "a live query has no range: it follows the clock", "query");
        }
        Duration graceTime = grace == null ? DEFAULT_GRACE : Duration.ofNanos(duration(grace, "grace"));
        return TimeSeriesResource.timeSeries(api, db, coll).thenApply(info -> {
            TimeSeriesOptions options = TimeSeriesResource.options(info);
            LiveWindows live;
            try {
                ObjectNode ranged = ((ObjectNode) query).deepCopy();
                ranged.put("from", 0);
                TsQuery parsed = TsQuery.parse(ranged, 1);
                int watched = horizon != null
                        ? horizon
                        : (int) Math.min(
                                LiveWindows.MAX_HORIZON,
                                Math.max(1, -Math.floorDiv(-options.lateness(), Math.max(1, parsed.window()))));
                live = new LiveWindows(
                        parsed,
                        q -> api.timeSeriesQueries().query(info, options, q),
                        () -> System.currentTimeMillis() * 1_000_000L,
                        graceTime,
                        watched,
                        resume);
            } catch (TsQueryException e) {
                throw ApiException.badRequest(
                        "invalid-query",
                        "Invalid query",
                        e.getMessage(),
                        e.pointer().startsWith("/resume") ? "resume" : "query" + e.pointer());
            }
            return events(live);
        });
    }

    private static long duration(String text, String parameter) {
        try {
            return TimeSeriesOptions.duration(JsonResponses.object().textNode(text), "/" + parameter);
        } catch (TimeSeriesOptions.InvalidOptionsException e) {
            throw ApiException.badRequest(
                    "invalid-parameter", "Invalid parameter", parameter + ": " + e.getMessage(), parameter);
        }
    }

    /** The subscription's events: its steps, a few per window (100 ms to 1 s apart), and heartbeats. */
    private static Source<Event, NotUsed> events(LiveWindows live) {
        Duration every = Duration.ofMillis(Math.clamp(live.windowNanos() / 4_000_000L, 100, 1_000));
        String first = live.token();
        long[] lastSent = {System.nanoTime()};
        return Source.single(
                        new Event("subscribed", first, JsonResponses.object().put("token", first)))
                .concat(Source.tick(Duration.ZERO, every, "step")
                        .mapAsync(1, tick -> live.step())
                        .mapConcat(windows -> {
                            List<Event> out = new ArrayList<>();
                            for (var w : windows) {
                                ObjectNode data = JsonResponses.object();
                                data.put("start", TsTime.format(w.start()));
                                data.put("end", TsTime.format(w.end()));
                                data.set("groups", w.groups());
                                data.put("token", w.token());
                                out.add(new Event(w.update() ? "update" : "window", w.token(), data));
                            }
                            long now = System.nanoTime();
                            if (!out.isEmpty()) {
                                lastSent[0] = now;
                            } else if (now - lastSent[0] >= HEARTBEAT.toNanos()) {
                                lastSent[0] = now;
                                String token = live.token();
                                out.add(new Event(
                                        "heartbeat",
                                        token,
                                        JsonResponses.object().put("token", token)));
                            }
                            return out;
                        }))
                .mapMaterializedValue(m -> NotUsed.getInstance());
    }
}
