package io.lumadb.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;

/** Strict parsing of request bodies: one JSON value, no duplicate keys, no trailing data. */
final class JsonBodies {

    private static final ObjectMapper STRICT = DocumentJson.mapper()
            .copy()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private JsonBodies() {}

    /** Work on a streaming parser that may throw the parser's own exceptions. */
    @FunctionalInterface
    interface ParserWork<T> {
        T apply(JsonParser parser) throws java.io.IOException;
    }

    /**
     * Runs {@code work} on a strict parser over {@code bytes} (duplicate keys are errors),
     * turning malformed JSON into 400 {@code invalid-json} naming {@code field}.
     */
    static <T> T streaming(byte[] bytes, String field, ParserWork<T> work) {
        try (JsonParser parser = strictParser(bytes)) {
            return work.apply(parser);
        } catch (JacksonException e) {
            throw malformed(e, field);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("invalid-json", "Malformed JSON", e.getMessage(), field);
        }
    }

    /** A strict streaming parser over {@code bytes}: duplicate keys are errors. */
    static JsonParser strictParser(byte[] bytes) throws java.io.IOException {
        JsonParser parser = STRICT.getFactory().createParser(bytes);
        parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return parser;
    }

    /** 400 {@code invalid-json} naming {@code field}, with the parser's message and location. */
    static ApiException malformed(JacksonException e, String field) {
        return ApiException.badRequest("invalid-json", "Malformed JSON", e.getOriginalMessage() + location(e), field);
    }

    /** Fails with 400 {@code invalid-json} if anything but whitespace follows the value. */
    static void requireEnd(JsonParser parser, String field) throws java.io.IOException {
        if (parser.nextToken() != null) {
            throw ApiException.badRequest(
                    "invalid-json", "Malformed JSON", "unexpected data after the JSON value" + location(parser), field);
        }
    }

    private static String location(JsonParser parser) {
        var loc = parser.currentTokenLocation();
        return " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    /** 400 {@code not-an-object} for a value starting with {@code token} ({@code null}: no value at all). */
    static ApiException notAnObject(com.fasterxml.jackson.core.JsonToken token, String field) {
        return ApiException.badRequest(
                "not-an-object", "Not a JSON object", "expected a JSON object but got " + describe(token), field);
    }

    static String describe(com.fasterxml.jackson.core.JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        return switch (token) {
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> token.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Parses {@code bytes} as one JSON value; 400 {@code invalid-json} naming {@code field} otherwise. */
    static JsonNode parse(byte[] bytes, String field) {
        if (bytes.length == 0) {
            throw ApiException.badRequest(
                    "invalid-json", "Malformed JSON", "the body is empty; a JSON object is required", field);
        }
        try {
            return STRICT.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.badRequest(
                    "invalid-json", "Malformed JSON", e.getOriginalMessage() + location(e), field);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("invalid-json", "Malformed JSON", e.getMessage(), field);
        }
    }

    private static String location(JacksonException e) {
        return e.getLocation() == null
                ? ""
                : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
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

    /**
     * Fails with 400 {@code invalid-encoding} naming {@code field} unless {@code bytes} can be UTF-8
     * JSON text: well-formed UTF-8 (RFC 3629: no overlong forms, no encoded surrogates, nothing
     * beyond U+10FFFF, no truncated sequence), no byte order mark and no NUL byte. Jackson would
     * otherwise guess UTF-16 or UTF-32 from NUL bytes, and passes malformed UTF-8 inside strings
     * through to the stored bytes.
     */
    static void requireUtf8(byte[] bytes, String field) {
        if (startsWithByteOrderMark(bytes)) {
            throw invalidEncoding("it starts with a byte order mark; send UTF-8 JSON without one", field);
        }
        int bad = invalidUtf8At(bytes);
        if (bad >= 0) {
            throw invalidEncoding(
                    bytes[bad] == 0
                            ? "NUL byte at offset " + bad + " (UTF-16 and UTF-32 are not accepted)"
                            : "malformed UTF-8 at byte offset " + bad,
                    field);
        }
    }

    /** Whether {@code bytes} start with UTF-8's byte order mark, which JSON text must not carry. */
    static boolean startsWithByteOrderMark(byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF;
    }

    private static ApiException invalidEncoding(String why, String field) {
        return ApiException.badRequest(
                "invalid-encoding", "Invalid encoding", "the body must be UTF-8 JSON, but " + why, field);
    }

    /**
     * The offset of the first byte that is NUL or starts a sequence that is not well-formed UTF-8
     * (Unicode table 3-7), or -1 if there is none.
     */
    static int invalidUtf8At(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i];
            if (c > 0) { // ASCII other than NUL
                i++;
                continue;
            }
            c &= 0xFF;
            if (c == 0) {
                return i;
            }
            int len;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                if (c == 0xE0) {
                    lo = 0xA0; // overlong below
                } else if (c == 0xED) {
                    hi = 0x9F; // UTF-16 surrogates above
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                if (c == 0xF0) {
                    lo = 0x90; // overlong below
                } else if (c == 0xF4) {
                    hi = 0x8F; // beyond U+10FFFF above
                }
            } else {
                return i; // a continuation byte, C0/C1 (overlong) or F5..FF
            }
            if (i + len > n) {
                return i;
            }
            int second = b[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k < len; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += len;
        }
        return -1;
    }
}
