package io.lumadb.shards.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome.Status;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriteEvaluatorTest {

    private final Map<String, StoredDocument> stored = new HashMap<>();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private WriteEvaluator evaluator(long lastVersion) {
        return new WriteEvaluator(stored::get, content -> null, null, lastVersion, 1024, 4);
    }

    private WriteEvaluator withSchema(String schema) {
        return new WriteEvaluator(
                stored::get, content -> null, io.lumadb.shards.model.CollectionSchema.parse(schema), 0, 1024, 4);
    }

    @Test
    void aDeclaredSchemaRefusesPutsAndMergedPatchesThatBreakIt() {
        WriteEvaluator e = withSchema("{\"type\":\"object\",\"properties\":{\"qty\":{\"type\":\"integer\","
                + "\"minimum\":0},\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}");
        var refused = e.evaluate(DocumentWrite.put("a", b("{\"name\":\"x\",\"qty\":-1}"), DocumentWrite.ANY));
        assertEquals(Status.SCHEMA_VIOLATION, refused.status());
        assertEquals("/qty", refused.pointer());
        var missing = e.evaluate(DocumentWrite.put("a", b("{\"qty\":1}"), DocumentWrite.ANY));
        assertEquals("/name", missing.pointer(), missing.problem());
        assertEquals(0, e.changes().size(), "nothing refused is recorded");
        assertEquals(
                Status.CREATED,
                e.evaluate(DocumentWrite.put("a", b("{\"name\":\"x\",\"qty\":1}"), DocumentWrite.ANY))
                        .status());
        // The patch alone would be valid; merged, it removes a required property.
        var patched = e.evaluate(DocumentWrite.patch("a", b("{\"name\":null}"), DocumentWrite.ANY));
        assertEquals(Status.SCHEMA_VIOLATION, patched.status());
        assertEquals("/name", patched.pointer());
        assertEquals(
                Status.UPDATED,
                e.evaluate(DocumentWrite.patch("a", b("{\"qty\":5}"), DocumentWrite.ANY))
                        .status());
        assertEquals(
                Status.DELETED,
                e.evaluate(DocumentWrite.delete("a", DocumentWrite.ANY)).status());
        assertEquals(3, e.changes().size());
    }

    @Test
    void aViolationPointsAtAFieldWhoseNameHoldsASpace() {
        WriteEvaluator e = withSchema("{\"properties\":{\"first name\":{\"type\":\"string\",\"minLength\":1}}}");
        var refused = e.evaluate(DocumentWrite.put("a", b("{\"first name\":\"\"}"), DocumentWrite.ANY));
        assertEquals(Status.SCHEMA_VIOLATION, refused.status());
        assertEquals("/first name", refused.pointer());
    }

    @Test
    void laterWritesOfABatchSeeEarlierOnes() {
        WriteEvaluator e = evaluator(10);
        assertEquals(
                Status.CREATED,
                e.evaluate(DocumentWrite.put("a", b("{\"n\":1}"), DocumentWrite.ABSENT))
                        .status());
        assertEquals(
                Status.ALREADY_EXISTS,
                e.evaluate(DocumentWrite.put("a", b("{}"), DocumentWrite.ABSENT))
                        .status());
        assertEquals(
                Status.UPDATED,
                e.evaluate(DocumentWrite.put("a", b("{\"n\":2}"), 11)).status());
        assertEquals(
                Status.VERSION_MISMATCH,
                e.evaluate(DocumentWrite.put("a", b("{}"), 11)).status());
        assertEquals(Status.DELETED, e.evaluate(DocumentWrite.delete("a", 12)).status());
        assertEquals(
                Status.NOT_FOUND,
                e.evaluate(DocumentWrite.delete("a", DocumentWrite.ANY)).status());
        assertEquals(3, e.changes().size());
    }

    @Test
    void versionsGrowAcrossDeleteAndRecreate() {
        WriteEvaluator e = evaluator(0);
        long v1 = e.evaluate(DocumentWrite.put("a", b("{}"), DocumentWrite.ANY)).version();
        long v2 = e.evaluate(DocumentWrite.delete("a", DocumentWrite.ANY)).version();
        long v3 = e.evaluate(DocumentWrite.put("a", b("{}"), DocumentWrite.ANY)).version();
        assertEquals(1, v1);
        assertEquals(2, v2);
        assertEquals(3, v3);
        assertEquals(DocumentChange.Op.CREATED, e.changes().get(2).op());
    }

    @Test
    void ifMatchOnMissingDocumentFailsWithVersionZero() {
        var outcome = evaluator(5).evaluate(DocumentWrite.put("x", b("{}"), 3));
        assertEquals(Status.VERSION_MISMATCH, outcome.status());
        assertEquals(0, outcome.version());
        assertEquals(
                Status.VERSION_MISMATCH,
                evaluator(5)
                        .evaluate(DocumentWrite.put("x", b("{}"), DocumentWrite.EXISTS))
                        .status());
    }

    @Test
    void patchMergesIntoTheStoredDocument() {
        stored.put("p", new StoredDocument("p", 4, b("{\"_id\":\"p\",\"_version\":4,\"a\":1,\"b\":{\"c\":2}}")));
        var outcome = evaluator(9).evaluate(DocumentWrite.patch("p", b("{\"a\":null,\"b\":{\"d\":3}}"), 4));
        assertEquals(Status.UPDATED, outcome.status());
        assertEquals(10, outcome.version());
        assertEquals(
                "{\"_id\":\"p\",\"_version\":10,\"b\":{\"c\":2,\"d\":3}}",
                new String(outcome.document(), StandardCharsets.UTF_8));
    }

    @Test
    void patchOfMissingDocumentIsNotFoundAndWritesNothing() {
        WriteEvaluator e = evaluator(0);
        assertEquals(
                Status.NOT_FOUND,
                e.evaluate(DocumentWrite.patch("nope", b("{}"), DocumentWrite.ANY))
                        .status());
        assertEquals(0, e.changes().size());
    }

    @Test
    void patchOverTheSizeLimitIsRefusedWithoutUsingAVersion() {
        stored.put("p", new StoredDocument("p", 1, b("{\"_id\":\"p\",\"_version\":1}")));
        WriteEvaluator e = evaluator(1);
        var outcome =
                e.evaluate(DocumentWrite.patch("p", b("{\"big\":\"" + "x".repeat(2000) + "\"}"), DocumentWrite.ANY));
        assertEquals(Status.TOO_LARGE, outcome.status());
        assertEquals(0, e.changes().size());
        assertEquals(
                2,
                e.evaluate(DocumentWrite.put("q", b("{}"), DocumentWrite.ANY)).version());
        assertNull(
                e.evaluate(DocumentWrite.put("r", b("{}"), DocumentWrite.ANY)).document());
    }
}
