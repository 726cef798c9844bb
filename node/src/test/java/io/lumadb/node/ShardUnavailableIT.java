package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node whose cluster never becomes usable (it waits for a second member that never comes), so
 * no shard can be reached: requests get 503 {@code shard-unavailable} after the ask timeout,
 * readiness fails, liveness holds.
 */
@Timeout(60)
class ShardUnavailableIT {

    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of("lumadb.shards.ask-timeout", "1s", "pekko.cluster.min-nr-of-members", 2));
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void unreachableShardsAnswer503AndReadinessFails() {
        TestHttp.Response write = http.put("/api/v1/db/c/x", "{}");
        assertEquals(503, write.status(), write.toString());
        assertTrue(write.contentType().startsWith("application/problem+json"));
        assertEquals(
                "urn:lumadb:problem:shard-unavailable", write.json().get("type").asText());
        assertEquals(503, http.get("/api/v1/db/c/x").status());
        assertEquals(503, http.get("/ready").status());
        assertEquals(200, http.get("/health").status());
    }
}
