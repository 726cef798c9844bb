package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption at rest end to end: a node with encryption on writes a document holding a unique
 * marker, and time-series points whose string field holds it (in sealed blocks, open points and
 * rolled-up windows), snapshots it (with shard images) and is restarted, so the data has gone through the WAL
 * into SST files; afterwards the marker's bytes are in no file of the data directory (RocksDB
 * SSTs, WAL, MANIFEST, logs: journal, snapshots and shard state alike), while the document and
 * the points read back intact over HTTP. The same run with encryption off finds the marker, so the scan can fail.
 * A key rotation then re-encrypts everything, after which the old key can go.
 */
@Timeout(180)
class EncryptionAtRestIT {

    @TempDir
    Path keys;

    private static Map<String, Object> settings(Path keyFile) {
        Map<String, Object> settings = new HashMap<>();
        // Snapshots every 2 events, carrying the shard's documents: the snapshot store gets the marker too.
        settings.put("lumadb.shards.snapshot-every", 2);
        settings.put("lumadb.shards.snapshot-documents", "on");
        settings.put("lumadb.metrics.shard-sample-interval", "200ms");
        if (keyFile != null) {
            settings.put("lumadb.encryption.enabled", "on");
            settings.put("lumadb.encryption.key-file", keyFile.toString());
        }
        return settings;
    }

    /** What one run leaves: the files holding the marker, and every file name. */
    private record Scan(List<String> withMarker, List<String> files) {}

    /** Writes the marker document and more, restarts the node, reads it back, and scans the directory. */
    private static Scan writeRestartAndScan(Path dir, Map<String, Object> settings, String marker) throws Exception {
        String collection;
        String body = "{\"_id\":\"doc-1\",\"secret\":\"" + marker + "\",\"n\":42}";
        try (InProcessServer server = InProcessServer.on(dir, settings)) {
            TestHttp http = server.http();
            collection = "/api/v1/enc/c";
            assertEquals(201, http.method("PUT", "/api/v1/enc", null, null).status());
            assertEquals(201, http.put(collection, "{\"shards\":1}").status());
            http.putDocument(collection, "doc-1", body);
            for (int i = 0; i < 6; i++) {
                http.putDocument(collection, "other-" + i, "{\"n\":" + i + "}");
            }
            assertDocument(http, collection, marker);
            // Time series: the marker as a string field in a block that seals, in open points and
            // in rolled-up windows (the windows hold its first and last values).
            assertEquals(
                    201,
                    http.put(
                                    SERIES,
                                    "{\"kind\":\"timeseries\",\"shards\":1,\"timeseries\":{\"downsampling\":"
                                            + "[{\"every\":\"1m\",\"aggregates\":[\"first\",\"last\",\"count\"]}]}}")
                            .status());
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 3 * 60; i++) {
                lines.append("m,host=a note=\"")
                        .append(i % 60 == 0 ? marker : "n" + i)
                        .append("\",v=")
                        .append(i)
                        .append("i ")
                        .append(SERIES_T0 + i * 60L)
                        .append('\n');
            }
            TestHttp.Response wrote =
                    http.method("POST", "/api/v2/write?bucket=enc/ts&precision=s", "text/plain", lines.toString());
            assertEquals(204, wrote.status(), wrote.toString());
            assertSeries(http, marker);
        }
        try (InProcessServer server = InProcessServer.on(dir, settings)) {
            assertDocument(server.http(), collection, marker);
            assertSeries(server.http(), marker);
        }
        return scan(dir, marker);
    }

    private static final String SERIES = "/api/v1/enc/ts";
    /** 2026-12-01T00:00:00Z, in seconds. */
    private static final long SERIES_T0 = 1_764_547_200L;

    /** Every point of the time series reads back, the marker at the start of each hour. */
    private static void assertSeries(TestHttp http, String marker) {
        TestHttp.Response read = http.method(
                "POST",
                SERIES + "/_tsquery",
                "application/json",
                "{\"from\":" + SERIES_T0 * 1_000_000_000L + ",\"limit\":1000}");
        assertEquals(200, read.status(), read.toString());
        JsonNode rows = read.json().path("groups").path(0).path("rows");
        assertEquals(180, rows.size(), read.toString());
        for (int i = 0; i < 180; i++) {
            assertEquals(
                    i % 60 == 0 ? marker : "n" + i,
                    rows.get(i).path("note").asText(),
                    rows.get(i).toString());
            assertEquals(i, rows.get(i).path("v").asLong());
        }
        TestHttp.Response windows = http.method(
                "POST",
                SERIES + "/_tsquery",
                "application/json",
                "{\"from\":" + SERIES_T0 * 1_000_000_000L + ",\"window\":\"1h\",\"aggregates\":[\"first\"],"
                        + "\"fields\":[\"note\"]}");
        assertEquals(200, windows.status(), windows.toString());
        assertEquals(marker, windows.json().at("/groups/0/rows/0/note/first").asText(), windows.toString());
    }

    private static void assertDocument(TestHttp http, String collection, String marker) {
        TestHttp.Response read = http.get(collection + "/doc-1");
        assertEquals(200, read.status(), read.toString());
        assertEquals(marker, read.json().get("secret").asText());
        assertEquals(42, read.json().get("n").asInt());
    }

    private static Scan scan(Path dir, String marker) throws IOException {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        List<String> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path file : all.filter(Files::isRegularFile).toList()) {
                String name = dir.relativize(file).toString();
                files.add(name);
                if (contains(Files.readAllBytes(file), needle)) {
                    found.add(name);
                }
            }
        }
        return new Scan(found, files);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void withEncryptionOnTheMarkerIsInNoFileOfTheDataDirectory() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-enc-it");
        try {
            String marker = "marker-" + UUID.randomUUID();
            Scan scan = writeRestartAndScan(dir, settings(TestKeys.keyFile(keys, 1)), marker);
            assertTrue(scan.files().stream().anyMatch(f -> f.endsWith(".sst")), "no SST file: " + scan.files());
            assertEquals(List.of(), scan.withMarker(), "files holding the marker in clear (of " + scan.files() + ")");
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    @Test
    void withEncryptionOffTheScanFindsTheMarker() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-enc-it");
        try {
            String marker = "marker-" + UUID.randomUUID();
            Scan scan = writeRestartAndScan(dir, settings(null), marker);
            assertTrue(
                    scan.withMarker().stream().anyMatch(f -> f.endsWith(".sst")),
                    "the marker should be in an SST file in clear: " + scan.withMarker());
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    @Test
    void rotationReencryptsEverythingSoTheOldKeyCanGo() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-enc-it");
        try {
            String marker = "marker-" + UUID.randomUUID();
            Scan first = writeRestartAndScan(dir, settings(TestKeys.keyFile(keys, 1)), marker);
            assertEquals(List.of(), first.withMarker());
            // Key 2 added (and active, as the highest id): old data reads, the background task rewrites it.
            try (InProcessServer server = InProcessServer.on(dir, settings(TestKeys.keyFile(keys, 1, 2)))) {
                assertDocument(server.http(), "/api/v1/enc/c", marker);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!metric(server.http(), "lumadb_encryption_reencrypted_values")
                        .equals("done")) {
                    assertTrue(System.nanoTime() < deadline, "re-encryption did not finish");
                    Thread.sleep(100);
                }
            }
            // Key 1 removed: everything still reads, since all was rewritten under key 2.
            try (InProcessServer server = InProcessServer.on(dir, settings(TestKeys.keyFile(keys, 2)))) {
                assertDocument(server.http(), "/api/v1/enc/c", marker);
                assertSeries(server.http(), marker);
                TestHttp.Response list = server.http().get("/api/v1/enc/c");
                assertEquals(200, list.status(), list.toString());
            }
            assertFalse(scan(dir, marker).withMarker().iterator().hasNext());
            // A key file without key 2 now fails reads naming the key id... and a malformed one fails the start.
            Path shortKey = keys.resolve("short");
            Files.writeString(shortKey, "1:" + Base64.getEncoder().encodeToString(new byte[16]) + "\n");
            Files.setPosixFilePermissions(shortKey, PosixFilePermissions.fromString("rw-------"));
            RuntimeException e =
                    assertThrows(RuntimeException.class, () -> InProcessServer.on(dir, settings(shortKey)));
            assertTrue(e.getMessage().contains("lumadb.encryption.key-file"), e.getMessage());
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    /** "done" once the metrics show values re-encrypted and the task no longer running. */
    private static String metric(TestHttp http, String name) {
        String text = http.get("/metrics").body();
        double rewritten = -1;
        double running = -1;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                rewritten = Double.parseDouble(line.substring(name.length() + 1).strip());
            } else if (line.startsWith("lumadb_encryption_reencryption_running ")) {
                running =
                        Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
            }
        }
        return rewritten > 0 && running == 0 ? "done" : rewritten + "/" + running;
    }
}
