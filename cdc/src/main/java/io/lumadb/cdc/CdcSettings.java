package io.lumadb.cdc;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The change stream's configuration ({@code lumadb.cdc}).
 *
 * @param readJournal the Pekko Persistence Query plugin that reads shard journals
 * @param ringSize shard events each live feed keeps for subscribers that join slightly behind
 * @param bufferSize shard events a subscriber may have waiting before it overflows
 * @param catchUpPage shard events read from the journal per step of a subscriber that is behind
 * @param heartbeat how long a quiet subscription waits before it sends a heartbeat
 * @param maxPullLimit the most changes one HTTP pull page returns
 * @param maxPullWait the longest long-poll wait of an HTTP pull
 * @param maxPullBytes the most bytes of envelopes one HTTP pull page holds (a single larger change
 *     still comes, alone on its page); it also bounds the documents of one catch-up read
 * @param maxLiveQueryResult the most documents a live query's initial result may hold
 */
public record CdcSettings(
        String readJournal,
        int ringSize,
        int bufferSize,
        int catchUpPage,
        Duration heartbeat,
        int maxPullLimit,
        Duration maxPullWait,
        long maxPullBytes,
        int maxLiveQueryResult) {

    public CdcSettings {
        if (maxPullBytes < 1) {
            throw new IllegalArgumentException("lumadb.cdc.max-pull-bytes must be at least 1, was " + maxPullBytes);
        }
    }

    public static CdcSettings fromConfig(Config config) {
        Config c = config.getConfig("lumadb.cdc");
        return new CdcSettings(
                c.getString("read-journal"),
                c.getInt("ring-size"),
                c.getInt("buffer-size"),
                c.getInt("catch-up-page"),
                c.getDuration("heartbeat"),
                c.getInt("max-pull-limit"),
                c.getDuration("max-pull-wait"),
                c.getBytes("max-pull-bytes"),
                c.getInt("max-live-query-result"));
    }
}
