package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb backup create|verify|list}: an online, consistent backup of a node taken by the
 * node (a RocksDB checkpoint of its journal and state, with its change-stream position) and
 * downloaded with a manifest of SHA-256 checksums; and its verification.
 */
@Command(
        name = "backup",
        description = {
            "Online backups of a node (embedded mode): create downloads one into a directory, verify checks it.",
            "A backup holds the node's journal and state as of one instant (a RocksDB checkpoint), and records that"
                    + " instant's change-stream position for every collection. lumadb restore makes a data directory of"
                    + " it, as of the backup or of an earlier time or position.",
            "In cluster mode the journal lives in PostgreSQL: back that database up instead (docs/architecture.md,"
                    + " \"Backup and restore\")."
        },
        subcommands = {BackupCommand.Create.class, BackupCommand.Verify.class, BackupCommand.ListBackups.class})
final class BackupCommand {
    static final String MANIFEST = "manifest.json";
    static final String FORMAT = "lumadb-backup";

    @Command(
            name = "create",
            description = "Take a backup of the node now and download it into DIR (which must be new or empty).")
    static final class Create extends Base implements Callable<Integer> {
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Option(
                names = "--keep-on-node",
                description = "keep the node's copy (under its data directory) after the download")
        boolean keep;

        @Option(
                names = "--progress",
                defaultValue = "auto",
                description = "auto, bar, plain or none (default ${DEFAULT-VALUE})")
        Progress.Mode progressMode;

        @Override
        public Integer call() throws IOException {
            requireEmpty(dir);
            NodeApi api = api();
            long start = System.nanoTime();
            JsonNode manifest = api.post("/api/v1/_backups", NodeApi.object());
            String id = manifest.path("id").asText();
            long total = 0;
            for (JsonNode f : manifest.path("files")) {
                total += f.path("size").asLong();
            }
            Files.createDirectories(dir);
            Progress progress = new Progress(err(), progressMode, "files", total);
            long done = 0;
            int files = 0;
            try {
                for (JsonNode f : manifest.path("files")) {
                    String rel = f.path("path").asText();
                    Path target = inside(dir, rel);
                    Files.createDirectories(target.getParent());
                    HttpResponse<InputStream> response = api.stream("GET", fileUrl(id, rel), null, null);
                    Path part = target.resolveSibling(target.getFileName() + ".part");
                    String sha;
                    try (InputStream in = new DigestInputStream(response.body(), sha256());
                            OutputStream out = Files.newOutputStream(part)) {
                        byte[] buffer = new byte[1 << 16];
                        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                            out.write(buffer, 0, n);
                            done += n;
                            progress.update(files, done);
                        }
                        sha = HexFormat.of()
                                .formatHex(((DigestInputStream) in)
                                        .getMessageDigest()
                                        .digest());
                    }
                    if (!sha.equals(f.path("sha256").asText())
                            || Files.size(part) != f.path("size").asLong()) {
                        throw new CliException(
                                ExitCodes.FAILED, rel + " arrived damaged (checksum or size differs); try again");
                    }
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                    files++;
                }
                Files.write(
                        dir.resolve(MANIFEST),
                        NodeApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            } catch (RuntimeException | IOException e) {
                progress.interrupt();
                err().println("lumadb: the backup is incomplete; deleting " + dir);
                deleteTree(dir);
                throw e;
            }
            progress.finish(files, done);
            if (!keep) {
                api.delete(NodeApi.path("_backups", id));
            }
            err().printf(
                            Locale.ROOT,
                            "backup %s: %d files, %s in %.1f s, into %s%n",
                            id,
                            files,
                            Progress.bytes(done),
                            (System.nanoTime() - start) / 1e9,
                            dir);
            printPosition(manifest);
            return ExitCodes.OK;
        }

        private void printPosition(JsonNode manifest) {
            JsonNode position = manifest.path("position");
            err().println("position: journal ordering "
                    + position.path("ordering").asText("?") + ", last event at "
                    + position.path("timestamp").asText("?"));
            position.path("collections").fields().forEachRemaining(e -> err().println(
                            "  " + e.getKey() + " " + e.getValue().asText()));
        }

        private static String fileUrl(String id, String rel) {
            StringBuilder b = new StringBuilder(NodeApi.path("_backups", id, "files"));
            for (String segment : rel.split("/")) {
                b.append('/').append(NodeApi.encode(segment));
            }
            return b.toString();
        }
    }

    @Command(
            name = "verify",
            description = "Check a downloaded backup against its manifest (exit status 6 if anything is wrong).")
    static final class Verify extends Base implements Callable<Integer> {
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws IOException {
            List<String> problems = verify(dir);
            if (!problems.isEmpty()) {
                problems.forEach(p -> err().println(p));
                err().println("lumadb: the backup in " + dir + " is damaged (" + problems.size() + " problems)");
                return ExitCodes.BAD_INPUT;
            }
            JsonNode manifest = NodeApi.JSON.readTree(dir.resolve(MANIFEST).toFile());
            out().println("backup " + manifest.path("id").asText() + " is complete: "
                    + manifest.path("files").size() + " files match their checksums");
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "The backups kept on the node (taken with --keep-on-node).")
    static final class ListBackups extends Base implements Callable<Integer> {
        @Override
        public Integer call() {
            printJson(api().get("/api/v1/_backups"));
            return ExitCodes.OK;
        }
    }

    /** What is wrong with the backup in {@code dir}: missing, changed or unexpected files; empty if nothing. */
    static List<String> verify(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            return List.of(dir + " holds no " + MANIFEST + ": not a LumaDB backup");
        }
        JsonNode manifest;
        try {
            manifest = NodeApi.JSON.readTree(manifestFile.toFile());
        } catch (IOException e) {
            return List.of(MANIFEST + " is not JSON: " + e.getMessage());
        }
        if (!FORMAT.equals(manifest.path("format").asText())
                || manifest.path("version").asInt() != 1) {
            return List.of(MANIFEST + " is not a version 1 " + FORMAT + " manifest");
        }
        Set<Path> named = new HashSet<>();
        named.add(manifestFile.toAbsolutePath().normalize());
        for (JsonNode f : manifest.path("files")) {
            String rel = f.path("path").asText();
            Path file;
            try {
                file = inside(dir, rel);
            } catch (CliException e) {
                problems.add(e.getMessage());
                continue;
            }
            named.add(file.toAbsolutePath().normalize());
            if (!Files.isRegularFile(file)) {
                problems.add("missing: " + rel);
                continue;
            }
            if (Files.size(file) != f.path("size").asLong()) {
                problems.add("size differs: " + rel + " (" + Files.size(file) + " bytes, the manifest says "
                        + f.path("size").asLong() + ")");
                continue;
            }
            if (!sha256(file).equals(f.path("sha256").asText())) {
                problems.add("checksum differs: " + rel);
            }
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(Files::isRegularFile)
                    .filter(p -> !named.contains(p.toAbsolutePath().normalize()))
                    .forEach(p -> problems.add("not in the manifest: " + dir.relativize(p)));
        }
        return problems;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code rel} resolved under {@code dir}, refusing a path that would leave it. */
    static Path inside(Path dir, String rel) {
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(rel).normalize();
        if (rel.isEmpty() || !p.startsWith(base) || p.equals(base)) {
            throw new CliException(ExitCodes.BAD_INPUT, "the manifest names a file outside the backup: " + rel);
        }
        return p;
    }

    static void requireEmpty(Path dir) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new CliException(ExitCodes.USAGE, dir + " exists and is not a directory");
            }
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new CliException(ExitCodes.USAGE, dir + " is not empty");
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort; what is left is named by the caller's message
                }
            });
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException ignored) {
            // best effort
        }
    }
}
