package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.topics.TopicEvent;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.shards.model.DocumentJson;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;

/**
 * Pub/sub topics over HTTP: {@code POST /api/v1/_topics/{topic}} publishes one JSON value,
 * {@code GET} with {@code Accept: text/event-stream} subscribes. Delivery is at-most-once.
 */
final class TopicRoutes {

    private final Topics topics;

    TopicRoutes(Topics topics) {
        this.topics = topics;
    }

    /** Publishes {@code body}; 202 once this node has handed it to the topic (at-most-once). */
    HttpResponse publish(String topic, byte[] body) {
        topics.publish(topic, body);
        ObjectNode answer = DocumentJson.mapper().createObjectNode();
        answer.put("topic", topic);
        answer.put("result", "published");
        return HttpResponse.create()
                .withStatus(202)
                .withEntity(
                        org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON, DocumentJson.bytes(answer));
    }

    /** SSE: {@code subscribed}, then {@code message} events (data = the message), heartbeats, overflow. */
    CompletionStage<HttpResponse> subscribe(HttpRequest request, String topic) {
        Topics.validateName(topic);
        Sse.require(request, "a topic subscription");
        return topics.subscribe(topic).thenApply(events -> Sse.response(events.map(TopicRoutes::frame)));
    }

    private static ByteString frame(TopicEvent event) {
        return switch (event) {
            case TopicEvent.Subscribed s -> Sse.frame("subscribed", null, topicNode(s.topic()));
            case TopicEvent.Message m -> Sse.frame("message", null, m.message().json());
            case TopicEvent.Heartbeat h ->
                Sse.frame("heartbeat", null, DocumentJson.mapper().createObjectNode());
            case TopicEvent.Overflow o -> Sse.frame("overflow", null, overflow(o));
        };
    }

    static ObjectNode topicNode(String topic) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("topic", topic);
        return node;
    }

    static ObjectNode overflow(TopicEvent.Overflow o) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put(
                "message",
                "this subscriber fell " + o.bufferSize()
                        + " messages behind (lumadb.topics.buffer-size) and was closed; messages published"
                        + " since were not delivered to it");
        return node;
    }
}
