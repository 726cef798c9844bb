package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Server-Sent Events: content negotiation, framing and the streaming response. */
final class Sse {

    private static final ContentType EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM.toContentType();

    private Sse() {}

    static boolean wanted(HttpRequest request) {
        return request.getHeader("Accept")
                .map(h -> h.value().contains("text/event-stream"))
                .orElse(false);
    }

    /** Fails with 406 unless the client asks for an event stream. */
    static void require(HttpRequest request, String what) {
        if (!wanted(request)) {
            throw new ApiException(
                    406,
                    "not-acceptable",
                    "Not acceptable",
                    what + " is a stream: ask with Accept: text/event-stream (or use the WebSocket /api/v1/_ws)",
                    "Accept");
        }
    }

    /** A streaming response of SSE frames, never cached or buffered by proxies. */
    static HttpResponse response(Source<ByteString, NotUsed> frames) {
        return HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .addHeader(RawHeader.create("Cache-Control", "no-cache"))
                .addHeader(RawHeader.create("X-Accel-Buffering", "no"))
                .withEntity(HttpEntities.createChunked(EVENT_STREAM, frames));
    }

    static ByteString frame(String event, String id, JsonNode data) {
        return frame(event, id, DocumentJson.bytes(data));
    }

    /** One SSE frame; {@code data} is one line of JSON (JSON text has no raw newlines). */
    static ByteString frame(String event, String id, byte[] data) {
        StringBuilder head = new StringBuilder(64);
        if (id != null) {
            head.append("id: ").append(id).append('\n');
        }
        head.append("event: ").append(event).append("\ndata: ");
        return ByteString.fromString(head.toString())
                .concat(ByteString.fromArray(data))
                .concat(ByteString.fromString("\n\n"));
    }
}
