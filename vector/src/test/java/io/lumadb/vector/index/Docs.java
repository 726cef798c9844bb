package io.lumadb.vector.index;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.StoredDocument;
import java.nio.charset.StandardCharsets;

/** Stored documents and changes for the tests, in the shards' stored JSON form. */
final class Docs {

    private Docs() {}

    /** The stored JSON of a document with the given content (a JSON object). */
    static byte[] stored(String id, long version, String content) {
        return DocumentJson.compose(id, version, content.getBytes(StandardCharsets.UTF_8));
    }

    /** The stored JSON of a document whose {@code path} holds {@code vector}. */
    static byte[] vectorDoc(String id, long version, String path, float[] vector) {
        ObjectNode content = DocumentJson.mapper().createObjectNode();
        ArrayNode array = content.putArray(path);
        for (float f : vector) {
            array.add(f);
        }
        return DocumentJson.compose(id, version, DocumentJson.bytes(content));
    }

    static DocumentChange created(String id, byte[] stored) {
        return new DocumentChange(id, DocumentChange.Op.CREATED, 1, stored);
    }

    static DocumentChange updated(String id, long version, byte[] stored) {
        return new DocumentChange(id, DocumentChange.Op.UPDATED, version, stored);
    }

    static DocumentChange deleted(String id, long version) {
        return new DocumentChange(id, DocumentChange.Op.DELETED, version, null);
    }

    static StoredDocument document(String id, long version, byte[] stored) {
        return new StoredDocument(id, version, stored);
    }
}
