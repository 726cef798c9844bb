package io.lumadb.cdc.topics;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Pub/sub configuration ({@code lumadb.topics}).
 *
 * @param bufferSize messages a subscriber may have waiting before it overflows and is closed
 * @param maxMessageBytes the largest message a publisher may send
 * @param heartbeat how long a quiet subscription waits before it sends a heartbeat
 * @param idleTimeout how long a topic with no local subscriber and no publish lives on this node
 */
public record TopicSettings(int bufferSize, int maxMessageBytes, Duration heartbeat, Duration idleTimeout) {

    public TopicSettings {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("lumadb.topics.buffer-size must be >= 1, was " + bufferSize);
        }
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("lumadb.topics.max-message-bytes must be >= 1, was " + maxMessageBytes);
        }
    }

    public static TopicSettings fromConfig(Config config) {
        Config c = config.getConfig("lumadb.topics");
        return new TopicSettings(
                c.getInt("buffer-size"),
                (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-message-bytes")),
                c.getDuration("heartbeat"),
                c.getDuration("idle-timeout"));
    }
}
