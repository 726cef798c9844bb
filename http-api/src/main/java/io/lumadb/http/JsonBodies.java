package io.lumadb.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.util.ArrayList;
import java.util.List;

/** Strict parsing of request bodies: one JSON value, no duplicate keys, no trailing data. */
final class JsonBodies {

  private static final ObjectMapper STRICT =
      DocumentJson.mapper()
          .copy()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private JsonBodies() {}

  /** Parses {@code bytes} as one JSON value; 400 {@code invalid-json} naming {@code field} otherwise. */
  static JsonNode parse(byte[] bytes, String field) {
    if (bytes.length == 0) {
      throw ApiException.badRequest("invalid-json", "Malformed JSON", "the body is empty; a JSON object is required", field);
    }
    try {
      return STRICT.readTree(bytes);
    } catch (JacksonException e) {
      throw ApiException.badRequest("invalid-json", "Malformed JSON", e.getOriginalMessage() + location(e), field);
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("invalid-json", "Malformed JSON", e.getMessage(), field);
    }
  }

  private static String location(JacksonException e) {
    return e.getLocation() == null
        ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  /** Parses a JSON object; 400 {@code not-an-object} if it is another JSON value. */
  static ObjectNode parseObject(byte[] bytes, String field) {
    return requireObject(parse(bytes, field), field);
  }

  static ObjectNode requireObject(JsonNode node, String field) {
    if (node == null || !node.isObject()) {
      throw ApiException.badRequest(
          "not-an-object", "Not a JSON object", "expected a JSON object but got " + describe(node), field);
    }
    return (ObjectNode) node;
  }

  static String describe(JsonNode node) {
    return node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses newline-delimited JSON: one value per non-blank line. */
  static List<JsonNode> parseNdjson(byte[] bytes) {
    List<JsonNode> items = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        int end = i;
        if (end > start && bytes[end - 1] == '\r') {
          end--;
        }
        byte[] slice = java.util.Arrays.copyOfRange(bytes, start, end);
        if (!new String(slice, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
          items.add(parse(slice, "/" + items.size()));
        }
        start = i + 1;
      }
    }
    return items;
  }
}
