package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.live.LiveWindows;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live windows over three real shards on a simulated clock: each window is delivered once it has
 * closed, a late point changes a delivered window into an update, and a subscription resumed from
 * any token delivers exactly what it missed.
 */
class LiveWindowsTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long T0 = 1_764_547_200L * SECOND; // 2025-12-01T00:00:00Z
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardedStores shards;
    /** Subscriptions start in the middle of the window [T0, T0 + 10s). */
    private final AtomicLong now = new AtomicLong(T0 + 5 * SECOND);

    @BeforeEach
    void open() throws Exception {
        shards = new ShardedStores(3, new TimeSeriesSettings(60 * SECOND, 0));
    }

    @AfterEach
    void close() throws Exception {
        shards.close();
    }

    private CompletionStage<ObjectNode> run(TsQuery q) {
        List<byte[]> partials = new ArrayList<>();
        shards.stores.forEach(s -> partials.add(TsQueryShard.run(s, q)));
        return CompletableFuture.completedFuture(TsQueryMerge.merge(q, partials));
    }

    private static TsQuery query() throws Exception {
        return TsQuery.parse(
                JSON.readTree("{\"measurement\":\"cpu\",\"from\":0,\"fields\":[\"v\"],\"groupBy\":[\"host\"],"
                        + "\"window\":\"10s\",\"aggregates\":[\"sum\",\"count\"]}"),
                1);
    }

    private LiveWindows live(int horizon, String token) throws Exception {
        return new LiveWindows(query(), this::run, now::get, Duration.ofSeconds(1), horizon, token);
    }

    private void write(String host, long t, double v) {
        shards.write(List.of(
                new Point("cpu", List.of(new Point.Tag("host", host)), Map.of("v", new FieldValue.FloatValue(v)), t)));
    }

    private static List<LiveWindows.Window> step(LiveWindows live) throws Exception {
        return live.step().toCompletableFuture().get();
    }

    /** A window's sum for host {@code host}, or null when the window has no point of it. */
    private static Double sum(LiveWindows.Window w, String host) {
        for (JsonNode g : w.groups()) {
            if (g.path("tags").path("host").asText().equals(host)) {
                return g.path("values").path("v").path("sum").asDouble();
            }
        }
        return null;
    }

    @Test
    void windowsAreDeliveredOnceClosedAndLatePointsBecomeUpdates() throws Exception {
        LiveWindows live = live(3, null);
        assertEquals(List.of(), step(live), "the first step learns the horizon");
        write("a", T0 + 2 * SECOND, 1);
        write("b", T0 + 3 * SECOND, 5);
        write("a", T0 + 12 * SECOND, 2);
        now.set(T0 + 10 * SECOND);
        assertEquals(List.of(), step(live), "[0s, 10s) closes only after its grace");
        now.set(T0 + 11 * SECOND);
        List<LiveWindows.Window> first = step(live);
        assertEquals(1, first.size());
        assertEquals(T0, first.getFirst().start());
        assertEquals(false, first.getFirst().update());
        assertEquals(1.0, sum(first.getFirst(), "a"));
        assertEquals(5.0, sum(first.getFirst(), "b"));
        String afterFirst = first.getFirst().token();
        assertEquals(List.of(), step(live), "nothing new");

        // Two windows close at once; one of them has no point.
        now.set(T0 + 31 * SECOND);
        List<LiveWindows.Window> two = step(live);
        assertEquals(2, two.size());
        assertEquals(2.0, sum(two.get(0), "a"));
        assertEquals(0, two.get(1).groups().size());

        // A late point for the first window: an update with the new sum.
        write("a", T0 + 4 * SECOND, 10);
        List<LiveWindows.Window> late = step(live);
        assertEquals(1, late.size());
        assertTrue(late.getFirst().update());
        assertEquals(T0, late.getFirst().start());
        assertEquals(11.0, sum(late.getFirst(), "a"));
        assertEquals(List.of(), step(live), "an update is delivered once");

        // Resumed from the token after the first window: both windows closed since, and the first
        // window's update (it changed after that token).
        LiveWindows resumed = live(3, afterFirst);
        List<LiveWindows.Window> missed = step(resumed);
        assertEquals(3, missed.size(), missed.toString());
        assertTrue(missed.get(0).update());
        assertEquals(11.0, sum(missed.get(0), "a"));
        assertEquals(T0 + 10 * SECOND, missed.get(1).start());
        assertEquals(T0 + 20 * SECOND, missed.get(2).start());
        // From the newest token: nothing, until a window closes.
        LiveWindows current = live(3, late.getFirst().token());
        assertEquals(List.of(), step(current));
        now.set(T0 + 41 * SECOND);
        assertEquals(1, step(current).size());
    }

    @Test
    void aLatePointBeyondTheHorizonIsNotReported() throws Exception {
        LiveWindows live = live(1, null);
        step(live);
        write("a", T0 + 1 * SECOND, 1);
        now.set(T0 + 31 * SECOND);
        assertEquals(3, step(live).size());
        write("a", T0 + 2 * SECOND, 1); // the window [0s, 10s) is three windows back
        assertEquals(List.of(), step(live));
        write("a", T0 + 22 * SECOND, 1); // [20s, 30s) is the horizon
        assertEquals(1, step(live).size());
    }

    @Test
    void refusesQueriesThatCannotBeLiveAndTokensOfOtherQueries() throws Exception {
        TsQuery raw = TsQuery.parse(JSON.readTree("{\"from\":0}"), 1);
        assertThrows(TsQueryException.class, () -> new LiveWindows(raw, this::run, now::get, Duration.ZERO, 1, null));
        TsQuery filled = TsQuery.parse(
                JSON.readTree("{\"from\":0,\"window\":\"1m\",\"aggregates\":[\"mean\"],\"fill\":\"null\"}"), 1);
        assertThrows(
                TsQueryException.class, () -> new LiveWindows(filled, this::run, now::get, Duration.ZERO, 1, null));
        String token = live(2, null).token();
        TsQuery other = TsQuery.parse(JSON.readTree("{\"from\":0,\"window\":\"10s\",\"aggregates\":[\"max\"]}"), 1);
        TsQueryException e = assertThrows(
                TsQueryException.class, () -> new LiveWindows(other, this::run, now::get, Duration.ZERO, 2, token));
        assertEquals("/resume", e.pointer());
        assertThrows(TsQueryException.class, () -> live(2, "not-a-token"));
    }
}
