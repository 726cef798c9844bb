package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.query.RowAccess;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Documents by id: read (with {@code If-None-Match}), create or replace, merge-patch and delete
 * (with {@code If-Match}/{@code If-None-Match} preconditions); and the paged listing {@code
 * _docs} in id order.
 */
final class DocumentsResource implements Resource {

    private static final String DOCUMENT = "/api/v1/{db}/{collection}/{id}";
    private static final Set<String> PATCH_TYPES = Set.of("application/merge-patch+json", "application/json");

    private final ApiContext api;

    DocumentsResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission read = Permission.of(Action.READ, Scope.COLLECTION);
        Permission write = Permission.of(Action.WRITE, Scope.COLLECTION);
        return List.of(
                Route.get(DOCUMENT, "getDocument", read, this::get),
                Route.put(DOCUMENT, "putDocument", write, this::put),
                Route.patch(DOCUMENT, "patchDocument", write, this::patch),
                Route.delete(DOCUMENT, "deleteDocument", Permission.of(Action.DELETE, Scope.COLLECTION), this::delete),
                Route.get("/api/v1/{db}/{collection}/_docs", "listDocuments", read, this::list));
    }

    private CompletionStage<HttpResponse> get(Call call) {
        String db = call.db();
        String coll = call.collection();
        String id = call.id();
        RowAccess sight = sight(call, db, coll);
        boolean linearizable = linearizable(call.request());
        return (linearizable
                        ? api.documents().getLinearizable(db, coll, id)
                        : api.documents().get(db, coll, id))
                .thenApply(found -> getResponse(call.request(), db, coll, id, seen(found, sight)));
    }

    /**
     * {@code ?consistency=linearizable}: the shard confirms with the journal that its copy is
     * current before it answers (README "Consistency"); {@code local} (the default) answers from
     * the copy of the node that hosts the shard at once.
     */
    static boolean linearizable(HttpRequest request) {
        Optional<String> consistency = request.getUri().query().get("consistency");
        if (consistency.isEmpty() || consistency.get().equals("local")) {
            return false;
        }
        if (consistency.get().equals("linearizable")) {
            return true;
        }
        throw ApiException.badRequest(
                "invalid-parameter",
                "Invalid parameter",
                "consistency must be 'local' (the default) or 'linearizable', not '" + consistency.get() + "'",
                "consistency");
    }

    /** What the caller may see of the collection (its read rules). */
    private RowAccess sight(Call call, String db, String coll) {
        return api.security().access(call.principal(), Action.READ, false, db, coll);
    }

    /** A document the caller may not see is missing for it (404, never 403: its existence is not told). */
    private static Optional<StoredDocument> seen(Optional<StoredDocument> found, RowAccess sight) {
        if (sight.unrestricted() || found.isEmpty()) {
            return found;
        }
        StoredDocument doc = found.get();
        var parsed = RowAccess.parse(doc.json());
        if (!sight.sees(parsed)) {
            return Optional.empty();
        }
        return Optional.of(new StoredDocument(doc.id(), doc.version(), DocumentJson.bytes(sight.strip(parsed))));
    }

    private static HttpResponse getResponse(
            HttpRequest request, String db, String coll, String id, Optional<StoredDocument> found) {
        StoredDocument doc = found.orElseThrow(
                () -> ApiException.notFound("document", "document '" + id + "' does not exist in " + db + "/" + coll));
        Optional<HttpHeader> ifNoneMatch = request.getHeader("If-None-Match");
        if (ifNoneMatch.isPresent()
                && Preconditions.matchesEtag(ifNoneMatch.get().value(), doc.version())) {
            return HttpResponse.create()
                    .withStatus(StatusCodes.NOT_MODIFIED)
                    .addHeader(Preconditions.etag(doc.version()));
        }
        return HttpResponse.create()
                .withEntity(ContentTypes.APPLICATION_JSON, doc.json())
                .addHeader(Preconditions.etag(doc.version()));
    }

    private CompletionStage<HttpResponse> put(Call call) {
        return writeBody(call, Bodies.JSON, DocumentWrite::put, false);
    }

    private CompletionStage<HttpResponse> patch(Call call) {
        return writeBody(call, PATCH_TYPES, DocumentWrite::patch, !minimal(call.request()));
    }

    /** How a write is made from the path's id, the body's content and the precondition. */
    @FunctionalInterface
    private interface BodyWrite {
        DocumentWrite of(String id, byte[] content, long expectedVersion);
    }

    /** A write with a body: names, then the precondition, then the body, all checked before the write. */
    private CompletionStage<HttpResponse> writeBody(
            Call call, Set<String> mediaTypes, BodyWrite write, boolean withDocument) {
        String db = call.db();
        String coll = call.collection();
        String id = call.id();
        long expected = Preconditions.ofWrite(call.request());
        return api.bodies()
                .read(call.request(), 2L * api.settings().maxDocumentBytes(), mediaTypes)
                .thenCompose(bytes ->
                        RowWrites.write(api, call.principal(), db, coll, write.of(id, content(bytes, id), expected)))
                .thenApply(outcome -> WriteResults.response(visible(call, db, coll, outcome), withDocument));
    }

    private CompletionStage<HttpResponse> delete(Call call) {
        String db = call.db();
        String coll = call.collection();
        String id = call.id();
        long expected = Preconditions.ofWrite(call.request());
        return RowWrites.write(api, call.principal(), db, coll, DocumentWrite.delete(id, expected))
                .thenApply(outcome -> WriteResults.response(outcome, false));
    }

    /** A patched document as the caller may see it: without hidden fields, or not at all. */
    private WriteOutcome visible(Call call, String db, String coll, WriteOutcome outcome) {
        RowAccess sight = sight(call, db, coll);
        if (outcome.document() == null || sight.unrestricted()) {
            return outcome;
        }
        var parsed = RowAccess.parse(outcome.document());
        byte[] shown = sight.sees(parsed) ? DocumentJson.bytes(sight.strip(parsed)) : null;
        return new WriteOutcome(outcome.id(), outcome.status(), outcome.version(), shown);
    }

    /** The user content of a document body: a JSON object whose {@code _id}, if any, matches the path. */
    private byte[] content(byte[] body, String id) {
        return DocumentContent.ofBody(body, id, api.settings().maxDocumentBytes());
    }

    /** RFC 7240 {@code Prefer: return=minimal}: answer a PATCH with the id and version only. */
    private static boolean minimal(HttpRequest request) {
        return request.getHeader("Prefer")
                .map(h -> h.value().contains("return=minimal"))
                .orElse(false);
    }

    // ---- listing

    private CompletionStage<HttpResponse> list(Call call) {
        String db = call.db();
        String coll = call.collection();
        var query = call.request().getUri().query();
        Optional<String> after = query.get("after");
        if (after.isPresent() && after.get().isEmpty()) {
            after = Optional.empty();
        }
        int max = api.catalog().settings().maxListLimit();
        int limit = api.settings().defaultListLimit();
        Optional<String> limitParam = query.get("limit");
        if (limitParam.isPresent()) {
            try {
                limit = Integer.parseInt(limitParam.get());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > max) {
                throw ApiException.badRequest(
                        "invalid-parameter",
                        "Invalid parameter",
                        "limit must be an integer between 1 and " + max + ", got '" + limitParam.get() + "'",
                        "limit");
            }
        }
        RowAccess sight = sight(call, db, coll);
        return api.documents()
                .list(db, coll, after.orElse(null), Math.min(limit, max))
                // A page keeps its cursor; with read rules it holds only what the caller sees, so
                // it may be shorter than the limit (even empty) while "next" still leads on.
                .thenApply(page -> sight.unrestricted()
                        ? page
                        : new io.lumadb.shards.Documents.Page(
                                page.documents().stream()
                                        .map(d -> seen(Optional.of(d), sight))
                                        .flatMap(Optional::stream)
                                        .toList(),
                                page.next()))
                .thenApply(page -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.writeBytes("{\"docs\":[".getBytes(StandardCharsets.UTF_8));
                    for (int i = 0; i < page.documents().size(); i++) {
                        if (i > 0) {
                            out.write(',');
                        }
                        out.writeBytes(page.documents().get(i).json());
                    }
                    out.writeBytes("],\"next\":".getBytes(StandardCharsets.UTF_8));
                    out.writeBytes(DocumentJson.bytes(
                            page.next() == null ? NullNode.getInstance() : TextNode.valueOf(page.next())));
                    out.write('}');
                    return json(StatusCodes.OK, out.toByteArray());
                });
    }
}
