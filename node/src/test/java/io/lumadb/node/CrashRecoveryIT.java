package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durability under {@code kill -9}: several clients write to the real server process while it
 * is killed at random moments and restarted; afterwards every acknowledged write must be there
 * with the version it was acknowledged with.
 */
@Timeout(300)
class CrashRecoveryIT {

    private static final int CLIENTS = 4;
    private static final int MIN_ACKED = 1200;
    private static final int KILLS = 4;

    private Path dir;
    private NodeProcess server;

    /** What a client knows of one document: the last write the server acknowledged. */
    private record Acked(long version, int seq) {}

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("lumadb-crash-it");
        server = new NodeProcess(dir);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            server.close();
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesRepeatedKill9() throws Exception {
        TestHttp http = new TestHttp(server.port());
        assertEquals(201, http.method("PUT", "/api/v1/crash", null, null).status());
        assertEquals(
                201,
                http.method("PUT", "/api/v1/crash/docs", "application/json", "{\"shards\":4}")
                        .status());

        Map<String, Acked> acked = new ConcurrentHashMap<>();
        AtomicInteger ackCount = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            done.add(clients.submit(() -> {
                Random random = new Random(client);
                int seq = 0;
                while (running.get()) {
                    seq++;
                    // Mostly new documents; every fifth write overwrites one of this client's own earlier ones.
                    String id = "c" + client + "-" + (seq % 5 == 0 && seq > 5 ? random.nextInt(seq - 1) + 1 : seq);
                    String body = "{\"client\":" + client + ",\"seq\":" + seq + ",\"pad\":\"" + "p".repeat(200) + "\"}";
                    try {
                        TestHttp.Response r = http.put("/api/v1/crash/docs/" + id, body);
                        if (r.status() == 200 || r.status() == 201) {
                            acked.put(id, new Acked(r.json().get("_version").asLong(), seq));
                            ackCount.incrementAndGet();
                        } else {
                            failures.incrementAndGet();
                        }
                    } catch (RuntimeException serverDown) {
                        failures.incrementAndGet();
                        sleep(50);
                    }
                }
            }));
        }

        Random random = new Random(42);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
        int kills = 0;
        while ((kills < KILLS || ackCount.get() < MIN_ACKED) && System.nanoTime() < deadline) {
            sleep(300 + random.nextInt(1500));
            if (kills < KILLS) {
                server.kill9();
                kills++;
                server.start();
            }
        }
        running.set(false);
        clients.shutdown();
        assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS));
        for (var f : done) {
            f.get();
        }
        assertEquals(KILLS, kills);
        assertTrue(ackCount.get() >= MIN_ACKED, "only " + ackCount.get() + " writes were acknowledged");

        // A clean restart, then every acknowledged write must be readable with its version.
        server.terminate();
        assertTrue(
                java.nio.file.Files.readString(server.log()).contains("Closed RocksDB"),
                "SIGTERM did not shut the node down cleanly (RocksDB was not closed)");
        server.start();
        int checked = 0;
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            TestHttp.Response r = http.get("/api/v1/crash/docs/" + e.getKey());
            assertEquals(200, r.status(), e.getKey() + ": " + r);
            JsonNode doc = r.json();
            Acked a = e.getValue();
            // A later write of the same document may have reached the journal without its
            // acknowledgement reaching the client (killed in between); then the version is higher.
            long version = doc.get("_version").asLong();
            assertTrue(
                    version >= a.version(), e.getKey() + " lost its acknowledged version " + a.version() + ": " + doc);
            if (version == a.version()) {
                assertEquals(
                        a.seq(), doc.get("seq").asInt(), e.getKey() + " has other content than acknowledged: " + doc);
            }
            assertEquals("\"" + version + "\"", r.header("ETag"));
            checked++;
        }
        assertEquals(acked.size(), checked);
        long count = http.get("/api/v1/crash/docs").json().get("documentCount").asLong();
        assertTrue(
                count >= acked.size(),
                "collection counts " + count + " documents, " + acked.size() + " were acknowledged");
        System.out.printf(
                "CrashRecoveryIT: %d kills, %d acknowledged writes of %d documents verified, %d failed or in-doubt requests%n",
                kills, ackCount.get(), acked.size(), failures.get());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
