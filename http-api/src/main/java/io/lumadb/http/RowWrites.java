package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.AccessDeniedException;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Principal;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.query.RowAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Writes by a caller whose roles carry write rules or hidden fields for the collection.
 *
 * <p>Write rules: the document before the write (for a replace, patch or delete) and after it (for
 * a replace or patch) must match the caller's write filter, like PostgreSQL's {@code USING} and
 * {@code WITH CHECK}. A document the caller cannot even see is answered as missing; one it sees but
 * may not change is {@code 403}.
 *
 * <p>Hidden fields ({@link HiddenFields#ofWrites}): a body naming one is refused before anything is
 * read, and a replace or patch keeps their stored values (a replace by a caller who cannot see
 * {@code salary} does not drop it).
 *
 * <p>Either way the write reads the document, judges it (and, for hidden fields, rewrites it) and
 * writes only if it is still at the version judged (adding that precondition when the client gave
 * none, and trying again a few times when another write came in between), so no write slips past
 * a rule, nor loses a hidden field, in a race. Callers with neither write as before, in one step.
 */
final class RowWrites {

    private static final int ATTEMPTS = 5;

    private RowWrites() {}

    /**
     * Whether writes ({@code action} write or delete) by {@code principal} in {@code db/collection}
     * go through {@link #write}: it has write rules there, or (for writes) hidden fields.
     */
    static boolean restricted(ApiContext api, Principal principal, Action action, String db, String collection) {
        return api.security().access(principal, action, true, db, collection).filterJson() != null
                || (action == Action.WRITE
                        && !HiddenFields.ofWrites(api, principal, db, collection)
                                .isEmpty());
    }

    static CompletionStage<WriteOutcome> write(
            ApiContext api, Principal principal, String db, String collection, DocumentWrite write) {
        boolean delete = write.kind() == DocumentWrite.Kind.DELETE;
        Action action = delete ? Action.DELETE : Action.WRITE;
        RowAccess rule = api.security().access(principal, action, true, db, collection);
        // A delete takes the whole document, hidden fields and all, as the delete permission allows.
        Set<String> hidden = delete ? Set.of() : HiddenFields.ofWrites(api, principal, db, collection);
        if (rule.filterJson() == null && hidden.isEmpty()) {
            return api.documents().write(db, collection, write);
        }
        try {
            HiddenFields.refuseInWrite(
                    delete ? null : RowAccess.parse(write.body()), hidden, write.kind() == DocumentWrite.Kind.PATCH);
        } catch (ApiException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        RowAccess sight = api.security().access(principal, Action.READ, false, db, collection);
        Guard guard = new Guard(rule, sight, hidden, api.settings().maxDocumentBytes());
        return attempt(api, db, collection, write, guard, ATTEMPTS);
    }

    /** Each write of a bulk request, judged and written one after another. */
    static CompletionStage<List<WriteOutcome>> writeAll(
            ApiContext api, Principal principal, String db, String collection, List<DocumentWrite> writes) {
        CompletionStage<List<WriteOutcome>> all = CompletableFuture.completedFuture(new ArrayList<>());
        for (DocumentWrite w : writes) {
            all = all.thenCompose(
                    done -> write(api, principal, db, collection, w).handle((outcome, failure) -> {
                        done.add(failure == null ? outcome : refused(w, failure));
                        return done;
                    }));
        }
        return all;
    }

    /** A bulk item the rules refuse: reported in its result, like any item that fails. */
    private static WriteOutcome refused(DocumentWrite w, Throwable failure) {
        Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (e instanceof ApiException api && api.status == 404) {
            return WriteOutcome.failed(w.id(), WriteOutcome.Status.NOT_FOUND, 0);
        }
        if (e instanceof ApiException api && api.type.equals("hidden-field")) {
            return WriteOutcome.failed(w.id(), WriteOutcome.Status.HIDDEN_FIELD, 0);
        }
        if (e instanceof ApiException api && api.status == 413) {
            return WriteOutcome.failed(w.id(), WriteOutcome.Status.TOO_LARGE, 0);
        }
        if (e instanceof AccessDeniedException) {
            return WriteOutcome.failed(w.id(), WriteOutcome.Status.FORBIDDEN, 0);
        }
        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
    }

    /**
     * What a write is judged by: the caller's write rule, its sight (what it may read), the fields
     * its writes leave alone, and the document size limit (a replace with its hidden fields put
     * back must still fit).
     */
    private record Guard(RowAccess rule, RowAccess sight, Set<String> hidden, long maxDocumentBytes) {}

    /** The write to send, and the version it must find ({@link DocumentWrite#ABSENT} for a new document). */
    private record Judged(DocumentWrite write, long version) {}

    private static CompletionStage<WriteOutcome> attempt(
            ApiContext api, String db, String collection, DocumentWrite write, Guard guard, int attemptsLeft) {
        return api.documents().get(db, collection, write.id()).thenCompose(current -> {
            Judged judged = judge(write, current, guard);
            long expected = write.expectedVersion();
            boolean ours = expected == DocumentWrite.ANY || expected == DocumentWrite.EXISTS;
            if (ours) {
                // A patch or delete of a missing document finds it still missing (the shard answers
                // it as missing) or finds it created since (a race: judged again).
                expected = judged.version();
            }
            DocumentWrite checked = new DocumentWrite(
                    write.id(), judged.write().kind(), judged.write().body(), expected);
            return api.documents().write(db, collection, checked).thenCompose(outcome -> {
                boolean raced = ours
                        && (outcome.status() == WriteOutcome.Status.VERSION_MISMATCH
                                || outcome.status() == WriteOutcome.Status.ALREADY_EXISTS);
                if (raced && attemptsLeft > 1) {
                    return attempt(api, db, collection, write, guard, attemptsLeft - 1);
                }
                if (raced) {
                    throw new ApiException(
                            409,
                            "write-conflict",
                            "Write conflict",
                            "document '" + write.id()
                                    + "' kept changing while the write was judged against your roles' rules; retry",
                            null);
                }
                return CompletableFuture.completedFuture(outcome);
            });
        });
    }

    /**
     * Judges {@code write} against the document as it is, and makes the write that keeps its hidden
     * fields: a replace gets their stored values back, a patch that would lose one (a {@code null}
     * on an object holding it) becomes the patch from the stored document to the one it must become.
     */
    private static Judged judge(DocumentWrite write, Optional<StoredDocument> current, Guard guard) {
        JsonNode before = current.map(d -> RowAccess.parse(d.json())).orElse(null);
        if (before != null && !guard.rule().sees(before)) {
            if (!guard.sight().sees(before)) {
                throw ApiException.notFound("document", "document '" + write.id() + "' does not exist");
            }
            throw new AccessDeniedException(
                    "the write rule of your roles does not allow changing document '" + write.id() + "' as it is");
        }
        long version = current.map(StoredDocument::version).orElse(DocumentWrite.ABSENT);
        if (write.kind() == DocumentWrite.Kind.DELETE) {
            return new Judged(write, version);
        }
        JsonNode body = RowAccess.parse(write.body());
        boolean patch = write.kind() == DocumentWrite.Kind.PATCH;
        JsonNode after = patch
                ? DocumentJson.mergePatch(
                        current.map(d -> DocumentJson.content(d.json())).orElse(null), body)
                : body.deepCopy();
        DocumentWrite sent = write;
        if (before != null
                && after instanceof ObjectNode document
                && HiddenFields.restore(document, before, guard.hidden())) {
            sent = patch
                    ? patchTo(write, current.get(), document)
                    : replaceWith(write, document, guard.maxDocumentBytes());
        }
        if (after instanceof ObjectNode object) {
            object.put("_id", write.id());
        }
        if (!guard.rule().sees(after)) {
            throw new AccessDeniedException(
                    "the document '" + write.id() + "' as written would not match the write rule of your roles");
        }
        return new Judged(sent, version);
    }

    private static DocumentWrite replaceWith(DocumentWrite write, ObjectNode document, long maxDocumentBytes) {
        byte[] content = DocumentJson.bytes(document);
        if (content.length > maxDocumentBytes) {
            throw new ApiException(
                    413,
                    "document-too-large",
                    "Document too large",
                    "with the fields hidden from you kept, document '" + write.id()
                            + "' would exceed the document size limit (lumadb.limits.max-document-bytes)",
                    "body");
        }
        return DocumentWrite.put(write.id(), content, write.expectedVersion());
    }

    private static DocumentWrite patchTo(DocumentWrite write, StoredDocument before, ObjectNode document) {
        ObjectNode patch = HiddenFields.diff(DocumentJson.content(before.json()), document);
        return DocumentWrite.patch(write.id(), DocumentJson.bytes(patch), write.expectedVersion());
    }
}
