package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.store.IndexEntries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The answers to document writes, one at a time ({@code PUT}, {@code PATCH}, {@code DELETE})
 * and in bulk: a success names the id, version and result; a failed outcome becomes the same
 * problem either way (an answer of its own, or an item's {@code error}).
 */
final class WriteResults {

    private static final Map<WriteOutcome.Status, String> RESULT_NAMES = resultNames();

    private WriteResults() {}

    private static Map<WriteOutcome.Status, String> resultNames() {
        Map<WriteOutcome.Status, String> names = new EnumMap<>(WriteOutcome.Status.class);
        for (WriteOutcome.Status status : WriteOutcome.Status.values()) {
            names.put(status, status.name().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /**
     * The answer to one write: {@code {_id, _version, result}} with its ETag, or, with {@code
     * withDocument}, the document as written.
     */
    static HttpResponse response(WriteOutcome outcome, boolean withDocument) {
        ApiException failure = problem(outcome, "If-Match");
        if (failure != null) {
            throw failure;
        }
        if (withDocument && outcome.document() != null) {
            return HttpResponse.create()
                    .withStatus(StatusCodes.OK)
                    .withEntity(ContentTypes.APPLICATION_JSON, outcome.document())
                    .addHeader(Preconditions.etag(outcome.version()));
        }
        ObjectNode body = JsonResponses.object();
        body.put(DocumentJson.ID, outcome.id());
        body.put(DocumentJson.VERSION, outcome.version());
        body.put("result", RESULT_NAMES.get(outcome.status()));
        StatusCode status = outcome.status() == WriteOutcome.Status.CREATED ? StatusCodes.CREATED : StatusCodes.OK;
        return JsonResponses.json(status, body).addHeader(Preconditions.etag(outcome.version()));
    }

    /**
     * The problem a failed outcome stands for, or null when it succeeded. {@code
     * preconditionField} names where the precondition came from: a header, or a bulk item's
     * field.
     */
    static ApiException problem(WriteOutcome o, String preconditionField) {
        Map<String, Object> current = Map.of("currentVersion", o.version());
        return switch (o.status()) {
            case CREATED, UPDATED, DELETED -> null;
            case NOT_FOUND -> ApiException.notFound("document", "document '" + o.id() + "' does not exist");
            case VERSION_MISMATCH ->
                new ApiException(
                        412,
                        "precondition-failed",
                        "Precondition failed",
                        o.version() == 0
                                ? "document '" + o.id() + "' does not exist"
                                : "document '" + o.id() + "' is at version " + o.version(),
                        preconditionField,
                        current);
            case ALREADY_EXISTS ->
                new ApiException(
                        412,
                        "precondition-failed",
                        "Precondition failed",
                        "document '" + o.id() + "' already exists (version " + o.version() + ")",
                        preconditionField.equals("If-Match") ? "If-None-Match" : preconditionField,
                        current);
            case TOO_LARGE ->
                new ApiException(
                        413,
                        "document-too-large",
                        "Document too large",
                        "the patched document would exceed the document size limit (lumadb.limits.max-document-bytes)",
                        "body");
            case INVALID ->
                ApiException.badRequest(
                        "not-an-object", "Not a JSON object", "a merge patch must be a JSON object", "body");
            case FORBIDDEN ->
                new ApiException(
                        403,
                        "forbidden",
                        "Forbidden",
                        "the write rule of your roles does not allow this write of document '" + o.id() + "'",
                        null);
            case HIDDEN_FIELD ->
                new ApiException(
                        403,
                        "hidden-field",
                        "Hidden field",
                        "document '" + o.id() + "' names a field hidden from your roles, which a write can neither set"
                                + " nor remove",
                        null);
            case SCHEMA_VIOLATION -> {
                String at = o.pointer() == null ? "" : o.pointer();
                yield ApiException.badRequest(
                        "schema-violation",
                        "Document does not match the collection's schema",
                        "document '" + o.id() + "' does not match the schema of its collection at "
                                + (at.isEmpty() ? "the document's root" : at) + ": "
                                + (o.problem() == null ? "the document does not match the schema" : o.problem()),
                        at);
            }
            case UNINDEXABLE ->
                ApiException.badRequest(
                        "unindexable-document",
                        "Document cannot be indexed",
                        o.problem() != null
                                ? "document '" + o.id() + "' cannot be indexed: " + o.problem()
                                : "document '" + o.id() + "' would put more than "
                                        + IndexEntries.MAX_ENTRIES_PER_DOCUMENT
                                        + " entries into a secondary index of its collection (arrays on indexed paths"
                                        + " are too long)",
                        "body");
        };
    }

    /** {@code {"items":[...],"errors":bool}}, streamed: one result per item, in request order. */
    static byte[] bulk(List<WriteOutcome> outcomes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 64 * outcomes.size());
        try (var g = DocumentJson.mapper().getFactory().createGenerator(out)) {
            boolean errors = false;
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (WriteOutcome o : outcomes) {
                g.writeStartObject();
                g.writeStringField(DocumentJson.ID, o.id());
                if (o.status().succeeded()) {
                    g.writeNumberField(DocumentJson.VERSION, o.version());
                    g.writeStringField("result", RESULT_NAMES.get(o.status()));
                    g.writeNumberField("status", o.status() == WriteOutcome.Status.CREATED ? 201 : 200);
                } else {
                    ApiException problem = problem(o, "/ifMatch");
                    errors = true;
                    g.writeNumberField("status", problem.status);
                    g.writeObjectFieldStart("error");
                    g.writeStringField("type", Problems.TYPE_PREFIX + problem.type);
                    g.writeStringField("title", problem.title);
                    g.writeStringField("detail", problem.getMessage());
                    if (o.status() == WriteOutcome.Status.SCHEMA_VIOLATION) {
                        g.writeStringField("field", problem.field);
                    }
                    if (o.version() > 0) {
                        g.writeNumberField("currentVersion", o.version());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeBooleanField("errors", errors);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
