package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** JSON answers of the resources. */
final class JsonResponses {

    private JsonResponses() {}

    static HttpResponse json(StatusCode status, byte[] body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
    }

    static HttpResponse json(StatusCode status, JsonNode body) {
        return json(status, DocumentJson.bytes(body));
    }

    static ObjectNode object() {
        return DocumentJson.mapper().createObjectNode();
    }

    static CompletionStage<HttpResponse> done(HttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
