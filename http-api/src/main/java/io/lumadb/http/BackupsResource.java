package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.stream.javadsl.FileIO;

/**
 * {@code _backups}: make an online backup of the node ({@code POST}), list the backups kept on the
 * node, read one's manifest, download its files one by one, and delete it. Every route needs
 * {@code admin} on the cluster: a backup holds every database. In cluster mode every route
 * answers {@code 409 backup-not-available}, saying how a cluster is backed up instead.
 */
final class BackupsResource implements Resource {

    private static final String BACKUPS = "/api/v1/_backups";
    private static final String BACKUP = BACKUPS + "/{backup}";
    /** Backup ids as the node makes them: letters, digits, '-', '_' and '.', not starting with '.'. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
    /** A checkpoint of a large node can take a while (the flush, then hard links or copies). */
    private static final Duration LONG = Duration.ofMinutes(30);

    private final ApiContext api;

    BackupsResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission admin = Permission.of(Action.ADMIN, Scope.CLUSTER);
        return List.of(
                Route.post(BACKUPS, "createBackup", admin, this::create),
                Route.get(BACKUPS, "listBackups", admin, this::list),
                Route.get(BACKUP, "getBackup", admin, this::get),
                Route.delete(BACKUP, "deleteBackup", admin, this::delete),
                Route.get(BACKUP + "/files/{path...}", "getBackupFile", admin, this::file));
    }

    private Backups backups() {
        Backups backups = api.backups();
        backups.unavailable().ifPresent(reason -> {
            throw new ApiException(409, "backup-not-available", "Backup not available on this node", reason, null);
        });
        return backups;
    }

    private CompletionStage<HttpResponse> create(Call call) {
        Backups backups = backups();
        call.request().getHeader(TimeoutAccess.class).ifPresent(t -> t.timeoutAccess()
                .updateTimeout(scala.concurrent.duration.Duration.fromNanos(
                        LONG.plusSeconds(10).toNanos())));
        return backups.create().thenApply(manifest -> JsonResponses.json(StatusCodes.CREATED, manifest)
                .addHeader(org.apache.pekko.http.javadsl.model.headers.Location.create(
                        BACKUPS + "/" + manifest.path("id").asText())));
    }

    private CompletionStage<HttpResponse> list(Call call) {
        ObjectNode out = JsonResponses.object();
        var items = out.putArray("backups");
        backups().list().forEach(items::add);
        return JsonResponses.done(JsonResponses.json(StatusCodes.OK, out));
    }

    private CompletionStage<HttpResponse> get(Call call) {
        Backups backups = backups();
        String id = id(call);
        return JsonResponses.done(
                JsonResponses.json(StatusCodes.OK, backups.manifest(id).orElseThrow(() -> unknown(id))));
    }

    private CompletionStage<HttpResponse> delete(Call call) {
        Backups backups = backups();
        String id = id(call);
        if (!backups.delete(id)) {
            throw unknown(id);
        }
        return JsonResponses.done(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
    }

    private CompletionStage<HttpResponse> file(Call call) {
        Backups backups = backups();
        String id = id(call);
        String path = relativePath(call.parameter("path"));
        if (backups.manifest(id).isEmpty()) {
            throw unknown(id);
        }
        Path file = backups.file(id, path)
                .orElseThrow(() -> new ApiException(
                        404,
                        "backup-file-not-found",
                        "Backup file not found",
                        "backup '" + id + "' has no file '" + path + "' (its manifest lists its files)",
                        "path"));
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A streamed entity must have a positive length (an empty WAL file is common).
        return JsonResponses.done(HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .withEntity(
                        size == 0
                                ? HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, new byte[0])
                                : HttpEntities.create(
                                        ContentTypes.APPLICATION_OCTET_STREAM, size, FileIO.fromPath(file))));
    }

    private static String id(Call call) {
        String id = call.parameter("backup");
        if (!ID.matcher(id).matches()) {
            throw ApiException.badRequest(
                    "invalid-backup-path",
                    "Invalid backup path",
                    "a backup id holds letters, digits, '-', '_' and '.', and does not start with '.': '" + id + "'",
                    "backup");
        }
        return id;
    }

    /** A relative path of one or more segments, none of them '.', '..' or holding '\' or NUL. */
    static String relativePath(String path) {
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()
                    || segment.equals(".")
                    || segment.equals("..")
                    || segment.indexOf('\\') >= 0
                    || segment.indexOf('\0') >= 0) {
                throw ApiException.badRequest(
                        "invalid-backup-path",
                        "Invalid backup path",
                        "a backup file is named by its relative path from the manifest, without '.' or '..'"
                                + " segments: '" + path + "'",
                        "path");
            }
        }
        return path;
    }

    private static ApiException unknown(String id) {
        return ApiException.notFound("backup", "no backup '" + id + "' on this node");
    }
}
