package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reading request bodies: media types, charsets, limits and encoding, refused before any write. */
class BodiesTest {

    private static ActorSystem system;
    private static Bodies bodies;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("bodies-test");
        bodies = new Bodies(system, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpRequest post(ContentType type, byte[] body) {
        return HttpRequest.POST("/x").withEntity(type, body);
    }

    private static byte[] read(HttpRequest request, long limit, Set<String> types) throws Exception {
        return bodies.read(request, limit, types).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static ApiException refused(HttpRequest request, long limit, Set<String> types) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> read(request, limit, types));
        return Problems.classify(e);
    }

    @Test
    void readsAnAcceptedBody() throws Exception {
        byte[] body = "{\"é\":1}".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(body, read(post(ContentTypes.APPLICATION_JSON, body), 100, Bodies.JSON));
    }

    @Test
    void refusesAnotherMediaTypeOrCharset() {
        ApiException type = refused(post(ContentTypes.TEXT_PLAIN_UTF8, new byte[] {'{', '}'}), 100, Bodies.JSON);
        assertEquals(415, type.status);
        assertEquals("unsupported-media-type", type.type);
        // As the node parses JSON media types (EdgeProblems.jsonMediaTypes): with an open charset.
        ContentType latin1 = ((org.apache.pekko.http.javadsl.model.MediaType.WithOpenCharset)
                        EdgeProblems.jsonMediaTypes()[0])
                .toContentType(org.apache.pekko.http.javadsl.model.HttpCharsets.ISO_8859_1);
        ApiException charset = refused(post(latin1, new byte[] {'{', '}'}), 100, Bodies.JSON);
        assertEquals("unsupported-charset", charset.type);
    }

    @Test
    void refusesABodyOverTheLimitDeclaredOrStreamed() {
        ApiException declared = refused(post(ContentTypes.APPLICATION_JSON, new byte[101]), 100, Bodies.JSON);
        assertEquals(413, declared.status);
        HttpRequest chunked = HttpRequest.POST("/x")
                .withEntity(HttpEntities.create(
                        ContentTypes.APPLICATION_JSON,
                        Source.from(java.util.List.of(
                                ByteString.fromArray(new byte[60]), ByteString.fromArray(new byte[60])))));
        assertEquals(413, refused(chunked, 100, Bodies.JSON).status);
    }

    @Test
    void refusesJsonThatIsNotUtf8ButLeavesNdjsonToItsLines() throws Exception {
        byte[] bad = {'"', (byte) 0xFF, '"'};
        ApiException e = refused(post(ContentTypes.APPLICATION_JSON, bad), 100, Bodies.JSON);
        assertEquals(400, e.status);
        ContentType ndjson = ContentTypes.parse("application/x-ndjson");
        assertArrayEquals(bad, read(post(ndjson, bad), 100, Set.of("application/x-ndjson")));
    }

    @Test
    void anAbsentBodyIsEmptyWhereOneIsOptional() throws Exception {
        assertEquals(
                java.util.Optional.empty(),
                bodies.readOptionalJson(HttpRequest.PUT("/x"), 100)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS));
        assertInstanceOf(
                com.fasterxml.jackson.databind.JsonNode.class,
                bodies.readOptionalJson(post(ContentTypes.APPLICATION_JSON, "{}".getBytes(StandardCharsets.UTF_8)), 100)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .orElseThrow());
    }
}
