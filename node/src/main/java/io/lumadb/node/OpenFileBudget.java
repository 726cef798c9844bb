package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.lumadb.persistence.rocksdb.OpenFileLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits the HTTP server's connection limit into the process's open-file limit. Every connection
 * holds a descriptor; a server allowed more connections than it has descriptors fails to accept
 * once they run out, and Pekko's listener then retries at once, logging an error per attempt
 * (over 200,000 identical lines in 10 s). With {@code pekko.http.server.max-connections} below
 * what is left after RocksDB's share and a reserve, the listener stops accepting instead, and
 * further connections wait in the kernel's backlog.
 */
final class OpenFileBudget {

    private static final Logger log = LoggerFactory.getLogger(OpenFileBudget.class);

    /** Descriptors kept for the JVM (jars, epoll), RocksDB's WAL and logs, and cluster sockets. */
    static final int RESERVE = 256;

    static final String MAX_CONNECTIONS = "pekko.http.server.max-connections";

    private OpenFileBudget() {}

    /** {@code config}, with fewer connections allowed when the open-file limit cannot hold them. */
    static Config fit(Config config) {
        return fit(config, OpenFileLimit.ofThisProcess());
    }

    static Config fit(Config config, OpenFileLimit limit) {
        if (limit == null || limit.soft() == Long.MAX_VALUE) {
            return config;
        }
        int configured = config.getInt(MAX_CONNECTIONS);
        int rocksDb = limit.rocksDbBudget(config.getInt("lumadb.persistence.rocksdb.max-open-files"));
        int fits = (int) Math.max(16, limit.soft() - rocksDb - RESERVE);
        if (configured <= fits) {
            return config;
        }
        // Most of the connections still fit: worth knowing, not a warning.
        org.slf4j.event.Level level = fits < configured / 2 ? org.slf4j.event.Level.WARN : org.slf4j.event.Level.INFO;
        log.atLevel(level)
                .log(
                        "The open-file limit of this process is {}: the node accepts at most {} connections at once"
                                + " instead of {} = {}; raise the limit to {} for all of them (ulimit -n, or"
                                + " LimitNOFILE in a systemd unit)",
                        limit.soft(),
                        fits,
                        MAX_CONNECTIONS,
                        configured,
                        (long) configured + rocksDb + RESERVE);
        return config.withValue(MAX_CONNECTIONS, ConfigValueFactory.fromAnyRef(fits));
    }
}
