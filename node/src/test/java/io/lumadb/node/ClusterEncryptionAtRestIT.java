package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.persistence.crypto.SealedMessageFormat;
import io.lumadb.testkit.Ports;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestKeys;
import io.lumadb.testkit.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption at rest in cluster mode, end to end on a real PostgreSQL: one node on a database of
 * its own writes a document in clear (the checks below find it, so they can fail), is restarted
 * with encryption on, reads it, seals the old rows in the background and writes a document holding
 * a second marker. Then neither marker is in any row of the journal and snapshot tables (nor in
 * pg_dump's output, when pg_dump is installed), every row is sealed, and a node started on an empty
 * data directory (so it recovers from the encrypted snapshots and journal) reads both documents.
 * A second key is added and made active: after the re-encryption no row is under key 1, and a node
 * holding only key 2 reads everything.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterEncryptionAtRestIT {

    private static final String COLLECTION = "/api/v1/enc/c";

    @TempDir
    Path temp;

    private String database;

    private Map<String, Object> settings(Path keyFile) {
        Map<String, Object> s = new java.util.HashMap<>();
        s.put("lumadb.mode", "cluster");
        s.put("lumadb.cluster.port", Ports.free());
        s.put("lumadb.management.port", Ports.free());
        s.put("lumadb.cluster.postgres.url", TestPostgres.jdbcUrl(database));
        // Snapshots (with the shard's documents, as always in cluster mode) every 2 events.
        s.put("lumadb.shards.snapshot-every", 2);
        s.put("lumadb.metrics.shard-sample-interval", "200ms");
        s.put("lumadb.encryption.reencrypt.pause", "1ms");
        if (keyFile != null) {
            s.put("lumadb.encryption.enabled", "on");
            s.put("lumadb.encryption.key-file", keyFile.toString());
        }
        return s;
    }

    /** A node on a fresh data directory: whatever it reads comes from PostgreSQL. */
    private InProcessServer start(Path keyFile) throws Exception {
        return InProcessServer.on(Files.createTempDirectory(temp, "node"), settings(keyFile));
    }

    @Test
    void journalAndSnapshotRowsAreSealedAndReadBackAfterRestartsAndRotation() throws Exception {
        TestPostgres.ensureRunning();
        database = TestPostgres.createDatabase();
        try {
            String before = "clear-marker-" + UUID.randomUUID();
            String marker = "sealed-marker-" + UUID.randomUUID();

            // 1. Encryption off: the rows hold the document in clear, and the checks see it.
            try (InProcessServer node = start(null)) {
                TestHttp http = node.http();
                awaitStatus(http, "PUT", "/api/v1/enc", 201);
                awaitStatus(http, "PUT", COLLECTION, 201, "{\"shards\":1}");
                writeDocuments(http, "before", before);
            }
            assertTrue(
                    TestPostgres.journalRowsHolding(database, before) > 0,
                    "the clear journal should hold the first marker");
            if (onPath("pg_dump")) {
                assertTrue(dumpHolds(before), "pg_dump of the clear journal should hold the first marker");
            }

            // 2. Encryption on (key 1): the old rows read and get sealed; new ones are sealed at once.
            Path key1 = TestKeys.keyFile(temp, 1);
            try (InProcessServer node = start(key1)) {
                TestHttp http = node.http();
                awaitDocument(http, "before", before);
                writeDocuments(http, "after", marker);
                assertDocument(http, "after", marker);
                awaitNoStaleRows(1);
            }
            assertEquals(0, TestPostgres.journalRowsHolding(database, before), "rows still holding the first marker");
            assertEquals(0, TestPostgres.journalRowsHolding(database, marker), "rows holding the second marker");
            assertFalse(dumpHolds(before) || dumpHolds(marker), "pg_dump holds a marker in clear");
            assertTrue(count("SELECT count(*) FROM snapshot") > 0, "no snapshot was taken");
            assertEquals(List.of(), unsealedRows(1));

            // 3. Restart on an empty data directory: recovery from the sealed snapshots and journal.
            try (InProcessServer node = start(key1)) {
                awaitDocument(node.http(), "before", before);
                assertDocument(node.http(), "after", marker);
            }

            // 4. Rotation: key 2 added and active. Old rows read; the re-encryption moves them to key 2.
            try (InProcessServer node = start(TestKeys.keyFile(temp, 1, 2))) {
                awaitDocument(node.http(), "after", marker);
                assertDocument(node.http(), "before", before);
                node.http().putDocument(COLLECTION, "rotated", "{\"n\":2}");
                awaitNoStaleRows(2);
            }
            assertEquals(List.of(), unsealedRows(2));
            assertEquals(
                    0,
                    count("SELECT count(*) FROM event_journal WHERE substring(event_payload from 3 for 2)"
                            + " = '\\x0001'::bytea"));
            assertEquals(
                    0,
                    count("SELECT count(*) FROM snapshot WHERE substring(snapshot_payload from 3 for 2)"
                            + " = '\\x0001'::bytea"));

            // 5. Key 1 gone: everything still reads, from PostgreSQL alone.
            try (InProcessServer node = start(TestKeys.keyFile(temp, 2))) {
                awaitDocument(node.http(), "before", before);
                assertDocument(node.http(), "after", marker);
                assertEquals(200, node.http().get(COLLECTION + "/rotated").status());
            }
        } finally {
            TestPostgres.dropDatabase(database);
        }
    }

    /** The marker document plus enough others for several snapshots. */
    private static void writeDocuments(TestHttp http, String id, String marker) {
        http.putDocument(COLLECTION, id, "{\"secret\":\"" + marker + "\",\"n\":42}");
        for (int i = 0; i < 5; i++) {
            http.putDocument(COLLECTION, id + "-" + i, "{\"n\":" + i + "}");
        }
    }

    private static void assertDocument(TestHttp http, String id, String marker) {
        TestHttp.Response read = http.get(COLLECTION + "/" + id);
        assertEquals(200, read.status(), read.toString());
        assertEquals(marker, read.json().get("secret").asText());
        assertEquals(42, read.json().get("n").asInt());
    }

    /** Reads the document once the node's shards are up (a new cluster takes a moment). */
    private static void awaitDocument(TestHttp http, String id, String marker) throws InterruptedException {
        awaitStatus(http, "GET", COLLECTION + "/" + id, 200);
        assertDocument(http, id, marker);
    }

    private static void awaitStatus(TestHttp http, String method, String path, int status, String... body)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TestHttp.Response last;
        do {
            last = http.method(
                    method, path, body.length == 0 ? null : "application/json", body.length == 0 ? null : body[0]);
            if (last.status() == status) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(method + " " + path + " did not answer " + status + ": " + last);
    }

    private Connection connect() throws SQLException {
        return TestPostgres.connect(database);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = connect();
                var s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * The rows not sealed under {@code keyId}, as "table persistence_id/seq ser_id manifest". Every
     * row of the journal and the snapshots is a LumaDB event or snapshot, so every one should be.
     */
    private List<String> unsealedRows(int keyId) throws SQLException {
        List<String> out = new ArrayList<>();
        byte[] id = {(byte) (keyId >>> 8), (byte) keyId};
        for (String table : List.of("event_journal event", "snapshot snapshot")) {
            String name = table.split(" ")[0];
            String prefix = table.split(" ")[1];
            String sql = "SELECT persistence_id, sequence_number, %1$s_ser_id, %1$s_ser_manifest FROM %2$s"
                            .formatted(prefix, name)
                    + " WHERE %1$s_ser_id <> ? OR substring(%1$s_payload from 3 for 2) <> ?".formatted(prefix);
            try (Connection c = connect();
                    PreparedStatement s = c.prepareStatement(sql)) {
                s.setInt(1, SealedMessageFormat.SERIALIZER_ID);
                s.setBytes(2, id);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(name + " " + r.getString(1) + "/" + r.getLong(2) + " " + r.getInt(3) + " "
                                + r.getString(4));
                    }
                }
            }
        }
        return out;
    }

    /** Waits until the node's background re-encryption has sealed every row under {@code keyId}. */
    private void awaitNoStaleRows(int keyId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> stale;
        while (!(stale = unsealedRows(keyId)).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "rows not sealed under key " + keyId + ": " + stale);
            Thread.sleep(200);
        }
    }

    /**
     * Whether pg_dump's output for the database holds {@code marker}, as text or as the hex that
     * pg_dump writes bytea columns in; false without pg_dump on the PATH (the SQL checks remain).
     */
    private boolean dumpHolds(String marker) throws Exception {
        if (!onPath("pg_dump")) {
            return false;
        }
        Path out = temp.resolve("dump-" + UUID.randomUUID() + ".sql");
        Process p = new ProcessBuilder(
                        "pg_dump",
                        "-h",
                        TestPostgres.HOST,
                        "-p",
                        String.valueOf(TestPostgres.PORT),
                        "-U",
                        TestPostgres.USER,
                        "--data-only",
                        database)
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "pg_dump did not finish");
            assertEquals(0, p.exitValue(), "pg_dump failed");
            String dump = Files.readString(out, StandardCharsets.ISO_8859_1);
            String hex = HexFormat.of().formatHex(marker.getBytes(StandardCharsets.UTF_8));
            return dump.contains(marker)
                    || dump.toLowerCase(java.util.Locale.ROOT).contains(hex);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
