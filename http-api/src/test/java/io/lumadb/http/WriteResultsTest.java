package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.model.WriteOutcome.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.Test;

/** Every way a write can end, as one answer and as a bulk item. */
class WriteResultsTest {

    private record Expected(int status, String type, String field) {}

    private static final Map<Status, Expected> FAILURES = Map.of(
            Status.NOT_FOUND, new Expected(404, "document-not-found", null),
            Status.VERSION_MISMATCH, new Expected(412, "precondition-failed", "If-Match"),
            Status.ALREADY_EXISTS, new Expected(412, "precondition-failed", "If-None-Match"),
            Status.TOO_LARGE, new Expected(413, "document-too-large", "body"),
            Status.INVALID, new Expected(400, "not-an-object", "body"),
            Status.UNINDEXABLE, new Expected(400, "unindexable-document", "body"),
            Status.FORBIDDEN, new Expected(403, "forbidden", null),
            Status.HIDDEN_FIELD, new Expected(403, "hidden-field", null),
            Status.SCHEMA_VIOLATION, new Expected(400, "schema-violation", ""));

    @Test
    void everyFailedOutcomeHasItsProblem() {
        for (Status status : Status.values()) {
            WriteOutcome outcome = WriteOutcome.failed("a", status, 3);
            ApiException problem = WriteResults.problem(outcome, "If-Match");
            if (status.succeeded()) {
                assertNull(problem, status.name());
                continue;
            }
            Expected expected = FAILURES.get(status);
            assertEquals(expected, new Expected(problem.status, problem.type, problem.field), status.name());
            assertEquals(WriteResults.problem(outcome, "/ifMatch").status, problem.status, status.name());
        }
        ApiException violation = WriteResults.problem(
                new WriteOutcome("a", Status.SCHEMA_VIOLATION, 0, null, "must be a string", "/tags/1"), "If-Match");
        assertEquals("/tags/1", violation.field);
        assertTrue(violation.getMessage().endsWith("at /tags/1: must be a string"), violation.getMessage());
        assertEquals(
                Map.of("currentVersion", 3L),
                WriteResults.problem(WriteOutcome.failed("a", Status.VERSION_MISMATCH, 3), "If-Match").extra);
    }

    @Test
    void aSuccessAnswersWithTheVersionAndItsEtag() throws Exception {
        HttpResponse created = WriteResults.response(new WriteOutcome("a", Status.CREATED, 1, null), false);
        assertEquals(201, created.status().intValue());
        assertEquals("\"1\"", created.getHeader("ETag").orElseThrow().value());
        JsonNode body = body(created);
        assertEquals("a", body.path("_id").asText());
        assertEquals(1, body.path("_version").asLong());
        assertEquals("created", body.path("result").asText());

        byte[] patched = "{\"_id\":\"a\",\"_version\":2,\"n\":1}".getBytes(StandardCharsets.UTF_8);
        HttpResponse withDocument = WriteResults.response(new WriteOutcome("a", Status.UPDATED, 2, patched), true);
        assertEquals(200, withDocument.status().intValue());
        assertEquals(1, body(withDocument).path("n").asInt());

        ApiException refused = assertThrows(
                ApiException.class,
                () -> WriteResults.response(WriteOutcome.failed("a", Status.VERSION_MISMATCH, 5), false));
        assertEquals(412, refused.status);
    }

    @Test
    void aBulkAnswerListsEveryItemInOrderAndSaysWhetherAnyFailed() throws Exception {
        JsonNode answer = DocumentJson.mapper()
                .readTree(WriteResults.bulk(List.of(
                        new WriteOutcome("a", Status.CREATED, 1, null),
                        WriteOutcome.failed("b", Status.ALREADY_EXISTS, 4),
                        new WriteOutcome("c", Status.DELETED, 9, null))));
        assertEquals(true, answer.path("errors").asBoolean());
        JsonNode items = answer.path("items");
        assertEquals(
                List.of("a", "b", "c"),
                List.of(
                        items.get(0).path("_id").asText(),
                        items.get(1).path("_id").asText(),
                        items.get(2).path("_id").asText()));
        assertEquals(201, items.get(0).path("status").asInt());
        assertEquals(412, items.get(1).path("status").asInt());
        assertEquals(
                "urn:lumadb:problem:precondition-failed",
                items.get(1).path("error").path("type").asText());
        assertEquals(4, items.get(1).path("error").path("currentVersion").asLong());
        assertEquals("deleted", items.get(2).path("result").asText());

        JsonNode clean = DocumentJson.mapper()
                .readTree(WriteResults.bulk(List.of(new WriteOutcome("a", Status.UPDATED, 2, null))));
        assertEquals(false, clean.path("errors").asBoolean());
    }

    private static JsonNode body(HttpResponse response) throws Exception {
        HttpEntity entity = response.entity();
        return DocumentJson.mapper()
                .readTree(((HttpEntity.Strict) entity).getData().toArray());
    }
}
