package io.lumadb.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the HTTP API, from {@code lumadb.http} and {@code lumadb.limits}.
 *
 * @param maxDocumentBytes largest body of a single-document PUT or PATCH
 * @param maxRequestBytes largest body of any other request (a bulk write)
 * @param maxBulkItems most items one bulk request may carry
 * @param defaultListLimit page size of a listing without {@code limit}
 * @param bodyTimeout how long the server waits for a request body to arrive
 * @param corsAllowedOrigins origins whose pages may use the API from a browser ({@code "*"}: any);
 *     empty turns CORS off
 * @param corsMaxAge how long a browser may cache the answer to a CORS preflight
 * @param allowedHosts host names, besides IP addresses, {@code localhost} and {@code host}, that
 *     requests may name in {@code Host} ({@code "*"}: any); see {@link HostCheck}
 * @param rateLimits request budgets and stream counts, from {@code lumadb.http.rate-limits}
 */
public record HttpSettings(
        String host,
        int port,
        long maxDocumentBytes,
        long maxRequestBytes,
        int maxBulkItems,
        int defaultListLimit,
        Duration bodyTimeout,
        List<String> corsAllowedOrigins,
        Duration corsMaxAge,
        List<String> allowedHosts,
        RateLimitSettings rateLimits) {

    public HttpSettings {
        corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
        allowedHosts = List.copyOf(allowedHosts);
    }

    public static HttpSettings from(Config root) {
        Config http = root.getConfig("lumadb.http");
        List<String> origins;
        try {
            origins = Cors.checkOrigins(http.getStringList("cors.allowed-origins"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(
                    http.getValue("cors.allowed-origins").origin(), "lumadb.http.cors.allowed-origins", e.getMessage());
        }
        Duration maxAge = http.getDuration("cors.max-age");
        if (maxAge.isNegative()) {
            throw new ConfigException.BadValue(
                    http.getValue("cors.max-age").origin(), "lumadb.http.cors.max-age", "must not be negative");
        }
        List<String> hosts;
        try {
            hosts = HostCheck.checkNames(http.getStringList("allowed-hosts"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(
                    http.getValue("allowed-hosts").origin(), "lumadb.http.allowed-hosts", e.getMessage());
        }
        return new HttpSettings(
                http.getString("host"),
                http.getInt("port"),
                root.getBytes("lumadb.limits.max-document-bytes"),
                root.getBytes("lumadb.limits.max-request-bytes"),
                root.getInt("lumadb.limits.max-bulk-items"),
                http.getInt("default-list-limit"),
                http.getDuration("body-timeout"),
                origins,
                maxAge,
                hosts,
                RateLimitSettings.from(http));
    }
}
