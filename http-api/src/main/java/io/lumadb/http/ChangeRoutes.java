package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.StreamItem;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The change stream ({@code _changes}) and live queries ({@code _live}) over HTTP: Server-Sent
 * Events for browsers and services, and NDJSON pull pages with a next token for consumers that
 * poll. Every change carries its resume token (the SSE {@code id}), so {@code Last-Event-ID}
 * or {@code from} resumes exactly after it.
 */
final class ChangeRoutes {

    static final String NEXT_TOKEN = "LumaDB-Next-Token";
    private static final ContentType EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM.toContentType();
    private static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");
    private static final int DEFAULT_PULL_LIMIT = 100;

    private final ClassicActorSystemProvider system;
    private final ChangeStreams streams;

    ChangeRoutes(ClassicActorSystemProvider system, ChangeStreams streams) {
        this.system = system;
        this.streams = streams;
    }

    static boolean wantsEventStream(HttpRequest request) {
        return request.getHeader("Accept")
                .map(h -> h.value().contains("text/event-stream"))
                .orElse(false);
    }

    // ---- change stream

    CompletionStage<HttpResponse> changes(HttpRequest request, String db, String collection) {
        boolean sse = wantsEventStream(request);
        String from = resumeFrom(request).orElse("now");
        JsonNode filter = jsonParam(request, "filter");
        boolean before = flag(request, "before");
        if (sse) {
            return streams.changes(
                            db, collection, from, filter, streams.settings().heartbeat())
                    .thenApply(s -> {
                        Source<ByteString, NotUsed> frames = Source.single(frame(
                                        "subscribed",
                                        null,
                                        control("token", s.start().encode())))
                                .concat(s.items().mapConcat(item -> sseFrames(item, before, "change")));
                        return eventStream(frames);
                    });
        }
        int limit = intParam(
                request, "limit", DEFAULT_PULL_LIMIT, 1, streams.settings().maxPullLimit());
        Duration wait = waitParam(request);
        // The page ends at the first heartbeat: the subscription is caught up and has delivered
        // something, or nothing came within `wait`.
        Duration quiet = wait.isZero() ? Duration.ofMillis(1) : wait;
        request.getHeader(org.apache.pekko.http.javadsl.model.headers.TimeoutAccess.class)
                .ifPresent(t -> t.timeoutAccess()
                        .updateTimeout(scala.concurrent.duration.Duration.fromNanos(
                                wait.plusSeconds(20).toNanos())));
        return streams.pull(db, collection, from, filter, quiet).thenCompose(s -> s.items()
                .takeWhile(item -> item instanceof StreamItem.Change, true)
                .take(limit)
                .completionTimeout(wait.plusSeconds(30))
                .runWith(Sink.seq(), system)
                .thenApply(items -> pullPage(s.start().encode(), items, before)));
    }

    private HttpResponse pullPage(String start, List<StreamItem> items, boolean before) {
        ByteString body = ByteString.emptyByteString();
        String next = start;
        for (StreamItem item : items) {
            next = item.position().encode();
            switch (item) {
                case StreamItem.Change c ->
                    body = body.concat(ByteString.fromArray(c.event().envelope(before, next)))
                            .concat(ByteString.fromString("\n"));
                case StreamItem.HistoryLost lost -> {
                    if (body.isEmpty()) {
                        throw historyLost(lost);
                    }
                }
                default -> {}
            }
        }
        return HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .addHeader(RawHeader.create(NEXT_TOKEN, next))
                .withEntity(HttpEntities.create(NDJSON, body));
    }

    private static ApiException historyLost(StreamItem.HistoryLost lost) {
        return new ApiException(
                410,
                "history-lost",
                "History lost",
                "shard " + lost.shard() + ": " + lost.detail()
                        + "; journal retention dropped changes this position needs. Start again from a snapshot"
                        + " (from=now after reading the collection) or from=beginning",
                "from");
    }

    // ---- live queries

    CompletionStage<HttpResponse> live(HttpRequest request, String db, String collection) {
        if (!wantsEventStream(request)) {
            throw new ApiException(
                    406,
                    "not-acceptable",
                    "Not acceptable",
                    "a live query is a stream: ask with Accept: text/event-stream",
                    "Accept");
        }
        String resume = resumeFrom(request).orElse(null);
        JsonNode filter = jsonParam(request, "filter");
        JsonNode sort = jsonParam(request, "sort");
        return streams.liveQuery(db, collection, filter, sort, resume).thenApply(q -> {
            List<ByteString> head = new ArrayList<>();
            String token = q.start().encode();
            ObjectNode subscribed = control("token", token);
            subscribed.put("resumed", q.resumed());
            head.add(frame("subscribed", null, subscribed));
            for (byte[] doc : q.initial()) {
                head.add(frame("result", null, doc));
            }
            ObjectNode ready = control("token", token);
            ready.put("count", q.initial().size());
            head.add(frame("ready", token, ready));
            Source<ByteString, NotUsed> frames =
                    Source.from(head).concat(q.items().mapConcat(item -> sseFrames(item, false, null)));
            return eventStream(frames);
        });
    }

    // ---- SSE framing

    private HttpResponse eventStream(Source<ByteString, NotUsed> frames) {
        return HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .addHeader(RawHeader.create("Cache-Control", "no-cache"))
                .addHeader(RawHeader.create("X-Accel-Buffering", "no"))
                .withEntity(HttpEntities.createChunked(EVENT_STREAM, frames));
    }

    /**
     * The frames of one item. {@code changeEvent} names the SSE event of a change-stream change;
     * null means a live-query change, sent as {@code added}/{@code changed}/{@code removed}.
     */
    private static List<ByteString> sseFrames(StreamItem item, boolean before, String changeEvent) {
        String token = item.position().encode();
        return switch (item) {
            case StreamItem.Change c -> {
                if (changeEvent != null) {
                    yield List.of(frame(changeEvent, token, c.event().envelope(before, token)));
                }
                ObjectNode data = DocumentJson.mapper().createObjectNode();
                data.put("id", c.event().id());
                data.put("version", c.event().version());
                if (c.kind().equals("removed")) {
                    data.putNull("document");
                } else {
                    data.set("document", c.event().after());
                }
                data.put("token", token);
                yield List.of(frame(c.kind(), token, data));
            }
            case StreamItem.Heartbeat h -> List.of(frame("heartbeat", token, control("token", token)));
            case StreamItem.Overflow o -> {
                ObjectNode data = control("token", token);
                data.put(
                        "message",
                        "this subscriber fell too far behind (lumadb.cdc.buffer-size); resume from the token");
                yield List.of(frame("overflow", null, data));
            }
            case StreamItem.HistoryLost lost -> {
                ApiException e = historyLost(lost);
                ObjectNode data = control("token", token);
                data.put("type", e.type);
                data.put("status", 410);
                data.put("detail", e.getMessage());
                yield List.of(frame("error", null, data));
            }
        };
    }

    private static ObjectNode control(String field, String value) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put(field, value);
        return node;
    }

    private static ByteString frame(String event, String id, JsonNode data) {
        return frame(event, id, DocumentJson.bytes(data));
    }

    /** One SSE frame; {@code data} is one line of JSON (JSON text has no raw newlines). */
    private static ByteString frame(String event, String id, byte[] data) {
        StringBuilder head = new StringBuilder(64);
        if (id != null) {
            head.append("id: ").append(id).append('\n');
        }
        head.append("event: ").append(event).append("\ndata: ");
        return ByteString.fromString(head.toString())
                .concat(ByteString.fromArray(data))
                .concat(ByteString.fromString("\n\n"));
    }

    // ---- parameters

    /** Where to resume: {@code Last-Event-ID} (an SSE reconnect) before the {@code from} parameter. */
    private static Optional<String> resumeFrom(HttpRequest request) {
        return request.getHeader("Last-Event-ID")
                .map(h -> h.value())
                .filter(v -> !v.isBlank())
                .or(() -> request.getUri().query().get("from"));
    }

    private static JsonNode jsonParam(HttpRequest request, String name) {
        Optional<String> raw = request.getUri().query().get(name);
        if (raw.isEmpty() || raw.get().isBlank()) {
            return null;
        }
        try {
            return DocumentJson.mapper().readTree(raw.get().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ApiException.badRequest(
                    "invalid-stream-request", "Invalid stream request", name + " is not JSON: " + e.getMessage(), name);
        }
    }

    private static boolean flag(HttpRequest request, String name) {
        Optional<String> raw = request.getUri().query().get(name);
        if (raw.isEmpty()) {
            return false;
        }
        return switch (raw.get()) {
            case "true", "" -> true;
            case "false" -> false;
            default ->
                throw ApiException.badRequest(
                        "invalid-stream-request", "Invalid stream request", name + " must be true or false", name);
        };
    }

    private static int intParam(HttpRequest request, String name, int dflt, int min, int max) {
        Optional<String> raw = request.getUri().query().get(name);
        if (raw.isEmpty()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(raw.get());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest(
                "invalid-stream-request",
                "Invalid stream request",
                name + " must be an integer from " + min + " to " + max,
                name);
    }

    private Duration waitParam(HttpRequest request) {
        long max = streams.settings().maxPullWait().toMillis();
        int ms = intParam(request, "wait", 0, 0, (int) Math.min(Integer.MAX_VALUE, max));
        return Duration.ofMillis(ms);
    }
}
