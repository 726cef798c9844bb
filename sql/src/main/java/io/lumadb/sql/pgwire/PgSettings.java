package io.lumadb.sql.pgwire;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/** {@code lumadb.sql.postgres}: see {@code reference.conf}. */
public record PgSettings(
        Mode mode, String host, int port, int maxConnections, int maxMessageBytes, Duration authenticationTimeout) {

    /** Whether the node listens for the PostgreSQL protocol. */
    public enum Mode {
        /** If the port is free. */
        AUTO,
        /** Or the node does not start. */
        ON,
        OFF
    }

    public PgSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("lumadb.sql.postgres.port must be 0 to 65535, got " + port);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("lumadb.sql.postgres.max-connections must be positive");
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("lumadb.sql.postgres.max-message-bytes must be at least 1 KiB");
        }
    }

    /** @param httpHost the HTTP API's address, used when {@code host} is empty */
    public static PgSettings from(Config root, String httpHost) {
        Config c = root.getConfig("lumadb.sql.postgres");
        String mode = c.getString("enabled").toLowerCase(Locale.ROOT);
        Mode m =
                switch (mode) {
                    case "auto" -> Mode.AUTO;
                    case "on", "true", "yes" -> Mode.ON;
                    case "off", "false", "no" -> Mode.OFF;
                    default ->
                        throw new IllegalArgumentException(
                                "lumadb.sql.postgres.enabled must be auto, on or off, got '" + mode + "'");
                };
        String host = c.getString("host");
        return new PgSettings(
                m,
                host.isBlank() ? httpHost : host,
                c.getInt("port"),
                c.getInt("max-connections"),
                (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-message-bytes")),
                c.getDuration("authentication-timeout"));
    }
}
