package io.lumadb.http;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Closes DNS rebinding and cross-site WebSocket hijacking. A page of {@code evil.example} whose
 * name an attacker re-points at a node's address talks to the node as if it were its own origin;
 * the only trace is the {@code Host} header, which names {@code evil.example}. So a request is
 * served only when its {@code Host} is an IP address (rebinding needs a name), {@code localhost}
 * or a name under {@code .localhost} (browsers resolve those to loopback themselves), the name
 * the API listens on, or a name in {@code lumadb.http.allowed-hosts} ({@code "*"}: any name).
 * A request without {@code Host} (HTTP/1.0, which no browser sends) is served.
 *
 * <p>A WebSocket upgrade is not subject to CORS in browsers, so {@link #allowsWebSocketOrigin}
 * applies the CORS origin policy to it: an upgrade carrying {@code Origin} is accepted from the
 * node's own origin (same scheme-less host and port as {@code Host}) or an allowed CORS origin;
 * clients that are not browsers send no {@code Origin} and are accepted.
 */
final class HostCheck {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern NAME = Pattern.compile("\\*|[a-z0-9]([a-z0-9.-]*[a-z0-9])?");

    private final Set<String> names;
    private final boolean anyName;

    /**
     * @param listenHost the interface name or address the API listens on
     * @param allowedHosts further host names (no port), or {@code "*"} for any
     */
    HostCheck(String listenHost, List<String> allowedHosts) {
        Set<String> all = new LinkedHashSet<>(checkNames(allowedHosts));
        all.add(listenHost.toLowerCase(Locale.ROOT));
        this.names = Set.copyOf(all);
        this.anyName = names.contains("*");
    }

    /** The names lowercased; a name that is not a host name fails, naming it. */
    static List<String> checkNames(List<String> configured) {
        Set<String> out = new LinkedHashSet<>();
        for (String name : configured) {
            String n = name.strip().toLowerCase(Locale.ROOT);
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("'" + name
                        + "' is not a host name: write it as clients send it in the Host header,"
                        + " without scheme or port (such as db.example.com), or \"*\" for any name");
            }
            out.add(n);
        }
        return List.copyOf(out);
    }

    /** Whether the request's {@code Host} may be served; see the class comment. */
    boolean allows(HttpRequest request) {
        Optional<String> host = request.getHeader("Host").map(HttpHeader::value);
        return host.isEmpty() || allowsHost(host.get());
    }

    /** Whether {@code hostHeader} (a {@code Host} value, with or without port) may be served. */
    boolean allowsHost(String hostHeader) {
        String host = hostName(hostHeader);
        if (anyName
                || host.isEmpty()
                || host.startsWith("[")
                || IPV4.matcher(host).matches()) {
            return true;
        }
        return host.equals("localhost") || host.endsWith(".localhost") || names.contains(host);
    }

    /**
     * Whether a WebSocket upgrade may proceed: no {@code Origin} (not a browser), the node's own
     * origin, or an origin {@code cors} allows.
     */
    static boolean allowsWebSocketOrigin(HttpRequest request, Cors cors) {
        Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
        if (origin.isEmpty()) {
            return true;
        }
        String o = origin.get().strip().toLowerCase(Locale.ROOT);
        if (cors.allows(o)) {
            return true;
        }
        Optional<String> host = request.getHeader("Host").map(HttpHeader::value);
        if (host.isEmpty()) {
            return false;
        }
        // Same origin: the page was served by this node under the name and port it now calls.
        String h = host.get().strip().toLowerCase(Locale.ROOT);
        boolean hostHasPort = !hostName(h).equals(h);
        for (String scheme : List.of("http", "https")) {
            String prefix = scheme + "://";
            if (o.startsWith(prefix)) {
                String authority = o.substring(prefix.length());
                String defaultPort = scheme.equals("http") ? ":80" : ":443";
                return (hostName(authority).equals(authority) ? authority + defaultPort : authority)
                        .equals(hostHasPort ? h : h + defaultPort);
            }
        }
        return false;
    }

    /** The host of a {@code Host} value, lowercased, without its port. */
    private static String hostName(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close < 0 ? h : h.substring(0, close + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
