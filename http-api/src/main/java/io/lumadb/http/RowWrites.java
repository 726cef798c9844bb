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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Writes by a caller whose roles carry write rules for the collection: the document before the
 * write (for a replace, patch or delete) and after it (for a replace or patch) must match the
 * caller's write filter, like PostgreSQL's {@code USING} and {@code WITH CHECK}. The check reads
 * the document, judges it, and writes only if it is still at the version judged (adding that
 * precondition when the client gave none, and trying again a few times when another write came
 * in between), so no write slips past the rule in a race. A document the caller cannot even see
 * is answered as missing; one it sees but may not change is {@code 403}. Callers without write
 * rules write as before, in one step.
 */
final class RowWrites {

    private static final int ATTEMPTS = 5;

    private RowWrites() {}

    /** Whether {@code principal} has write rules in {@code db/collection} (so writes go through {@link #write}). */
    static boolean restricted(ApiContext api, Principal principal, Action action, String db, String collection) {
        return api.security().access(principal, action, true, db, collection).filterJson() != null;
    }

    static CompletionStage<WriteOutcome> write(
            ApiContext api, Principal principal, String db, String collection, DocumentWrite write) {
        Action action = write.kind() == DocumentWrite.Kind.DELETE ? Action.DELETE : Action.WRITE;
        RowAccess rule = api.security().access(principal, action, true, db, collection);
        if (rule.filterJson() == null) {
            return api.documents().write(db, collection, write);
        }
        RowAccess sight = api.security().access(principal, Action.READ, false, db, collection);
        return attempt(api, db, collection, write, rule, sight, ATTEMPTS);
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
        if (e instanceof AccessDeniedException) {
            return WriteOutcome.failed(w.id(), WriteOutcome.Status.FORBIDDEN, 0);
        }
        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
    }

    private static CompletionStage<WriteOutcome> attempt(
            ApiContext api,
            String db,
            String collection,
            DocumentWrite write,
            RowAccess rule,
            RowAccess sight,
            int attemptsLeft) {
        return api.documents().get(db, collection, write.id()).thenCompose(current -> {
            long judged = judge(write, current, rule, sight);
            long expected = write.expectedVersion();
            boolean ours = expected == DocumentWrite.ANY || expected == DocumentWrite.EXISTS;
            if (ours) {
                if (current.isEmpty() && write.kind() != DocumentWrite.Kind.PUT) {
                    // A patch or delete of a missing document: the shard answers it as missing.
                    return api.documents().write(db, collection, write);
                }
                expected = judged;
            }
            DocumentWrite checked = new DocumentWrite(write.id(), write.kind(), write.body(), expected);
            return api.documents().write(db, collection, checked).thenCompose(outcome -> {
                boolean raced = ours
                        && (outcome.status() == WriteOutcome.Status.VERSION_MISMATCH
                                || outcome.status() == WriteOutcome.Status.ALREADY_EXISTS);
                if (raced && attemptsLeft > 1) {
                    return attempt(api, db, collection, write, rule, sight, attemptsLeft - 1);
                }
                if (raced) {
                    throw new ApiException(
                            409,
                            "write-conflict",
                            "Write conflict",
                            "document '" + write.id() + "' kept changing while its write rule was checked; retry",
                            null);
                }
                return CompletableFuture.completedFuture(outcome);
            });
        });
    }

    /**
     * Judges {@code write} against the document as it is; returns the version the write must find
     * ({@link DocumentWrite#ABSENT} for a new document).
     */
    private static long judge(DocumentWrite write, Optional<StoredDocument> current, RowAccess rule, RowAccess sight) {
        JsonNode before = current.map(d -> RowAccess.parse(d.json())).orElse(null);
        if (before != null && !rule.sees(before)) {
            if (!sight.sees(before)) {
                throw ApiException.notFound("document", "document '" + write.id() + "' does not exist");
            }
            throw new AccessDeniedException(
                    "the write rule of your roles does not allow changing document '" + write.id() + "' as it is");
        }
        if (write.kind() != DocumentWrite.Kind.DELETE) {
            JsonNode body = RowAccess.parse(write.body());
            JsonNode after = write.kind() == DocumentWrite.Kind.PATCH
                    ? DocumentJson.mergePatch(before == null ? null : before.deepCopy(), body)
                    : body;
            if (after instanceof ObjectNode object) {
                object.put("_id", write.id());
            }
            if (!rule.sees(after)) {
                throw new AccessDeniedException(
                        "the document '" + write.id() + "' as written would not match the write rule of your roles");
            }
        }
        return current.map(StoredDocument::version).orElse(DocumentWrite.ABSENT);
    }
}
