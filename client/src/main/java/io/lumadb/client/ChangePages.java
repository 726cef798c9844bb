package io.lumadb.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.event.LoggingAdapter;

/**
 * One materialization of a change stream: reads the pull endpoint page by page, each page from
 * the position the previous one ended at, and retries a failed request from that same position.
 * A page is either received whole or not at all (the server sends it as one response), so a retry
 * never repeats or skips a change. Used through {@code Source.unfoldResourceAsync}: {@link
 * #next} is called on demand, one call at a time, and {@link #close} aborts what is in flight.
 */
final class ChangePages {

    /** The response header carrying the position after the page. */
    static final String NEXT_TOKEN = "LumaDB-Next-Token";

    /** Requests may take this much longer than their long-poll wait before they time out. */
    private static final Duration REQUEST_MARGIN = Duration.ofSeconds(15);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectReader TREES = JSON.readerFor(JsonNode.class);

    private final HttpClient http;
    private final URI endpoint;
    private final ChangeStreamSettings settings;
    private final ActorSystem system;
    private final LoggingAdapter log;
    private final String stream;

    /** The {@code from} value of the next page: where everything before it was delivered. */
    private volatile String position;

    /** The {@code Authorization} header's value, or null. */
    private final String authorization;

    private volatile boolean closed;
    private volatile CompletableFuture<?> inFlight;
    private volatile Cancellable retry;
    private int failures;

    ChangePages(
            HttpClient http,
            URI endpoint,
            String authorization,
            String stream,
            StartPosition start,
            ChangeStreamSettings settings,
            ActorSystem system,
            LoggingAdapter log) {
        this.http = http;
        this.endpoint = endpoint;
        this.authorization = authorization;
        this.stream = stream;
        this.position = start.queryValue();
        this.settings = settings;
        this.system = system;
        this.log = log;
    }

    /** The next page's changes (possibly none); empty once closed. */
    CompletionStage<Optional<List<ChangeEnvelope>>> next() {
        CompletableFuture<Optional<List<ChangeEnvelope>>> page = new CompletableFuture<>();
        attempt(page);
        return page;
    }

    CompletionStage<Done> close() {
        closed = true;
        CompletableFuture<?> request = inFlight;
        if (request != null) {
            // Aborts a long poll at once instead of holding a server subscription for its wait.
            request.cancel(true);
        }
        Cancellable scheduled = retry;
        if (scheduled != null) {
            scheduled.cancel();
        }
        return CompletableFuture.completedFuture(Done.getInstance());
    }

    private void attempt(CompletableFuture<Optional<List<ChangeEnvelope>>> page) {
        if (closed) {
            page.complete(Optional.empty());
            return;
        }
        String from = position;
        HttpRequest request = request(from);
        CompletableFuture<HttpResponse<byte[]>> response =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        inFlight = response;
        response.whenComplete((answer, failure) -> {
            if (closed) {
                page.complete(Optional.empty());
                return;
            }
            try {
                Throwable cause = unwrap(failure);
                if (cause == null && answer.statusCode() == 200) {
                    Page received = parse(answer);
                    position = received.next();
                    failures = 0;
                    page.complete(Optional.of(received.changes()));
                } else if (cause != null ? cause instanceof IOException : transientStatus(answer.statusCode())) {
                    retryLater(page, from, cause != null ? cause : statusFailure(answer));
                } else if (cause != null) {
                    page.completeExceptionally(cause);
                } else {
                    page.completeExceptionally(problem(answer, from));
                }
            } catch (RuntimeException e) {
                page.completeExceptionally(e);
            }
        });
    }

    private void retryLater(CompletableFuture<Optional<List<ChangeEnvelope>>> page, String from, Throwable cause) {
        failures++;
        if (settings.maxRetries() >= 0 && failures > settings.maxRetries()) {
            page.completeExceptionally(new LumaDbUnavailableException(failures, describe(from), cause));
            return;
        }
        Duration delay = backoff(failures, settings);
        log.warning(
                "{}: request {} failed ({}); retrying from the same position in {} ms",
                stream,
                failures,
                cause,
                delay.toMillis());
        retry = system.scheduler().scheduleOnce(delay, () -> attempt(page), system.dispatcher());
        if (closed) {
            retry.cancel();
            page.complete(Optional.empty());
        }
    }

    /** The delay before retry number {@code failures} (1 for the first). */
    static Duration backoff(int failures, ChangeStreamSettings settings) {
        long min = settings.minBackoff().toMillis();
        long max = settings.maxBackoff().toMillis();
        int doublings = Math.min(failures - 1, 30);
        long base = Math.min(max, min << doublings);
        if (base < 0) {
            base = max;
        }
        double jitter = 1 + ThreadLocalRandom.current().nextDouble() * settings.randomFactor();
        return Duration.ofMillis(Math.max(1, (long) (base * jitter)));
    }

    /** 5xx, request timeout and too many requests: the server may answer the same request later. */
    static boolean transientStatus(int status) {
        return status >= 500 || status == 408 || status == 429;
    }

    private HttpRequest request(String from) {
        StringBuilder query = new StringBuilder("?from=")
                .append(encode(from))
                .append("&limit=")
                .append(settings.pageSize())
                .append("&wait=")
                .append(settings.longPollWait().toMillis());
        if (settings.includeBefore()) {
            query.append("&before=true");
        }
        settings.filter().ifPresent(f -> query.append("&filter=").append(encode(f)));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + query.toString()))
                .header("Accept", "application/x-ndjson")
                .timeout(settings.longPollWait().plus(REQUEST_MARGIN))
                .GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request.build();
    }

    private record Page(List<ChangeEnvelope> changes, String next) {}

    private Page parse(HttpResponse<byte[]> answer) {
        String next = answer.headers().firstValue(NEXT_TOKEN).orElse(null);
        if (next == null || next.isBlank()) {
            throw LumaDbException.protocol(stream + ": a change page without the " + NEXT_TOKEN + " header");
        }
        List<ChangeEnvelope> changes = new ArrayList<>();
        byte[] body = answer.body();
        if (body.length > 0) {
            try (MappingIterator<JsonNode> lines = TREES.readValues(body)) {
                while (lines.hasNextValue()) {
                    changes.add(ChangeEnvelope.parse(lines.nextValue()));
                }
            } catch (IOException e) {
                throw LumaDbException.protocol(stream + ": a change page is not NDJSON: " + e.getMessage());
            }
        }
        return new Page(List.copyOf(changes), next);
    }

    private LumaDbException problem(HttpResponse<byte[]> answer, String from) {
        String body = new String(answer.body(), StandardCharsets.UTF_8);
        JsonNode problem = null;
        if (answer.headers()
                .firstValue("Content-Type")
                .map(t -> t.startsWith("application/problem+json") || t.startsWith("application/json"))
                .orElse(false)) {
            try {
                problem = JSON.readTree(body);
            } catch (IOException notJson) {
                // reported with the raw body
            }
        }
        return LumaDbException.of(answer.statusCode(), problem, body, describe(from), from);
    }

    private static IOException statusFailure(HttpResponse<byte[]> answer) {
        String body = new String(answer.body(), StandardCharsets.UTF_8);
        return new IOException("HTTP " + answer.statusCode() + (body.isEmpty() ? "" : ": " + abbreviate(body)));
    }

    private String describe(String from) {
        return "GET " + endpoint + "?from=" + from;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable e = failure;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
