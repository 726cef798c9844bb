package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention runs on a time-series collection nobody touches after a restart: the node opens the
 * series of every time-series shard on its own ({@code lumadb.timeseries.open-every}), so points
 * past the retention are dropped although no write or query reached the collection. Fails when
 * the node only opens series at their first use.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TimeSeriesUpkeepIT {

    private static final long HOUR_NS = TimeUnit.HOURS.toNanos(1);

    @TempDir
    Path dir;

    private static Map<String, Object> settings(String sweep, String openEvery) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("lumadb.timeseries.retention-sweep", sweep);
        settings.put("lumadb.timeseries.open-every", openEvery);
        return settings;
    }

    /** The collection's points, with their tags. */
    private static JsonNode rows(TestHttp http) {
        TestHttp.Response r =
                http.method("POST", "/api/v1/up/cpu/_tsquery", "application/json", "{\"from\":0,\"limit\":100}");
        assertEquals(200, r.status(), r.toString());
        return r.json().path("groups").path(0).path("rows");
    }

    @Test
    void retentionRunsOnCollectionsNobodyTouchedSinceTheRestart() throws Exception {
        long now = System.currentTimeMillis() * 1_000_000L;
        // No retention sweep in this run: the old points stay.
        try (InProcessServer server = InProcessServer.on(dir, settings("0s", "0s"))) {
            TestHttp http = server.http();
            assertEquals(201, http.method("PUT", "/api/v1/up", null, null).status());
            assertEquals(
                    201,
                    http.put(
                                    "/api/v1/up/cpu",
                                    "{\"kind\":\"timeseries\",\"shards\":2,\"timeseries\":{\"retention\":\"1h\"}}")
                            .status());
            String lines = "cpu,host=a v=1 " + (now - 3 * HOUR_NS) + "\n" + "cpu,host=b v=2 " + (now - 3 * HOUR_NS)
                    + "\n" + "cpu,host=a v=3 " + (now - 60_000_000_000L) + "\n";
            TestHttp.Response wrote =
                    http.method("POST", "/api/v2/write?bucket=up/cpu&precision=ns", "text/plain", lines);
            assertEquals(204, wrote.status(), wrote.toString());
            JsonNode before = rows(http);
            assertEquals(3, before.size(), "before any sweep: " + before);
        }
        // Retention sweeps often now, and nobody writes to or queries the collection.
        try (InProcessServer server = InProcessServer.on(dir, settings("200ms", "1s"))) {
            TimeUnit.SECONDS.sleep(6);
        }
        // Without sweeps again: what the untouched run dropped is gone.
        try (InProcessServer server = InProcessServer.on(dir, settings("0s", "0s"))) {
            JsonNode after = rows(server.http());
            assertEquals(1, after.size(), "the points past the retention are gone: " + after);
            assertEquals(3, after.get(0).path("v").asDouble(), after.toString());
        }
    }
}
