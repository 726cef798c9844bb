package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Migrations under {@code kill -9}: the real server process moves documents to the cold tier
 * (its policy runs every 200 ms and finds every document cold) while some are rewritten, and is
 * killed at a random moment of that, 12 times. After each restart and at the end, every
 * acknowledged document reads back with its version and content, whatever tier it is in; at the
 * end, once the policy has run undisturbed, they are all cold.
 */
@Timeout(600)
class TieringCrashIT {

    private static final int DOCUMENTS = 1500;
    /**
     * Kills per run: each costs a restart and a read-back of every document, 10-20 s on a busy
     * 2-CPU machine, so 12 keep this test near two minutes of the suite's budget (20 took up to
     * six). The kill points are random within migrations either way.
     */
    private static final int KILLS = 12;

    private static final String C = "/api/v1/crash/docs";

    @Test
    void everyAcknowledgedDocumentReadsBackAfterKill9AtRandomPointsOfMigrations() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-tiering-crash");
        NodeProcess server = NodeProcess.builder(dir)
                .jvmOptions(
                        "-Dlumadb.tiering.check-interval=200ms",
                        "-Dlumadb.tiering.sample-interval=100ms",
                        "-Dlumadb.tiering.segment-bytes=16KiB",
                        "-Dlumadb.tiering.segments-per-step=1")
                .build();
        try {
            server.start();
            run(server);
        } finally {
            try {
                server.close();
            } finally {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    private void run(NodeProcess server) throws Exception {
        TestHttp http = new TestHttp(server.port());
        assertEquals(201, http.method("PUT", "/api/v1/crash", null, null).status());
        assertEquals(201, http.put(C, "{\"shards\":3}").status());
        TieringIT.load(http, C, 0, DOCUMENTS);
        // Version and content of every acknowledged document: n, or -n-1 for the rewrite number.
        Map<String, Long> versions = new HashMap<>();
        Map<String, Integer> contents = new HashMap<>();
        for (int n = 0; n < DOCUMENTS; n++) {
            versions.put(
                    TieringIT.id(n),
                    ok(http.get(C + "/" + TieringIT.id(n))).get("_version").asLong());
            contents.put(TieringIT.id(n), n);
        }
        assertEquals(
                200,
                http.put(C + "/_tiering", "{\"policy\":{\"idleFor\":\"1ms\"}}").status());
        Random random = new Random(7);
        int rewrites = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            // Make some documents warm again, so the next migration has work to do.
            for (int i = 0; i < 100; i++) {
                int n = random.nextInt(DOCUMENTS);
                int version = DOCUMENTS + rewrites++;
                TestHttp.Response r = http.put(
                        C + "/" + TieringIT.id(n), TieringIT.content(version).toString());
                assertEquals(200, r.status(), r.toString());
                versions.put(TieringIT.id(n), r.json().get("_version").asLong());
                contents.put(TieringIT.id(n), version);
            }
            Thread.sleep(100 + random.nextInt(1000));
            server.kill9();
            server.start();
            http = new TestHttp(server.port());
            verify(http, versions, contents);
        }
        // Undisturbed, the policy makes everything cold.
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode tiers;
        do {
            Thread.sleep(500);
            tiers = ok(http.get(C + "/_tiering"));
        } while (tiers.at("/tiers/warm/documents").asLong() > 0 && System.nanoTime() < deadline);
        assertEquals(0, tiers.at("/tiers/warm/documents").asLong(), tiers.toString());
        assertEquals(DOCUMENTS, tiers.at("/tiers/cold/documents").asLong(), tiers.toString());
        assertTrue(server.starts() > KILLS);
        verify(http, versions, contents);
    }

    private static void verify(TestHttp http, Map<String, Long> versions, Map<String, Integer> contents)
            throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            var parts = new java.util.ArrayList<CompletableFuture<Void>>();
            var ids = new java.util.ArrayList<>(versions.keySet());
            for (int t = 0; t < 3; t++) {
                int first = t;
                parts.add(CompletableFuture.runAsync(
                        () -> {
                            for (int i = first; i < ids.size(); i += 3) {
                                String id = ids.get(i);
                                TestHttp.Response r = http.get(C + "/" + id);
                                assertEquals(200, r.status(), r.toString());
                                JsonNode d = r.json();
                                assertEquals(versions.get(id), d.get("_version").asLong(), id);
                                assertEquals(TieringIT.content(contents.get(id)), TieringIT.written(d), id);
                            }
                        },
                        pool));
            }
            for (var p : parts) {
                p.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static JsonNode ok(TestHttp.Response r) {
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }
}
