package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb restore}: a backup into a fresh data directory, as of the backup or, for a
 * point-in-time restore, as of an earlier time or change-stream position. The copy is made here;
 * the cut of the journal at the target is made by the node when it first starts on the directory
 * ({@code restore-target.json}), before it serves anything, because only the node's own code reads
 * and writes its journal.
 */
@Command(
        name = "restore",
        description = {
            "Restore a backup (after verifying it) into a new data directory; then start a node on it"
                    + " (LUMADB_DATA_DIR=DIR bin/server).",
            "With --to-time or --to-token the node, when it first starts on the directory, drops every change after"
                    + " that point and rebuilds the state from the journal up to it (point-in-time restore).",
        })
final class RestoreCommand extends Base implements Callable<Integer> {
    static final String TARGET_FILE = "restore-target.json";

    @Parameters(index = "0", paramLabel = "BACKUP_DIR")
    Path backup;

    @Option(
            names = "--data-dir",
            required = true,
            paramLabel = "DIR",
            description = "the new data directory (new or empty)")
    Path dataDir;

    @ArgGroup(exclusive = true)
    PointInTime to;

    static final class PointInTime {
        @Option(
                names = "--to-time",
                paramLabel = "INSTANT",
                description = "keep the changes committed at or before this instant (2026-12-04T10:15:30Z)")
        String time;

        @Option(
                names = "--to-token",
                paramLabel = "DB/COLLECTION=TOKEN",
                description =
                        "keep that collection's changes up to this resume token (the others up to the same moment)")
        String token;
    }

    @Override
    public Integer call() throws IOException {
        ObjectNode target = target();
        List<String> problems = BackupCommand.verify(backup);
        if (!problems.isEmpty()) {
            problems.forEach(p -> err().println(p));
            err().println("lumadb: the backup in " + backup + " is damaged; nothing was restored");
            return ExitCodes.BAD_INPUT;
        }
        BackupCommand.requireEmpty(dataDir);
        JsonNode manifest =
                NodeApi.JSON.readTree(backup.resolve(BackupCommand.MANIFEST).toFile());
        if (target != null && target.has("toToken")) {
            String coll = target.path("toToken").path("collection").asText();
            if (!manifest.path("position").path("collections").has(coll)) {
                throw new CliException(ExitCodes.USAGE, "the backup holds no collection " + coll);
            }
        }
        boolean created = !Files.exists(dataDir);
        try {
            Files.createDirectories(dataDir);
            for (JsonNode f : manifest.path("files")) {
                String rel = f.path("path").asText();
                Path to = BackupCommand.inside(dataDir, rel);
                Files.createDirectories(to.getParent());
                Files.copy(BackupCommand.inside(backup, rel), to);
            }
            if (target != null) {
                Files.write(
                        dataDir.resolve(TARGET_FILE),
                        NodeApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(target));
            }
        } catch (IOException | RuntimeException e) {
            err().println("lumadb: the restore failed; removing what it wrote in " + dataDir);
            if (created) {
                BackupCommand.deleteTree(dataDir);
            }
            throw e;
        }
        out().println("restored backup " + manifest.path("id").asText() + " into " + dataDir
                + (target == null ? "" : ", to be cut at " + target + " when the node first starts on it"));
        out().println("start a node on it: LUMADB_DATA_DIR=" + dataDir.toAbsolutePath() + " bin/server");
        return ExitCodes.OK;
    }

    private ObjectNode target() {
        if (to == null) {
            return null;
        }
        ObjectNode t = NodeApi.object();
        if (to.time != null) {
            try {
                t.put("toTime", Instant.parse(to.time).toString());
            } catch (DateTimeParseException e) {
                throw new CliException(
                        ExitCodes.USAGE, "--to-time '" + to.time + "' is not an instant such as 2026-12-04T10:15:30Z");
            }
        } else {
            int eq = to.token.indexOf('=');
            if (eq < 0) {
                throw new CliException(ExitCodes.USAGE, "--to-token is DB/COLLECTION=TOKEN");
            }
            Target c = Target.collection(to.token.substring(0, eq));
            ObjectNode tok = t.putObject("toToken");
            tok.put("collection", c.toString());
            tok.put("token", to.token.substring(eq + 1));
        }
        return t;
    }
}
