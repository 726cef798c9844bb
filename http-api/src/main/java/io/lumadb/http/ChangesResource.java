package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.cdc.StreamItem;
import io.lumadb.cdc.groups.ConsumerGroups;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The change stream ({@code _changes}) over HTTP: Server-Sent Events for browsers and services,
 * and NDJSON pull pages with a next token for consumers that poll; and consumer groups, whose
 * committed positions resume a group's members. Every change carries its resume token (the SSE
 * {@code id}), so {@code Last-Event-ID} or {@code from} resumes exactly after it.
 */
final class ChangesResource implements Resource {

    static final String NEXT_TOKEN = "LumaDB-Next-Token";
    private static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");
    private static final int DEFAULT_PULL_LIMIT = 100;
    private static final String GROUP = "/api/v1/{db}/{collection}/_changes/groups/{group}";

    private final ApiContext api;

    ChangesResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission subscribe = Permission.of(Action.SUBSCRIBE, Scope.COLLECTION);
        return List.of(
                Route.get("/api/v1/{db}/{collection}/_changes", "changes", subscribe, this::changes),
                Route.get(GROUP, "getConsumerGroup", subscribe, this::group),
                Route.post(GROUP, "commitConsumerGroup", subscribe, this::commit));
    }

    // ---- change stream

    private CompletionStage<HttpResponse> changes(Call call) {
        String db = call.db();
        String collection = call.collection();
        HttpRequest request = call.request();
        ChangeStreams streams = api.changeStreams();
        boolean sse = Sse.wanted(request);
        String group = request.getUri().query().get("group").orElse(null);
        ConsumerGroups.Member member = member(request, group);
        // A group without an explicit position starts at its committed one.
        String from = StreamParams.resumeFrom(request).orElse(group == null ? "now" : null);
        JsonNode filter = StreamParams.json(request, "filter");
        Optional<Boolean> beforeParam = StreamParams.flag(request, "before");
        SubscriptionGuard guard = new SubscriptionGuard(api, call.principal(), db, collection);
        guard.refuseHidden(filter, null);
        if (sse) {
            return streams.changes(
                            db,
                            collection,
                            from,
                            filter,
                            streams.settings().heartbeat(),
                            false,
                            group,
                            member,
                            guard.access())
                    .thenApply(s -> {
                        boolean before = StreamParams.before(s.collection(), beforeParam);
                        Source<ByteString, NotUsed> frames = Source.single(Sse.frame(
                                        "subscribed",
                                        null,
                                        StreamPayloads.token(s.start().encode())))
                                .concat(guard.guard(s.items(), false)
                                        .mapConcat(item -> StreamParams.sseFrames(item, before, "change")));
                        return Sse.response(SubscriptionGuard.withClosingFrame(frames));
                    });
        }
        int limit = StreamParams.integer(
                request, "limit", DEFAULT_PULL_LIMIT, 1, streams.settings().maxPullLimit());
        long maxWait = streams.settings().maxPullWait().toMillis();
        Duration wait = Duration.ofMillis(
                StreamParams.integer(request, "wait", 0, 0, (int) Math.min(Integer.MAX_VALUE, maxWait)));
        // The page ends at the first heartbeat: the subscription is caught up and has delivered
        // something, or nothing came within `wait`.
        Duration quiet = wait.isZero() ? Duration.ofMillis(1) : wait;
        request.getHeader(TimeoutAccess.class).ifPresent(t -> t.timeoutAccess()
                .updateTimeout(scala.concurrent.duration.Duration.fromNanos(
                        wait.plusSeconds(20).toNanos())));
        long maxBytes = streams.settings().maxPullBytes();
        return streams.changes(db, collection, from, filter, quiet, true, group, member, guard.access())
                .thenCompose(s -> {
                    PullPage page = new PullPage(
                            s.start().encode(), StreamParams.before(s.collection(), beforeParam), limit, maxBytes);
                    return s.items()
                            .takeWhile(page::add)
                            .completionTimeout(wait.plusSeconds(30))
                            .runWith(Sink.ignore(), api.system())
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
                StreamParams.integer(request, "member", -1, 0, 1023),
                StreamParams.integer(request, "members", -1, 1, 1024));
    }

    // ---- consumer groups

    /** {@code GET .../_changes/groups/{group}}: the group's committed position (null before its first commit). */
    private CompletionStage<HttpResponse> group(Call call) {
        String db = call.db();
        String collection = call.collection();
        String group = call.parameter("group");
        ConsumerGroups.checkName(group);
        ChangeStreams streams = api.changeStreams();
        return streams.collection(db, collection)
                .thenCompose(info -> streams.groups().position(info, group))
                .thenApply(position ->
                        groupAnswer(group, position.map(ResumeToken::encode).orElse(null)));
    }

    /**
     * {@code POST .../_changes/groups/{group}} with {@code {"token": ..., "member": i, "members":
     * n}}: commits the token's positions of the member's shards (all shards without member).
     */
    private CompletionStage<HttpResponse> commit(Call call) {
        String db = call.db();
        String collection = call.collection();
        return api.bodies()
                .read(call.request(), 64 * 1024, Bodies.JSON)
                .thenCompose(body ->
                        commitPosition(db, collection, call.parameter("group"), JsonBodies.parse(body, "body")));
    }

    private CompletionStage<HttpResponse> commitPosition(String db, String collection, String group, JsonNode body) {
        ConsumerGroups.checkName(group);
        ChangeStreams streams = api.changeStreams();
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
        ObjectNode answer = JsonResponses.object();
        answer.put("group", group);
        answer.put("token", token);
        return JsonResponses.json(StatusCodes.OK, answer);
    }
}
