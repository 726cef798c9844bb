package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The node's online backups, as the API sees them: the node makes them (a consistent copy of its
 * data directory's data of record, with a manifest), lists them, serves their files and deletes
 * them. Implemented by the node, which owns the storage; the API only translates HTTP.
 */
public interface Backups {

    /**
     * Why this node cannot make backups (in cluster mode the journal lives in PostgreSQL, and
     * PostgreSQL's own backup is the backup), or empty when it can.
     */
    Optional<String> unavailable();

    /** Makes a backup now and answers its manifest once every file is written. */
    CompletionStage<ObjectNode> create();

    /** The manifests of the backups kept on this node, oldest first. */
    List<ObjectNode> list();

    /** The manifest of backup {@code id}, if it exists. */
    Optional<ObjectNode> manifest(String id);

    /**
     * The file of backup {@code id} at {@code relativePath} (one of its manifest's files, or the
     * manifest itself), if both exist. The path is checked by the caller to be relative without
     * {@code .} or {@code ..} segments; implementations still refuse anything outside the backup.
     */
    Optional<Path> file(String id, String relativePath);

    /** Deletes backup {@code id}; false if there is none. */
    boolean delete(String id);
}
