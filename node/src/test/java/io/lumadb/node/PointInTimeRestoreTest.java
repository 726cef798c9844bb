package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.cdc.ResumeToken;
import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.JournalContents.PersistenceIdEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a restore target is read and turned into the cut of each persistence id. */
class PointInTimeRestoreTest {

    @TempDir
    Path dir;

    /** Events 1..n of {@code pid} with the given orderings and timestamps. */
    private static PersistenceIdEvents events(String pid, long[] orderings, long[] timestamps) {
        long[] seqs = new long[orderings.length];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = i + 1;
        }
        return new PersistenceIdEvents(pid, seqs.length, 0, seqs, orderings, timestamps, new long[0]);
    }

    private static JournalContents journal(PersistenceIdEvents... ids) {
        Map<String, PersistenceIdEvents> byId = new java.util.HashMap<>();
        for (PersistenceIdEvents e : ids) {
            byId.put(e.persistenceId(), e);
        }
        return new JournalContents(100, 0, byId);
    }

    private static final PersistenceIdEvents CATALOG =
            events("catalog|catalog", new long[] {1, 2, 9}, new long[] {10, 20, 90});
    private static final PersistenceIdEvents A0 =
            events("shard|db/a/5/0", new long[] {3, 5, 7}, new long[] {30, 50, 70});
    private static final PersistenceIdEvents A1 =
            events("shard|db/a/5/1", new long[] {4, 6, 8}, new long[] {40, 60, 80});

    @Test
    void aTimeKeepsEveryEntitysEventsUpToIt() {
        var plan = PointInTimeRestore.plan(
                new PointInTimeRestore.ToTime(Instant.ofEpochMilli(55)), journal(CATALOG, A0, A1));
        assertEquals(Map.of("catalog|catalog", 2L, "shard|db/a/5/0", 2L, "shard|db/a/5/1", 1L), plan.keepTo());
    }

    @Test
    void aTokenCutsItsShardsThereAndTheRestAtTheOrderingOfTheLastKeptEvent() {
        ResumeToken token = ResumeToken.at(5, new long[] {1, 2});
        var plan = PointInTimeRestore.plan(
                new PointInTimeRestore.ToToken("db/a", token.encode(), token), journal(CATALOG, A0, A1));
        // a keeps orderings 3 (shard 0) and 4, 6 (shard 1): the catalog keeps what came before 6.
        assertEquals(Map.of("catalog|catalog", 2L, "shard|db/a/5/0", 1L, "shard|db/a/5/1", 2L), plan.keepTo());
        assertEquals(6L, plan.ordering());
    }

    @Test
    void aTokenOfAnotherIncarnationInsideAnEventOrPastTheBackupIsRefused() {
        for (ResumeToken token : List.of(
                ResumeToken.at(4, new long[] {1, 2}),
                new ResumeToken(5, new long[] {1, 2}, new int[] {0, 1}),
                ResumeToken.at(5, new long[] {1, 9}))) {
            var e = assertThrows(
                    PointInTimeRestore.RestoreException.class,
                    () -> PointInTimeRestore.plan(
                            new PointInTimeRestore.ToToken("db/a", token.encode(), token), journal(CATALOG, A0, A1)));
            assertTrue(e.getMessage().contains("db/a"), e.getMessage());
        }
    }

    @Test
    void malformedTargetsAreRefusedWithTheAcceptedForms() throws Exception {
        for (String text : List.of(
                "not json",
                "[]",
                "{}",
                "{\"toTime\": 5}",
                "{\"toTime\": \"yesterday\"}",
                "{\"toToken\": {\"collection\": \"a\", \"token\": \"x\"}}",
                "{\"toToken\": {\"collection\": \"db/a\", \"token\": \"!!\"}}",
                "{\"toTime\": \"2026-01-01T00:00:00Z\", \"toToken\": {}}")) {
            Path file = Files.writeString(dir.resolve("restore-target.json"), text);
            var e = assertThrows(PointInTimeRestore.RestoreException.class, () -> PointInTimeRestore.parse(file));
            assertTrue(e.getMessage().contains("restore-target.json"), text + " -> " + e.getMessage());
        }
        Path ok = Files.writeString(dir.resolve("restore-target.json"), "{\"toTime\": \"2026-01-01T00:00:00Z\"}");
        assertEquals(
                new PointInTimeRestore.ToTime(Instant.parse("2026-01-01T00:00:00Z")), PointInTimeRestore.parse(ok));
    }

    @Test
    void aClusterModeNodeSaysHowAClusterIsBackedUp() {
        NodeBackups backups =
                new NodeBackups(dir, target -> null, null, true, false, List.of(), dir.resolve("search"), "dev");
        try {
            String reason = backups.unavailable().orElseThrow();
            assertTrue(reason.contains("pg_dump") && reason.contains("WAL archiving"), reason);
            assertTrue(backups.create().toCompletableFuture().isCompletedExceptionally());
        } finally {
            backups.close();
        }
    }
}
