package io.lumadb.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.JournalContents.PersistenceIdEvents;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The point-in-time restore a node applies when it starts on a data directory holding {@value
 * #TARGET_FILE} (written by {@code lumadb restore --to-time/--to-token} next to a backup's files),
 * before any shard, catalog or journal actor runs:
 *
 * <ol>
 *   <li>Plans the cut. {@code {"toTime": "2026-...Z"}}: every persistence id keeps its events up
 *       to the last one whose timestamp is at or before the time. {@code {"toToken": {"collection":
 *       "db/coll", "token": "..."}}}: that collection's shards keep their events up to the token's
 *       per-shard sequence numbers (the token must be the collection's incarnation, within the
 *       backup, and at an event boundary); every other persistence id (catalogs, other
 *       collections, consumer groups, the cold tier's manifest) keeps its events up to the largest
 *       global ordering among the collection's kept events.
 *   <li>Checks that the journal can rebuild what it must: a shard whose state store applied events
 *       beyond its cut is rebuilt from its first event, so none of its events may have been deleted
 *       by retention ({@code lumadb.shards.delete-events-on-snapshot}); an entity cut back needs
 *       the events after its newest remaining snapshot. Otherwise it refuses to start, naming the
 *       collection or entity, and changes nothing.
 *   <li>Cuts the journal (events, tag entries, snapshots above the cut, highest sequence numbers),
 *       drops the whole state store of every shard that applied events beyond its cut (documents,
 *       index entries and states, meta) together with every snapshot of it, so the shard rebuilds
 *       the store from its journal when it starts and adopts the catalog's indexes afresh, and
 *       deletes the search indexes (rebuilt from the stores).
 *   <li>Writes {@value #DONE_FILE} with a summary and deletes {@value #TARGET_FILE}, so a later
 *       start does not apply it again. A start that finds both refuses: the directory was restored
 *       already and may have taken writes since.
 * </ol>
 *
 * Every step is idempotent, so a crash half-way is finished by the next start.
 */
final class PointInTimeRestore {

    private static final Logger log = LoggerFactory.getLogger(PointInTimeRestore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String TARGET_FILE = "restore-target.json";
    static final String DONE_FILE = "restore-done.json";
    private static final String SHARD_PREFIX = ShardEvents.persistenceId("x").substring(0, 6); // "shard|"

    /** The embedded journal, as the restore reads and cuts it. */
    interface Journal {
        JournalContents scan(boolean withTimestamps);

        /** Cuts each id of {@code keepTo} there, drops all snapshots of {@code dropSnapshots}; events removed per id. */
        Map<String, Integer> cut(JournalContents contents, Map<String, Long> keepTo, Set<String> dropSnapshots);
    }

    /** A restore that cannot be applied: the node does not start, and says why. */
    static final class RestoreException extends IllegalStateException {
        RestoreException(String message) {
            super(message);
        }
    }

    /** Where to cut. */
    sealed interface Target {
        ObjectNode toJson();
    }

    record ToTime(Instant time) implements Target {
        @Override
        public ObjectNode toJson() {
            return JSON.createObjectNode().put("toTime", time.toString());
        }
    }

    record ToToken(String collection, String encoded, ResumeToken token) implements Target {
        @Override
        public ObjectNode toJson() {
            ObjectNode out = JSON.createObjectNode();
            out.putObject("toToken").put("collection", collection).put("token", encoded);
            return out;
        }
    }

    private PointInTimeRestore() {}

    /** Reads a target file; {@link RestoreException} naming the file and what is wrong. */
    static Target parse(Path file) {
        String expected = "; expected {\"toTime\": \"2026-01-05T10:00:00Z\"} or"
                + " {\"toToken\": {\"collection\": \"db/coll\", \"token\": \"<resume token>\"}}";
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RestoreException("cannot restore: " + file + " is not valid JSON ("
                    + e.getMessage().lines().findFirst().orElse("") + ")" + expected);
        }
        if (root == null || !root.isObject() || root.size() != 1) {
            throw new RestoreException("cannot restore: " + file + " must be an object with one field" + expected);
        }
        if (root.has("toTime")) {
            JsonNode t = root.get("toTime");
            try {
                if (!t.isTextual()) {
                    throw new DateTimeParseException("not a string", t.toString(), 0);
                }
                return new ToTime(Instant.parse(t.asText()));
            } catch (DateTimeParseException e) {
                throw new RestoreException("cannot restore: " + file + ": toTime " + t
                        + " is not an ISO-8601 instant such as 2026-01-05T10:00:00Z" + expected);
            }
        }
        if (root.has("toToken")) {
            JsonNode t = root.get("toToken");
            JsonNode collection = t.path("collection");
            JsonNode token = t.path("token");
            if (!t.isObject()
                    || t.size() != 2
                    || !collection.isTextual()
                    || !token.isTextual()
                    || collection.asText().split("/", -1).length != 2) {
                throw new RestoreException("cannot restore: " + file + ": toToken must be {\"collection\": \"db/coll\","
                        + " \"token\": \"...\"}" + expected);
            }
            try {
                return new ToToken(collection.asText(), token.asText(), ResumeToken.decode(token.asText()));
            } catch (IllegalArgumentException e) {
                throw new RestoreException("cannot restore: " + file + ": toToken.token: " + e.getMessage());
            }
        }
        throw new RestoreException("cannot restore: " + file + " has neither toTime nor toToken" + expected);
    }

    /**
     * Applies the restore {@code dataDir} asks for, if any.
     *
     * @param searchDir the node's search indexes, deleted when a store is rebuilt
     * @return the summary written to {@value #DONE_FILE}, if a restore was applied
     */
    static Optional<ObjectNode> applyIfRequested(Path dataDir, Journal journal, ShardStores stores, Path searchDir) {
        Path targetFile = dataDir.resolve(TARGET_FILE);
        Path doneFile = dataDir.resolve(DONE_FILE);
        if (!Files.exists(targetFile)) {
            return Optional.empty();
        }
        if (Files.exists(doneFile)) {
            throw new RestoreException("cannot restore: " + dataDir + " holds both " + TARGET_FILE + " and " + DONE_FILE
                    + ": it was restored already and may have taken writes since; restore the backup into a new"
                    + " data directory, or delete " + targetFile + " to start as it is");
        }
        Target target = parse(targetFile);
        log.info("Restoring {} to {} before the node starts", dataDir, target.toJson());
        JournalContents contents = journal.scan(target instanceof ToTime);
        Plan plan = plan(target, contents);
        Set<String> rebuild = new TreeSet<>();
        for (Map.Entry<String, Long> cut : plan.keepTo().entrySet()) {
            String pid = cut.getKey();
            long keep = cut.getValue();
            PersistenceIdEvents events = contents.persistenceIds().get(pid);
            if (pid.startsWith(SHARD_PREFIX)) {
                String entityId = pid.substring(SHARD_PREFIX.length());
                long applied;
                try (ShardStore store = stores.open(entityId)) {
                    applied = store.meta().appliedSeq();
                }
                if (applied > keep) {
                    if (events.deletedTo() > 0) {
                        throw new RestoreException("cannot restore to " + target.toJson() + ": collection "
                                + collectionOf(entityId) + " must be rebuilt from its journal up to event " + keep
                                + " of shard " + entityId + ", but its events up to " + events.deletedTo()
                                + " were deleted by journal retention (lumadb.shards.delete-events-on-snapshot);"
                                + " restore without a target, or to a later point");
                    }
                    rebuild.add(pid);
                    continue;
                }
                if (events.deletedTo() > applied) {
                    throw new RestoreException("cannot restore to " + target.toJson() + ": shard " + entityId
                            + " of collection " + collectionOf(entityId) + " needs events " + (applied + 1)
                            + ".." + keep + ", but retention deleted them up to " + events.deletedTo());
                }
            } else {
                long base = 0;
                for (long s : events.snapshotSeqs()) {
                    if (s <= keep) {
                        base = Math.max(base, s);
                    }
                }
                if (events.deletedTo() > base) {
                    throw new RestoreException("cannot restore to " + target.toJson() + ": entity " + pid
                            + " would be cut back to event " + keep + ", but its events up to "
                            + events.deletedTo() + " were deleted and no snapshot at or below " + keep + " remains");
                }
            }
        }
        Map<String, Integer> removed = journal.cut(contents, plan.keepTo(), rebuild);
        for (String pid : rebuild) {
            stores.drop(pid.substring(SHARD_PREFIX.length()));
        }
        if (!plan.keepTo().isEmpty()) {
            deleteRecursively(searchDir);
        }
        ObjectNode summary = summary(target, plan, removed, rebuild);
        writeDone(doneFile, summary);
        try {
            Files.delete(targetFile);
        } catch (IOException e) {
            throw new UncheckedIOException("restored, but cannot delete " + targetFile + "; delete it by hand", e);
        }
        log.info("Restored {} to {}: {}", dataDir, target.toJson(), summary);
        return Optional.of(summary);
    }

    /** Where each persistence id that loses events is cut, and the ordering others were cut at (token targets). */
    record Plan(Map<String, Long> keepTo, Long ordering) {}

    static Plan plan(Target target, JournalContents contents) {
        Map<String, Long> keepTo = new TreeMap<>();
        Long cutOrdering = null;
        switch (target) {
            case ToTime t -> {
                long millis = t.time().toEpochMilli();
                for (PersistenceIdEvents e : contents.persistenceIds().values()) {
                    if (e.seqs().length > 0) {
                        keep(keepTo, e, Math.max(e.lastSeqAtTime(millis), Math.min(e.deletedTo(), e.lastSeq())));
                    }
                }
            }
            case ToToken t -> {
                Map<String, PersistenceIdEvents> shards = collectionShards(t, contents);
                long maxKept = 0;
                long minRemoved = Long.MAX_VALUE;
                for (Map.Entry<String, PersistenceIdEvents> s : shards.entrySet()) {
                    PersistenceIdEvents e = s.getValue();
                    int n = shardNumber(s.getKey());
                    long keep = Math.max(0, t.token().seqs()[n]);
                    maxKept = Math.max(maxKept, e.lastOrderingAtOrBelow(keep));
                    for (int i = 0; i < e.seqs().length; i++) {
                        if (e.seqs()[i] > keep) {
                            minRemoved = Math.min(minRemoved, e.orderings()[i]);
                            break;
                        }
                    }
                    keep(keepTo, e, keep);
                }
                // Nothing kept: cut the rest just before the collection's first removed event.
                long ordering = maxKept > 0 ? maxKept : minRemoved == Long.MAX_VALUE ? Long.MAX_VALUE : minRemoved - 1;
                cutOrdering = ordering;
                for (PersistenceIdEvents e : contents.persistenceIds().values()) {
                    if (!shards.containsKey(e.persistenceId()) && e.seqs().length > 0) {
                        keep(keepTo, e, e.lastSeqAtOrdering(ordering));
                    }
                }
            }
        }
        return new Plan(keepTo, cutOrdering);
    }

    private static void keep(Map<String, Long> keepTo, PersistenceIdEvents e, long keep) {
        if (keep < e.lastSeq()) {
            keepTo.put(e.persistenceId(), keep);
        }
    }

    /** The shards of the token's collection in the journal, checked against the token. */
    private static Map<String, PersistenceIdEvents> collectionShards(ToToken t, JournalContents contents) {
        String prefix = SHARD_PREFIX + t.collection() + "/";
        Map<Long, Map<String, PersistenceIdEvents>> byIncarnation = new TreeMap<>();
        for (PersistenceIdEvents e : contents.persistenceIds().values()) {
            String pid = e.persistenceId();
            if (pid.startsWith(prefix)) {
                String[] rest = pid.substring(prefix.length()).split("/");
                if (rest.length == 2) {
                    byIncarnation
                            .computeIfAbsent(Long.parseLong(rest[0]), k -> new TreeMap<>())
                            .put(pid, e);
                }
            }
        }
        if (byIncarnation.isEmpty()) {
            throw new RestoreException(
                    "cannot restore to " + t.toJson() + ": the backup holds no events of collection " + t.collection());
        }
        long incarnation = ((TreeMap<Long, ?>) byIncarnation).lastKey();
        if (t.token().incarnation() != incarnation) {
            throw new RestoreException("cannot restore to " + t.toJson() + ": the token belongs to incarnation "
                    + t.token().incarnation() + " of " + t.collection() + ", but the backup holds incarnation "
                    + incarnation + " (the collection was dropped and created again)");
        }
        Map<String, PersistenceIdEvents> shards = byIncarnation.get(incarnation);
        int[] skips = t.token().skips();
        for (int n = 0; n < skips.length; n++) {
            if (skips[n] != 0) {
                throw new RestoreException("cannot restore to " + t.toJson()
                        + ": the token lies inside an event of shard "
                        + n + " (a write of several documents that is restored whole or not at all); use the token"
                        + " of that event's last change, or of the change before it");
            }
        }
        for (Map.Entry<String, PersistenceIdEvents> s : shards.entrySet()) {
            int n = shardNumber(s.getKey());
            if (n >= t.token().shards()) {
                throw new RestoreException("cannot restore to " + t.toJson() + ": the token has "
                        + t.token().shards() + " shards, but " + t.collection() + " has a shard " + n);
            }
            if (t.token().seqs()[n] > s.getValue().lastSeq()) {
                throw new RestoreException("cannot restore to " + t.toJson()
                        + ": the token is past what the backup holds"
                        + " (shard " + n + ": token at event " + t.token().seqs()[n] + ", backup at event "
                        + s.getValue().lastSeq() + ")");
            }
        }
        for (int n = 0; n < t.token().shards(); n++) {
            String pid = prefix + incarnation + "/" + n;
            if (!shards.containsKey(pid) && t.token().seqs()[n] > 0) {
                throw new RestoreException("cannot restore to " + t.toJson()
                        + ": the token is past what the backup holds" + " (shard " + n + " has no events in it)");
            }
        }
        return shards;
    }

    private static int shardNumber(String pid) {
        return Integer.parseInt(pid.substring(pid.lastIndexOf('/') + 1));
    }

    /** {@code db/coll} of a shard entity id {@code db/coll/incarnation/n}. */
    private static String collectionOf(String entityId) {
        String[] parts = entityId.split("/");
        return parts.length >= 2 ? parts[0] + "/" + parts[1] : entityId;
    }

    private static ObjectNode summary(Target target, Plan plan, Map<String, Integer> removed, Set<String> rebuilt) {
        ObjectNode out = JSON.createObjectNode();
        out.set("target", target.toJson());
        out.put("appliedAt", Instant.now().toString());
        if (plan.ordering() != null && plan.ordering() != Long.MAX_VALUE) {
            out.put("ordering", plan.ordering());
        }
        Map<String, long[]> collections = new TreeMap<>();
        Map<String, Integer> others = new TreeMap<>();
        removed.forEach((pid, n) -> {
            if (pid.startsWith(SHARD_PREFIX)) {
                long[] c = collections.computeIfAbsent(
                        collectionOf(pid.substring(SHARD_PREFIX.length())), k -> new long[2]);
                c[0] += n;
                if (rebuilt.contains(pid)) {
                    c[1]++;
                }
            } else {
                others.put(pid, n);
            }
        });
        ObjectNode byCollection = out.putObject("collections");
        collections.forEach((name, c) ->
                byCollection.putObject(name).put("eventsRemoved", c[0]).put("shardsRebuilt", c[1]));
        ObjectNode other = out.putObject("otherEntities");
        others.forEach(other::put);
        return out;
    }

    private static void writeDone(Path file, ObjectNode summary) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the search indexes in " + dir, e);
        }
    }
}
