package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.topics.TopicEvent;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/**
 * Pub/sub topics over HTTP: {@code POST /api/v1/_topics/{topic}} publishes one JSON value,
 * {@code GET} with {@code Accept: text/event-stream} subscribes. Delivery is at-most-once.
 */
final class TopicsResource implements Resource {

    private static final String TOPIC = "/api/v1/_topics/{topic}";

    private final ApiContext api;

    TopicsResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get(TOPIC, "subscribeTopic", Permission.of(Action.SUBSCRIBE, Scope.TOPIC), this::subscribe),
                Route.post(TOPIC, "publishTopic", Permission.of(Action.PUBLISH, Scope.TOPIC), this::publish));
    }

    /** Publishes the body; 202 once this node has handed it to the topic (at-most-once). */
    private CompletionStage<HttpResponse> publish(Call call) {
        String topic = call.parameter("topic");
        Topics topics = api.topics();
        Topics.validateName(topic);
        return api.bodies()
                .read(call.request(), topics.settings().maxMessageBytes(), Bodies.JSON)
                .thenApply(body -> {
                    topics.publish(topic, body);
                    return JsonResponses.json(
                            StatusCodes.ACCEPTED, topicNode(topic).put("result", "published"));
                });
    }

    /** SSE: {@code subscribed}, then {@code message} events (data = the message), heartbeats, overflow. */
    private CompletionStage<HttpResponse> subscribe(Call call) {
        String topic = call.parameter("topic");
        Topics.validateName(topic);
        Sse.require(call.request(), "a topic subscription");
        return api.topics().subscribe(topic).thenApply(events -> Sse.response(events.map(TopicsResource::frame)));
    }

    private static ByteString frame(TopicEvent event) {
        return switch (event) {
            case TopicEvent.Subscribed s -> Sse.frame("subscribed", null, topicNode(s.topic()));
            case TopicEvent.Message m -> Sse.frame("message", null, m.message().json());
            case TopicEvent.Heartbeat h -> Sse.frame("heartbeat", null, JsonResponses.object());
            case TopicEvent.Overflow o -> Sse.frame("overflow", null, overflow(o));
        };
    }

    static ObjectNode topicNode(String topic) {
        ObjectNode node = JsonResponses.object();
        node.put("topic", topic);
        return node;
    }

    static ObjectNode overflow(TopicEvent.Overflow o) {
        ObjectNode node = JsonResponses.object();
        node.put(
                "message",
                "this subscriber fell " + o.bufferSize()
                        + " messages behind (lumadb.topics.buffer-size) and was closed; messages published"
                        + " since were not delivered to it");
        return node;
    }
}
