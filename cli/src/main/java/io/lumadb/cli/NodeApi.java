package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.client.LumaDbClient;
import io.lumadb.client.TrustedCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLException;

/**
 * The node's HTTP API as the command line uses it: JSON in, JSON out, and every failure turned
 * into a {@link CliException} whose message a person can act on (the server's problem title,
 * detail and field; or why the server could not be reached) and whose exit code says what kind
 * of failure it was.
 */
final class NodeApi implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final ConnectionOptions.Resolved connection;
    private final URI base;
    private final HttpClient http;
    private final String authorization;

    NodeApi(ConnectionOptions.Resolved connection) {
        this.connection = connection;
        String url = connection.url().endsWith("/")
                ? connection.url().substring(0, connection.url().length() - 1)
                : connection.url();
        try {
            this.base = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--url " + url + " is not a URL: " + e.getMessage());
        }
        if (base.getScheme() == null
                || !(base.getScheme().equals("http") || base.getScheme().equals("https"))
                || base.getHost() == null) {
            throw new CliException(ExitCodes.USAGE, "--url " + url + " must be http://host:port or https://host:port");
        }
        HttpClient.Builder builder =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (connection.caCert() != null) {
            try {
                builder.sslContext(TrustedCertificates.sslContext(connection.caCert()));
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage());
            }
        }
        this.http = builder.build();
        if (connection.apiKey() != null) {
            this.authorization = "Bearer " + connection.apiKey().strip();
        } else if (connection.user() != null) {
            this.authorization = "Basic "
                    + Base64.getEncoder()
                            .encodeToString(
                                    (connection.user() + ":" + connection.password()).getBytes(StandardCharsets.UTF_8));
        } else {
            this.authorization = null;
        }
    }

    URI base() {
        return base;
    }

    /** A Java client on the same connection settings (for the change stream). */
    LumaDbClient client() {
        LumaDbClient.Builder builder = LumaDbClient.builder(base);
        if (connection.apiKey() != null) {
            builder.apiKey(connection.apiKey());
        } else if (connection.user() != null) {
            builder.credentials(connection.user(), connection.password());
        }
        if (connection.caCert() != null) {
            builder.caCertificate(connection.caCert());
        }
        return builder.build();
    }

    /** {@code /api/v1/} followed by the path segments, each percent-encoded. */
    static String path(String... segments) {
        StringBuilder b = new StringBuilder("/api/v1");
        for (String s : segments) {
            b.append('/').append(encode(s));
        }
        return b.toString();
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return json(send("GET", path, null, null));
    }

    JsonNode delete(String path) {
        return json(send("DELETE", path, null, null));
    }

    JsonNode put(String path, JsonNode body) {
        return json(send("PUT", path, bytes(body), "application/json"));
    }

    JsonNode post(String path, JsonNode body) {
        return json(send("POST", path, bytes(body), "application/json"));
    }

    /** Sends a request and answers the response if it is a success; otherwise throws its problem. */
    HttpResponse<byte[]> send(String method, String path, byte[] body, String contentType, String... headers) {
        HttpResponse<byte[]> response =
                exchange(request(method, path, body, contentType, headers), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() >= 300) {
            throw problem(method, path, response.statusCode(), response.headers(), response.body());
        }
        return response;
    }

    /** Like {@link #send} but the body is read as it arrives (large downloads, NDJSON pages). */
    HttpResponse<InputStream> stream(String method, String path, byte[] body, String contentType, String... headers) {
        HttpResponse<InputStream> response =
                exchange(request(method, path, body, contentType, headers), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 300) {
            byte[] bytes;
            try (InputStream in = response.body()) {
                bytes = in.readNBytes(1 << 20);
            } catch (IOException e) {
                bytes = new byte[0];
            }
            throw problem(method, path, response.statusCode(), response.headers(), bytes);
        }
        return response;
    }

    /** The plain status of a path (health checks): no exception for a non-2xx answer. */
    int status(String path) {
        return exchange(request("GET", path, null, null), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private HttpRequest request(String method, String path, byte[] body, String contentType, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5));
        b.method(
                method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("the connection timed out", e);
        } catch (HttpTimeoutException e) {
            throw new CliException(ExitCodes.FAILED, "LumaDB at " + base + " did not answer in time", e);
        } catch (ConnectException e) {
            throw unreachable(
                    e.getCause() instanceof UnresolvedAddressException ? "unknown host" : "connection refused", e);
        } catch (SSLException e) {
            throw unreachable("TLS failed: " + e.getMessage() + " (--ca-cert names the CA to trust)", e);
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILED, "interrupted", e);
        }
    }

    private CliException unreachable(String why, Exception cause) {
        return new CliException(
                ExitCodes.UNREACHABLE,
                "cannot reach LumaDB at " + base + ": " + why + " (is the server running? set --url or LUMADB_URL)",
                cause);
    }

    /** The problem a failed response carries, as an exception with the exit code of its status. */
    CliException problem(String method, String path, int status, HttpHeaders headers, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        StringBuilder message = new StringBuilder();
        JsonNode p = null;
        try {
            p = JSON.readTree(text);
        } catch (IOException ignored) {
            // not JSON: shown as text below
        }
        if (p != null && p.isObject()) {
            message.append(p.path("title").asText("HTTP " + status));
            if (p.hasNonNull("detail")) {
                message.append(": ").append(p.get("detail").asText());
            }
            if (p.hasNonNull("field") && !p.get("field").asText().isEmpty()) {
                message.append(" (at ").append(p.get("field").asText()).append(")");
            }
            if (p.hasNonNull("sqlState")) {
                message.append(" [SQLSTATE ").append(p.get("sqlState").asText()).append("]");
            }
        } else {
            message.append("HTTP ").append(status).append(text.isBlank() ? "" : ": " + text.strip());
        }
        int code =
                switch (status) {
                    case 401 -> ExitCodes.DENIED;
                    case 403 -> ExitCodes.DENIED;
                    case 404 -> ExitCodes.NOT_FOUND;
                    default -> ExitCodes.FAILED;
                };
        if (status == 401) {
            message.append(" (the server refused the credentials: --user/--password, --api-key, LUMADB_USER,"
                    + " LUMADB_API_KEY or the profile file)");
        }
        return new ProblemException(code, status, p, message.toString());
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        byte[] body = response.body();
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new CliException(
                    ExitCodes.FAILED, "the server answered something that is not JSON: " + e.getMessage());
        }
    }

    static byte[] bytes(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    @Override
    public void close() {
        http.close();
    }

    /** A failure the server answered with, keeping its status and problem document. */
    static final class ProblemException extends CliException {
        private final int status;
        private final transient JsonNode problem;

        ProblemException(int exitCode, int status, JsonNode problem, String message) {
            super(exitCode, message);
            this.status = status;
            this.problem = problem;
        }

        int status() {
            return status;
        }

        JsonNode problem() {
            return problem;
        }
    }
}
