package io.lumadb.shards.shard;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.model.WriteOutcome.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Decides the outcome of a batch of writes against a shard's current documents, in order: a
 * write sees the effect of every earlier write of the same batch. Produces the changes to
 * persist as one event; touches nothing itself.
 */
final class WriteEvaluator {

    /** Marks, in the overlay, a document deleted earlier in the batch. */
    private static final StoredDocument DELETED = new StoredDocument("", 1, new byte[0]);

    private final Function<String, StoredDocument> current;
    private final Function<byte[], String> indexProblem;
    private final CollectionSchema schema;
    private final long maxDocumentBytes;
    private final Map<String, StoredDocument> overlay;
    private final List<DocumentChange> changes;
    private long lastVersion;

    /**
     * @param indexProblem why a document's content cannot go into the shard's indexes, or null
     * @param schema the collection's declared schema, or null
     */
    WriteEvaluator(
            Function<String, StoredDocument> current,
            Function<byte[], String> indexProblem,
            CollectionSchema schema,
            long lastVersion,
            long maxDocumentBytes,
            int expectedWrites) {
        this.current = current;
        this.indexProblem = indexProblem;
        this.schema = schema;
        this.lastVersion = lastVersion;
        this.maxDocumentBytes = maxDocumentBytes;
        this.overlay = HashMap.newHashMap(expectedWrites);
        this.changes = new ArrayList<>(expectedWrites);
    }

    List<DocumentChange> changes() {
        return changes;
    }

    private StoredDocument lookup(String id) {
        StoredDocument earlier = overlay.get(id);
        if (earlier != null) {
            return earlier == DELETED ? null : earlier;
        }
        return current.apply(id);
    }

    WriteOutcome evaluate(DocumentWrite write) {
        String id = write.id();
        StoredDocument doc = lookup(id);
        long currentVersion = doc == null ? 0 : doc.version();
        long expected = write.expectedVersion();
        if (expected == DocumentWrite.ABSENT && doc != null) {
            return WriteOutcome.failed(id, Status.ALREADY_EXISTS, currentVersion);
        }
        if ((expected > 0 && expected != currentVersion) || (expected == DocumentWrite.EXISTS && doc == null)) {
            return WriteOutcome.failed(id, Status.VERSION_MISMATCH, currentVersion);
        }
        return switch (write.kind()) {
            case PUT -> put(id, doc, write.body());
            case PATCH -> doc == null ? WriteOutcome.failed(id, Status.NOT_FOUND, 0) : patch(id, doc, write.body());
            case DELETE -> doc == null ? WriteOutcome.failed(id, Status.NOT_FOUND, 0) : delete(id, doc);
        };
    }

    private WriteOutcome put(String id, StoredDocument doc, byte[] content) {
        if (schema != null) {
            WriteOutcome refused = checkSchema(id, doc, parse(content));
            if (refused != null) {
                return refused;
            }
        }
        String problem = indexProblem.apply(content);
        if (problem != null) {
            return new WriteOutcome(id, Status.UNINDEXABLE, doc == null ? 0 : doc.version(), null, problem);
        }
        long version = ++lastVersion;
        byte[] json = DocumentJson.compose(id, version, content);
        record(new DocumentChange(
                id,
                doc == null ? DocumentChange.Op.CREATED : DocumentChange.Op.UPDATED,
                version,
                json,
                doc == null ? null : doc.json()));
        return new WriteOutcome(id, doc == null ? Status.CREATED : Status.UPDATED, version, null);
    }

    private WriteOutcome patch(String id, StoredDocument doc, byte[] patchBytes) {
        JsonNode patch;
        try {
            patch = DocumentJson.mapper().readTree(patchBytes);
        } catch (IOException e) {
            return WriteOutcome.failed(id, Status.INVALID, doc.version());
        }
        if (patch == null || !patch.isObject()) {
            return WriteOutcome.failed(id, Status.INVALID, doc.version());
        }
        JsonNode merged = DocumentJson.mergePatch(DocumentJson.content(doc.json()), patch);
        byte[] content = DocumentJson.bytes(merged);
        if (content.length > maxDocumentBytes) {
            return WriteOutcome.failed(id, Status.TOO_LARGE, doc.version());
        }
        WriteOutcome refused = schema == null ? null : checkSchema(id, doc, merged);
        if (refused != null) {
            return refused;
        }
        String problem = indexProblem.apply(content);
        if (problem != null) {
            return new WriteOutcome(id, Status.UNINDEXABLE, doc.version(), null, problem);
        }
        long version = ++lastVersion;
        byte[] json = DocumentJson.compose(id, version, content);
        record(new DocumentChange(id, DocumentChange.Op.UPDATED, version, json, doc.json()));
        return new WriteOutcome(id, Status.UPDATED, version, json);
    }

    private static JsonNode parse(byte[] content) {
        try {
            return DocumentJson.mapper().readTree(content);
        } catch (IOException e) {
            // The API parsed it before it came here; an unreadable body is no document.
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The refusal of {@code content} by the schema, or null. Content never holds {@code _id} or
     * {@code _version} (see {@link DocumentJson#compose}), which a schema cannot declare.
     */
    private WriteOutcome checkSchema(String id, StoredDocument doc, JsonNode content) {
        CollectionSchema.Violation violation = schema.check(content);
        if (violation == null) {
            return null;
        }
        return new WriteOutcome(
                id,
                Status.SCHEMA_VIOLATION,
                doc == null ? 0 : doc.version(),
                null,
                violation.message(),
                violation.pointer());
    }

    private WriteOutcome delete(String id, StoredDocument doc) {
        long version = ++lastVersion;
        record(new DocumentChange(id, DocumentChange.Op.DELETED, version, null, doc.json()));
        return new WriteOutcome(id, Status.DELETED, version, null);
    }

    private void record(DocumentChange change) {
        changes.add(change);
        overlay.put(
                change.id(),
                change.op() == DocumentChange.Op.DELETED
                        ? DELETED
                        : new StoredDocument(change.id(), change.version(), change.document()));
    }
}
