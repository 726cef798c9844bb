package io.lumadb.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the HTTP API, from {@code lumadb.http} and {@code lumadb.limits}.
 *
 * @param maxDocumentBytes largest body of a single-document PUT or PATCH
 * @param maxRequestBytes largest body of any other request (a bulk write)
 * @param maxBulkItems most items one bulk request may carry
 * @param defaultListLimit page size of a listing without {@code limit}
 * @param bodyTimeout how long the server waits for a request body to arrive
 */
public record HttpSettings(
        String host,
        int port,
        long maxDocumentBytes,
        long maxRequestBytes,
        int maxBulkItems,
        int defaultListLimit,
        Duration bodyTimeout) {

    public static HttpSettings from(Config root) {
        Config http = root.getConfig("lumadb.http");
        return new HttpSettings(
                http.getString("host"),
                http.getInt("port"),
                root.getBytes("lumadb.limits.max-document-bytes"),
                root.getBytes("lumadb.limits.max-request-bytes"),
                root.getInt("lumadb.limits.max-bulk-items"),
                http.getInt("default-list-limit"),
                http.getDuration("body-timeout"));
    }
}
