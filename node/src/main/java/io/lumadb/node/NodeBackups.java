package io.lumadb.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.http.Backups;
import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.JournalContents.PersistenceIdEvents;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import io.lumadb.shards.shard.ShardEvents;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's online backups ({@code /api/v1/_backups}), kept in {@code <data-dir>/backups/<id>}.
 *
 * <p>A backup holds what a restored node needs of the data directory and cannot rebuild:
 *
 * <ul>
 *   <li>{@code rocksdb/}: a RocksDB checkpoint of the node's one database, every column family
 *       (journal, journal-meta, journal-tags, snapshots, shard-names, shard-state), as of one
 *       instant; table files are hard links, so a backup costs little space until compaction
 *       replaces them.
 *   <li>{@code cold/...} and {@code cold-node-id}: the cold tier's fragment stores that lie in the
 *       data directory and the node id their store names carry. Cold documents are no longer in
 *       RocksDB (only pointers are), so without them a restore would lose data. They are copied
 *       after the checkpoint: segments are immutable and committed before any pointer to them is
 *       journaled, so every pointer in the checkpoint finds its segment (a segment sealed after
 *       the checkpoint is an orphan there, which scrub deletes).
 * </ul>
 *
 * Left out, each recorded in the manifest's {@code excluded}: {@code search/} (Lucene indexes,
 * rebuilt from the shards' documents when missing), {@code initial-admin-password} (a secret; the
 * admin user itself is in the security catalog's journal), {@code backups/} itself, and fragment
 * directories configured outside the data directory. The encryption key file is never in a backup
 * (it must not lie in the data directory); the manifest says whether the node encrypts, and the
 * restored node needs the same key file.
 *
 * <p>The position is read from the checkpoint itself: the journal's global ordering counter, the
 * newest event's timestamp, and per collection the resume token a change-stream consumer holds
 * after reading every event in the checkpoint (per shard, its last event's sequence number, or
 * {@link ResumeToken#EARLIEST} for a shard without events, as a consumer that started at the
 * beginning holds). Collections are those of the catalog read just before the checkpoint.
 */
final class NodeBackups implements Backups {

    private static final Logger log = LoggerFactory.getLogger(NodeBackups.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String FORMAT = "lumadb-backup";
    static final int VERSION = 1;
    static final String MANIFEST = "manifest.json";
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    static final String CLUSTER_MODE = "this node runs in cluster mode: its journal and snapshots live in the"
            + " PostgreSQL journal database, which is the cluster's data of record, not this node's RocksDB."
            + " Back a cluster up by backing up that database (pg_dump, or a PostgreSQL base backup with WAL"
            + " archiving, which also gives point-in-time recovery), and restore it by restoring that database"
            + " and starting the nodes on empty data directories";

    private final Path dataDir;
    private final Path backupsDir;
    private final Function<Path, JournalContents> checkpoint;
    private final Catalog catalog;
    private final boolean cluster;
    private final boolean encrypted;
    private final List<Path> fragmentDirectories;
    private final Path searchDir;
    private final String nodeVersion;
    private final ExecutorService executor;

    /**
     * @param checkpoint writes a checkpoint of the node's RocksDB into the directory it is given and
     *     reads its journal
     */
    NodeBackups(
            Path dataDir,
            Function<Path, JournalContents> checkpoint,
            Catalog catalog,
            boolean cluster,
            boolean encrypted,
            List<Path> fragmentDirectories,
            Path searchDir,
            String nodeVersion) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.backupsDir = this.dataDir.resolve("backups");
        this.checkpoint = checkpoint;
        this.catalog = catalog;
        this.cluster = cluster;
        this.encrypted = encrypted;
        this.fragmentDirectories = List.copyOf(fragmentDirectories);
        this.searchDir = searchDir;
        this.nodeVersion = nodeVersion;
        this.executor = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("lumadb-backup").daemon(true).factory());
    }

    /** Stops the backup thread (a backup in progress is left as a partial directory, never listed). */
    void close() {
        executor.shutdownNow();
    }

    @Override
    public Optional<String> unavailable() {
        return cluster ? Optional.of(CLUSTER_MODE) : Optional.empty();
    }

    @Override
    public CompletionStage<ObjectNode> create() {
        if (cluster) {
            return CompletableFuture.failedFuture(new IllegalStateException(CLUSTER_MODE));
        }
        return catalog.refresh().thenApplyAsync(this::make, executor);
    }

    private ObjectNode make(CatalogSnapshot collections) {
        Instant created = Instant.now();
        String id = ID_TIME.format(created) + "-"
                + HexFormat.of()
                        .toHexDigits(ThreadLocalRandom.current().nextInt())
                        .substring(0, 6);
        Path partial = backupsDir.resolve(".partial-" + id);
        Path done = backupsDir.resolve(id);
        try {
            Files.createDirectories(partial);
            JournalContents position = checkpoint.apply(partial.resolve("rocksdb"));
            ArrayNode excluded = JSON.createArrayNode();
            copyColdTier(partial, excluded);
            exclude(excluded, searchDir, "search indexes are rebuilt from the shards' documents when missing");
            exclude(
                    excluded,
                    dataDir.resolve(InitialAdmin.FILE),
                    "a secret; the admin user itself is in the security catalog's journal");
            excluded.addObject().put("path", "backups").put("reason", "other backups");

            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            manifest.put("version", VERSION);
            manifest.put("id", id);
            manifest.put("created", created.toString());
            manifest.put("nodeVersion", nodeVersion);
            manifest.put("mode", "embedded");
            ObjectNode pos = manifest.putObject("position");
            pos.put("ordering", position.orderingCounter());
            if (position.newestTimestamp() > 0) {
                pos.put(
                        "timestamp",
                        Instant.ofEpochMilli(position.newestTimestamp()).toString());
            } else {
                pos.putNull("timestamp");
            }
            ObjectNode tokens = pos.putObject("collections");
            for (DatabaseInfo db : collections.databases().values()) {
                for (CollectionInfo info : db.collections().values()) {
                    tokens.put(
                            info.database() + "/" + info.name(),
                            token(info, position).encode());
                }
            }
            manifest.putObject("encryption").put("enabled", encrypted);
            ArrayNode files = manifest.putArray("files");
            for (Path file : files(partial)) {
                files.addObject()
                        .put("path", relative(partial, file))
                        .put("size", Files.size(file))
                        .put("sha256", sha256(file));
            }
            manifest.set("excluded", excluded);
            Files.write(
                    partial.resolve(MANIFEST),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
            log.info(
                    "Backup {} written to {}: {} files, journal ordering {}",
                    id,
                    done,
                    files.size(),
                    position.orderingCounter());
            return manifest;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(partial);
            throw new IllegalStateException("backup failed: " + e.getMessage(), e);
        }
    }

    /** The token of a consumer that read every event of {@code info}'s shards in {@code position}. */
    static ResumeToken token(CollectionInfo info, JournalContents position) {
        long[] seqs = new long[info.shards()];
        for (int n = 0; n < seqs.length; n++) {
            PersistenceIdEvents events =
                    position.persistenceIds().get(ShardEvents.persistenceId(info.shardEntityId(n)));
            seqs[n] = events == null || events.lastSeq() == 0 ? ResumeToken.EARLIEST : events.lastSeq();
        }
        return ResumeToken.at(info.incarnation(), seqs);
    }

    private void copyColdTier(Path backup, ArrayNode excluded) throws IOException {
        boolean any = false;
        for (Path dir : fragmentDirectories) {
            Path abs = dir.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                continue;
            }
            if (!abs.startsWith(dataDir)) {
                excluded.addObject()
                        .put("path", abs.toString())
                        .put(
                                "reason",
                                "a cold-tier fragment directory outside the data directory"
                                        + " (lumadb.tiering.fragment-directories): back it up with the file system's tools");
                continue;
            }
            any = true;
            try (var paths = Files.walk(abs)) {
                for (Path p : paths.filter(Files::isRegularFile).toList()) {
                    Path target = backup.resolve(dataDir.relativize(p).toString());
                    Files.createDirectories(target.getParent());
                    try {
                        Files.copy(p, target);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // Deleted meanwhile (an orphan's scrub): not part of the checkpoint's data.
                    }
                }
            }
        }
        Path nodeId = dataDir.resolve("cold-node-id");
        if (any || Files.exists(nodeId)) {
            if (Files.exists(nodeId)) {
                Files.copy(nodeId, backup.resolve("cold-node-id"));
            }
        }
    }

    private void exclude(ArrayNode excluded, Path path, String reason) {
        if (Files.exists(path)) {
            Path abs = path.toAbsolutePath().normalize();
            excluded.addObject()
                    .put("path", abs.startsWith(dataDir) ? relative(dataDir, abs) : abs.toString())
                    .put("reason", reason);
        }
    }

    private static List<Path> files(Path backup) throws IOException {
        try (var paths = Files.walk(backup)) {
            return paths.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals(MANIFEST)
                            || !p.getParent().equals(backup))
                    .sorted()
                    .toList();
        }
    }

    private static String relative(Path base, Path file) {
        return base.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public List<ObjectNode> list() {
        if (!Files.isDirectory(backupsDir)) {
            return List.of();
        }
        List<ObjectNode> out = new ArrayList<>();
        try (var dirs = Files.list(backupsDir)) {
            for (Path dir : dirs.filter(d -> !d.getFileName().toString().startsWith("."))
                    .toList()) {
                readManifest(dir).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing((ObjectNode m) -> m.path("created").asText())
                .thenComparing(m -> m.path("id").asText()));
        return out;
    }

    @Override
    public Optional<ObjectNode> manifest(String id) {
        Path dir = backupDir(id);
        return dir == null ? Optional.empty() : readManifest(dir);
    }

    private Optional<ObjectNode> readManifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            return node instanceof ObjectNode o
                            && FORMAT.equals(o.path("format").asText())
                    ? Optional.of(o)
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The directory of backup {@code id}, or null if the id cannot name one. */
    private Path backupDir(String id) {
        if (id.isEmpty() || id.startsWith(".") || id.contains("/") || id.contains("\\")) {
            return null;
        }
        Path dir = backupsDir.resolve(id).normalize();
        return dir.getParent().equals(backupsDir) ? dir : null;
    }

    @Override
    public Optional<Path> file(String id, String relativePath) {
        Path dir = backupDir(id);
        if (dir == null) {
            return Optional.empty();
        }
        Optional<ObjectNode> manifest = readManifest(dir);
        if (manifest.isEmpty()) {
            return Optional.empty();
        }
        boolean listed = relativePath.equals(MANIFEST);
        for (JsonNode f : manifest.get().path("files")) {
            listed |= f.path("path").asText().equals(relativePath);
        }
        Path file = dir.resolve(relativePath).normalize();
        if (!listed || !file.startsWith(dir) || !Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(file);
    }

    @Override
    public boolean delete(String id) {
        Path dir = backupDir(id);
        if (dir == null || readManifest(dir).isEmpty()) {
            return false;
        }
        deleteQuietly(dir);
        if (Files.exists(dir)) {
            throw new UncheckedIOException(new IOException("cannot delete every file of " + dir));
        }
        log.info("Backup {} deleted", id);
        return true;
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("Cannot delete {}", dir, e);
        }
    }
}
