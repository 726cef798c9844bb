package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.InvalidNameException;
import io.lumadb.shards.model.Names;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Parses the items of a bulk request. Each item is an object:
 *
 * <pre>{"op": "put" | "create" | "patch" | "delete", "id": "...", "doc": {...}, "ifMatch": 7}</pre>
 *
 * {@code op} defaults to {@code put}. For {@code put} and {@code create} the id may instead be
 * the document's {@code _id}, and if neither is given LumaDB generates one (time-ordered, 24
 * hex digits). {@code create} is create-only. Every item is checked before anything is written:
 * one bad item fails the whole request with a pointer to it, and nothing is written.
 */
final class BulkItems {

  private static final Set<String> FIELDS = Set.of("op", "id", "doc", "ifMatch");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long NODE_BITS = RANDOM.nextLong() & 0xFFFFFFL;
  private static final AtomicLong COUNTER = new AtomicLong(RANDOM.nextInt());

  private BulkItems() {}

  static List<DocumentWrite> parse(List<JsonNode> items, int maxItems, long maxDocumentBytes) {
    if (items.isEmpty()) {
      throw ApiException.badRequest("invalid-bulk", "Invalid bulk request", "a bulk request needs at least one item", "body");
    }
    if (items.size() > maxItems) {
      throw new ApiException(413, "too-many-items", "Too many items",
          "a bulk request may carry at most " + maxItems + " items, got " + items.size(), "body");
    }
    List<DocumentWrite> writes = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      writes.add(item(items.get(i), "/" + i, maxDocumentBytes));
    }
    return writes;
  }

  private static DocumentWrite item(JsonNode node, String at, long maxDocumentBytes) {
    ObjectNode item = JsonBodies.requireObject(node, at);
    for (var field : item.properties()) {
      if (!FIELDS.contains(field.getKey())) {
        throw invalid(at + "/" + field.getKey(), "unknown field '" + field.getKey() + "'; an item has op, id, doc and ifMatch");
      }
    }
    String op = text(item, "op", at, "put");
    long expected = ifMatch(item, at);
    ObjectNode doc = item.has("doc") ? JsonBodies.requireObject(item.get("doc"), at + "/doc") : null;
    String id = item.has("id") ? text(item, "id", at, null) : null;
    switch (op) {
      case "put", "create" -> {
        if (doc == null) {
          throw invalid(at + "/doc", "a " + op + " needs a doc object");
        }
        String idAt = at + "/id";
        if (id == null && doc.has(DocumentJson.ID)) {
          JsonNode docId = doc.get(DocumentJson.ID);
          if (!docId.isTextual()) {
            throw invalid(at + "/doc/_id", "_id must be a string");
          }
          id = docId.textValue();
          idAt = at + "/doc/_id";
        }
        if (id == null) {
          id = generateId();
        }
        if (op.equals("create")) {
          if (expected != DocumentWrite.ANY) {
            throw invalid(at + "/ifMatch", "a create cannot carry ifMatch");
          }
          expected = DocumentWrite.ABSENT;
        }
        return DocumentWrite.put(checkId(id, idAt), DocumentContent.of(doc, id, at + "/doc", maxDocumentBytes), expected);
      }
      case "patch" -> {
        if (doc == null) {
          throw invalid(at + "/doc", "a patch needs a doc object (a JSON Merge Patch)");
        }
        requireId(id, at, op);
        return DocumentWrite.patch(checkId(id, at + "/id"), DocumentContent.of(doc, id, at + "/doc", maxDocumentBytes), expected);
      }
      case "delete" -> {
        if (doc != null) {
          throw invalid(at + "/doc", "a delete takes no doc");
        }
        requireId(id, at, op);
        return DocumentWrite.delete(checkId(id, at + "/id"), expected);
      }
      default -> throw invalid(at + "/op", "op must be put, create, patch or delete, got '" + op + "'");
    }
  }

  private static void requireId(String id, String at, String op) {
    if (id == null) {
      throw invalid(at + "/id", "a " + op + " needs an id");
    }
  }

  private static String checkId(String id, String pointer) {
    try {
      return Names.checkDocumentId(id);
    } catch (InvalidNameException e) {
      throw ApiException.badRequest("invalid-name", "Invalid name", e.getMessage(), pointer);
    }
  }

  private static String text(ObjectNode item, String field, String at, String fallback) {
    JsonNode v = item.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw invalid(at + "/" + field, field + " must be a string");
    }
    return v.textValue();
  }

  private static long ifMatch(ObjectNode item, String at) {
    JsonNode v = item.get("ifMatch");
    if (v == null) {
      return DocumentWrite.ANY;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
      throw invalid(at + "/ifMatch", "ifMatch must be a version (an integer >= 1)");
    }
    return v.longValue();
  }

  private static ApiException invalid(String pointer, String detail) {
    return ApiException.badRequest("invalid-bulk-item", "Invalid bulk item", detail, pointer);
  }

  /** A new id: 44 bits of milliseconds, 24 bits of this process, 28 bits of a counter, as hex. */
  static String generateId() {
    long millis = System.currentTimeMillis() & 0xFFFFFFFFFFFL;
    long counter = COUNTER.incrementAndGet() & 0xFFFFFFFL;
    long hi = (millis << 20) | (NODE_BITS >>> 4);
    long lo = ((NODE_BITS & 0xF) << 28) | counter;
    return HexFormat.of().toHexDigits(hi) + HexFormat.of().toHexDigits((int) lo);
  }
}
