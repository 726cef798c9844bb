package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.cdc.StreamItem;
import io.lumadb.cdc.groups.ConsumerGroups;
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
    private static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");
    private static final int DEFAULT_PULL_LIMIT = 100;

    private final ClassicActorSystemProvider system;
    private final ChangeStreams streams;

    ChangeRoutes(ClassicActorSystemProvider system, ChangeStreams streams) {
        this.system = system;
        this.streams = streams;
    }

    // ---- change stream

    CompletionStage<HttpResponse> changes(HttpRequest request, String db, String collection) {
        boolean sse = Sse.wanted(request);
        String group = request.getUri().query().get("group").orElse(null);
        ConsumerGroups.Member member = member(request, group);
        // A group without an explicit position starts at its committed one.
        String from = resumeFrom(request).orElse(group == null ? "now" : null);
        JsonNode filter = jsonParam(request, "filter");
        Optional<Boolean> beforeParam = optionalFlag(request, "before");
        if (sse) {
            return streams.changes(
                            db, collection, from, filter, streams.settings().heartbeat(), false, group, member)
                    .thenApply(s -> {
                        boolean before = before(s.collection(), beforeParam);
                        Source<ByteString, NotUsed> frames = Source.single(Sse.frame(
                                        "subscribed",
                                        null,
                                        StreamPayloads.token(s.start().encode())))
                                .concat(s.items().mapConcat(item -> sseFrames(item, before, "change")));
                        return Sse.response(frames);
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
        long maxBytes = streams.settings().maxPullBytes();
        return streams.changes(db, collection, from, filter, quiet, true, group, member)
                .thenCompose(s -> {
                    PullPage page =
                            new PullPage(s.start().encode(), before(s.collection(), beforeParam), limit, maxBytes);
                    return s.items()
                            .takeWhile(page::add)
                            .completionTimeout(wait.plusSeconds(30))
                            .runWith(Sink.ignore(), system)
                            .thenApply(done -> page.response());
                });
    }

    /**
     * One pull page as it fills: envelopes are rendered one at a time and the page stops taking
     * items at its first control item (a heartbeat: caught up, or nothing within the wait), at
     * {@code limit} changes, or before the change that would take it past {@code maxBytes}. That
     * change is not lost: the next token is the position before it, so the next page starts with
     * it. A change larger than {@code maxBytes} comes alone on its page, so a stream never sticks.
     * The page never holds more than {@code maxBytes} of envelopes, or that one change.
     */
    private static final class PullPage {
        private final boolean before;
        private final int limit;
        private final long maxBytes;
        private final List<ByteString> lines = new ArrayList<>();
        private long bytes;
        private String next;
        private ApiException failure;

        PullPage(String start, boolean before, int limit, long maxBytes) {
            this.next = start;
            this.before = before;
            this.limit = limit;
            this.maxBytes = maxBytes;
        }

        /** Takes one item; false once the page is complete (the item may or may not be on it). */
        boolean add(StreamItem item) {
            switch (item) {
                case StreamItem.Change c -> {
                    String token = item.position().encode();
                    byte[] envelope = c.event().envelope(before, token);
                    long size = envelope.length + 1L;
                    if (!lines.isEmpty() && bytes + size > maxBytes) {
                        return false; // not on this page: the next one starts with it
                    }
                    lines.add(ByteString.fromArrayUnsafe(envelope));
                    bytes += size;
                    next = token;
                    return lines.size() < limit && bytes < maxBytes;
                }
                case StreamItem.HistoryLost lost -> {
                    if (lines.isEmpty()) {
                        failure = StreamPayloads.historyLost(lost);
                    }
                    return false;
                }
                case StreamItem.Dropped dropped -> {
                    if (lines.isEmpty()) {
                        failure = StreamPayloads.droppedProblem(dropped);
                    }
                    return false;
                }
                case StreamItem.Heartbeat h -> {
                    next = h.position().encode(); // past changes the filter left out
                    return false;
                }
                case StreamItem.Overflow o -> {
                    next = o.position().encode();
                    return false;
                }
                case StreamItem.Row r -> {
                    return false; // only live queries make rows
                }
            }
        }

        HttpResponse response() {
            if (failure != null) {
                throw failure;
            }
            ByteString newline = ByteString.fromString("\n");
            var body = ByteString.createBuilder();
            body.sizeHint((int) Math.min(Integer.MAX_VALUE, bytes));
            for (ByteString line : lines) {
                body.append(line).append(newline);
            }
            return HttpResponse.create()
                    .withStatus(StatusCodes.OK)
                    .addHeader(RawHeader.create(NEXT_TOKEN, next))
                    .withEntity(HttpEntities.create(NDJSON, body.result()));
        }
    }

    /** Member {@code member} of {@code members} of a group (both parameters, or neither: the whole group). */
    private static ConsumerGroups.Member member(HttpRequest request, String group) {
        var q = request.getUri().query();
        if (q.get("member").isEmpty() && q.get("members").isEmpty()) {
            return ConsumerGroups.Member.ALL;
        }
        if (group == null) {
            throw ApiException.badRequest(
                    "invalid-stream-request", "Invalid stream request", "member and members need a group", "group");
        }
        return new ConsumerGroups.Member(
                intParam(request, "member", -1, 0, 1023), intParam(request, "members", -1, 1, 1024));
    }

    // ---- consumer groups

    /** {@code GET .../_changes/groups/{group}}: the group's committed position (null before its first commit). */
    CompletionStage<HttpResponse> group(String db, String collection, String group) {
        ConsumerGroups.checkName(group);
        return streams.collection(db, collection)
                .thenCompose(info -> streams.groups().position(info, group))
                .thenApply(position ->
                        groupAnswer(group, position.map(ResumeToken::encode).orElse(null)));
    }

    /**
     * {@code POST .../_changes/groups/{group}} with {@code {"token": ..., "member": i, "members":
     * n}}: commits the token's positions of the member's shards (all shards without member).
     */
    CompletionStage<HttpResponse> commit(String db, String collection, String group, JsonNode body) {
        ConsumerGroups.checkName(group);
        ObjectNode commit = JsonBodies.requireObject(body, "");
        JsonNode token = commit.get("token");
        if (token == null || !token.isTextual()) {
            throw ApiException.badRequest(
                    "invalid-stream-request",
                    "Invalid stream request",
                    "token must be a resume token (a string)",
                    "/token");
        }
        for (var field : commit.properties()) {
            if (!List.of("token", "member", "members").contains(field.getKey())) {
                throw ApiException.badRequest(
                        "invalid-stream-request",
                        "Invalid stream request",
                        "unknown field '" + field.getKey() + "'; a commit has token, member and members",
                        "/" + field.getKey());
            }
        }
        ConsumerGroups.Member member = commit.has("member") || commit.has("members")
                ? new ConsumerGroups.Member(
                        commit.path("member").asInt(-1), commit.path("members").asInt(-1))
                : ConsumerGroups.Member.ALL;
        return streams.token(db, collection, token.asText(), "/token")
                .thenCompose(t -> streams.groups().commit(t.getKey(), group, t.getValue(), member))
                .thenApply(position -> groupAnswer(group, position.encode()));
    }

    private static HttpResponse groupAnswer(String group, String token) {
        ObjectNode answer = DocumentJson.mapper().createObjectNode();
        answer.put("group", group);
        answer.put("token", token);
        return HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .withEntity(ContentTypes.APPLICATION_JSON, DocumentJson.bytes(answer));
    }

    // ---- live queries

    CompletionStage<HttpResponse> live(HttpRequest request, String db, String collection) {
        Sse.require(request, "a live query");
        String resume = resumeFrom(request).orElse(null);
        JsonNode filter = jsonParam(request, "filter");
        JsonNode sort = jsonParam(request, "sort");
        Integer limit = request.getUri().query().get("limit").isPresent()
                ? intParam(request, "limit", 0, 1, streams.settings().maxLiveQueryResult())
                : null;
        return streams.liveQuery(db, collection, filter, sort, limit, resume).thenApply(q -> {
            List<ByteString> head = new ArrayList<>();
            String token = q.start().encode();
            ObjectNode subscribed = StreamPayloads.token(token);
            subscribed.put("resumed", q.resumed());
            head.add(Sse.frame("subscribed", null, subscribed));
            for (byte[] doc : q.initial()) {
                head.add(Sse.frame("result", null, doc));
            }
            ObjectNode ready = StreamPayloads.token(token);
            ready.put("count", q.initial().size());
            head.add(Sse.frame("ready", token, ready));
            Source<ByteString, NotUsed> frames =
                    Source.from(head).concat(q.items().mapConcat(item -> sseFrames(item, false, null)));
            return Sse.response(frames);
        });
    }

    /**
     * The SSE frames of one item. {@code changeEvent} names the SSE event of a change-stream
     * change; null means a live-query change, sent as {@code added}/{@code changed}/{@code removed}.
     */
    private static List<ByteString> sseFrames(StreamItem item, boolean before, String changeEvent) {
        String token = item.position().encode();
        return switch (item) {
            case StreamItem.Change c ->
                List.of(
                        changeEvent != null
                                ? Sse.frame(changeEvent, token, c.event().envelope(before, token))
                                : Sse.frame(c.kind(), token, StreamPayloads.liveChange(c, token)));
            case StreamItem.Row r -> List.of(Sse.frame(r.kind(), token, StreamPayloads.row(r, token)));
            case StreamItem.Heartbeat h -> List.of(Sse.frame("heartbeat", token, StreamPayloads.token(token)));
            case StreamItem.Overflow o ->
                List.of(Sse.frame("overflow", null, StreamPayloads.overflow(token, "lumadb.cdc.buffer-size")));
            case StreamItem.HistoryLost lost ->
                List.of(Sse.frame("error", null, StreamPayloads.error(StreamPayloads.historyLost(lost), token)));
            case StreamItem.Dropped dropped -> List.of(Sse.frame("dropped", null, StreamPayloads.dropped(dropped)));
        };
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

    /**
     * Whether envelopes carry {@code before}: the collection's {@code preImages}, which {@code
     * before=false} turns off for one subscriber; {@code before=true} needs pre-images on.
     */
    static boolean before(io.lumadb.shards.catalog.CollectionInfo info, Optional<Boolean> asked) {
        if (asked.orElse(false) && !info.preImages()) {
            throw ApiException.badRequest(
                    "invalid-stream-request",
                    "Invalid stream request",
                    "collection " + info.database() + "/" + info.name()
                            + " was created without pre-images; create it with {\"preImages\": true} to see before",
                    "before");
        }
        return asked.orElse(info.preImages());
    }

    private static Optional<Boolean> optionalFlag(HttpRequest request, String name) {
        Optional<String> raw = request.getUri().query().get(name);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        return switch (raw.get()) {
            case "true", "" -> Optional.of(true);
            case "false" -> Optional.of(false);
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
