package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.cdc.StreamItem;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.util.ByteString;

/**
 * The query parameters of the streaming routes ({@code _changes}, {@code _live}) and the SSE
 * frames of their items. A bad parameter is a 400 {@code invalid-stream-request} naming it.
 */
final class StreamParams {

    private StreamParams() {}

    /** Where to resume: {@code Last-Event-ID} (an SSE reconnect) before the {@code from} parameter. */
    static Optional<String> resumeFrom(HttpRequest request) {
        return request.getHeader("Last-Event-ID")
                .map(h -> h.value())
                .filter(v -> !v.isBlank())
                .or(() -> request.getUri().query().get("from"));
    }

    static JsonNode json(HttpRequest request, String name) {
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
    static boolean before(CollectionInfo info, Optional<Boolean> asked) {
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

    static Optional<Boolean> flag(HttpRequest request, String name) {
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

    static int integer(HttpRequest request, String name, int dflt, int min, int max) {
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

    /**
     * The SSE frames of one item. {@code changeEvent} names the SSE event of a change-stream
     * change; null means a live-query change, sent as {@code added}/{@code changed}/{@code removed}.
     */
    static List<ByteString> sseFrames(StreamItem item, boolean before, String changeEvent) {
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
}
