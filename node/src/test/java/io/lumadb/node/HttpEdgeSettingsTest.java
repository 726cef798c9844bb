package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node's HTTP edge defaults: timeouts that fit together, a listen backlog for bursts. */
class HttpEdgeSettingsTest {

    private static Config config(Map<String, Object> overrides) {
        return LumaDbServer.config(ConfigFactory.parseMap(overrides));
    }

    @Test
    void theRequestTimeoutLeavesTheQueryTimeoutTimeToAnswer() {
        Config defaults = config(Map.of());
        Duration query = defaults.getDuration("lumadb.query.timeout");
        // The configured value itself, not only what the node derives from it.
        assertTrue(defaults.getDuration("pekko.http.server.request-timeout").compareTo(query.plusSeconds(5)) > 0);
        assertTrue(HttpEdge.requestTimeout(defaults).orElseThrow().compareTo(query.plusSeconds(5)) > 0);
        // A longer query timeout raises the request timeout with it.
        Config longQueries = config(Map.of("lumadb.query.timeout", "100s"));
        assertEquals(
                Duration.ofSeconds(110), HttpEdge.requestTimeout(longQueries).orElseThrow());
        // A longer request timeout is kept; "infinite" turns it off.
        assertEquals(
                Duration.ofSeconds(300),
                HttpEdge.requestTimeout(config(Map.of("pekko.http.server.request-timeout", "300s")))
                        .orElseThrow());
        assertTrue(HttpEdge.requestTimeout(config(Map.of("pekko.http.server.request-timeout", "infinite")))
                .isEmpty());
    }

    @Test
    void connectionBurstsFitTheListenBacklogAndSlowHeadsTimeOut() {
        Config defaults = config(Map.of());
        assertTrue(defaults.getInt("pekko.http.server.backlog") >= 1024);
        HttpEdge.Settings edge = HttpEdge.Settings.from(defaults);
        assertEquals(Duration.ofSeconds(10), edge.headerTimeout());
        assertTrue(edge.maxConnectionsPerAddress() > 0);
        assertEquals(
                "io.lumadb.http.ProblemParsingErrorHandler",
                defaults.getString("pekko.http.server.parsing.error-handler"));
    }
}
