package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;

/** The content of a document sent by a client: checked, stripped of system fields, size-limited. */
final class DocumentContent {

  private DocumentContent() {}

  /**
   * The compact JSON of {@code doc} without {@code _id} and {@code _version}. A {@code _id} in the
   * body must equal {@code id}; {@code _version} is the server's, so it is dropped (a client
   * echoing a document it read carries it). The result must fit {@code maxBytes}.
   *
   * @param pointer JSON pointer of {@code doc} in the request, for error messages ("" for the body)
   */
  static byte[] of(ObjectNode doc, String id, String pointer, long maxBytes) {
    JsonNode bodyId = doc.get(DocumentJson.ID);
    if (bodyId != null && !(bodyId.isTextual() && bodyId.textValue().equals(id))) {
      throw ApiException.badRequest("id-mismatch", "Document id mismatch",
          "the _id " + bodyId + " differs from the document id '" + id + "'", pointer + "/_id");
    }
    doc.remove(DocumentJson.ID);
    doc.remove(DocumentJson.VERSION);
    byte[] content = DocumentJson.bytes(doc);
    if (content.length > maxBytes) {
      throw new ApiException(413, "document-too-large", "Document too large",
          "the document is " + content.length + " bytes as compact JSON; the limit is " + maxBytes,
          pointer.isEmpty() ? "body" : pointer);
    }
    return content;
  }
}
