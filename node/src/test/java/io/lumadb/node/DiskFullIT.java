package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.Cleanup;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.SmallDisk;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real full disk: the node's RocksDB directory is a small tmpfs (128 MiB: RocksDB resumes only once a memtable, 32 MiB, fits again), filled up by a filler file
 * until writes fail. While the disk is full, writes answer 503 and {@code /ready} says why;
 * once the filler is deleted, the node takes writes again by itself (no restart), {@code
 * /ready} answers 200, every acknowledged write reads back and no write that failed was half
 * applied. Needs root (mount); skipped otherwise.
 */
@Timeout(120)
class DiskFullIT {

    private static final String STORAGE_PROBLEM = "urn:lumadb:problem:storage-unavailable";
    /** Large documents fill the disk in a few dozen writes. */
    private static final int PAD_CHARS = 256 * 1024;

    private Path dir;
    private Path rocksDir;
    private SmallDisk disk;
    private NodeProcess server;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        dir = Files.createTempDirectory("lumadb-diskfull-it");
        // The node keeps RocksDB in <data-dir>/rocksdb; its log stays outside, on the real disk.
        rocksDir = Files.createDirectories(dir.resolve("rocksdb"));
        disk = SmallDisk.mount(rocksDir, "128m");
    }

    @AfterEach
    void unmountAndDelete() throws Exception {
        Cleanup.closeAll(server, disk, () -> TestFiles.deleteRecursively(dir));
    }

    @Test
    void writesRecoverByThemselvesOnceSpaceIsFreed() throws Exception {
        long t0 = System.nanoTime();
        server = new NodeProcess(dir);
        server.start();
        TestHttp http = new TestHttp(server.port());
        String docs = http.freshCollection("diskfull", 2);
        Random random = new Random(12);

        // Acknowledged writes before and while the disk fills; the failed ones are remembered too.
        Map<String, String> acked = new LinkedHashMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            write(http, docs, "before-" + i, pad(random), acked, failed);
        }
        assertTrue(failed.isEmpty(), "writes failed before the disk was full: " + failed.keySet());
        assertReady(http);

        System.out.printf("DiskFullIT: started and wrote in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        Path filler = rocksDir.resolve("filler.bin");
        assertFalse(disk.fill(filler) == 0, "the filler took no space");
        int status = 0;
        for (int i = 0; i < 200 && status != 503; i++) {
            status = write(http, docs, "filling-" + i, pad(random), acked, failed);
        }
        assertEquals(503, status, "writes never failed on a full disk (" + acked.size() + " acknowledged)");

        TestHttp.Response notReady = awaitStatus(() -> http.get("/ready"), r -> r.status() == 503, 20);
        assertEquals(503, notReady.status(), "/ready while the disk is full: " + notReady);
        assertTrue(notReady.contentType().startsWith("application/problem+json"), notReady.contentType());
        assertEquals(STORAGE_PROBLEM, notReady.json().path("type").asText(), notReady.body());
        assertEquals("no-space", notReady.json().path("condition").asText(), notReady.body());
        assertTrue(notReady.json().path("detail").asText().contains("writes resume once at least"), notReady.body());
        assertEquals(200, http.get("/health").status(), "/health is liveness and stays 200");
        // Still full: a write is refused, and the answer says so.
        TestHttp.Response refused = http.put(docs + "/while-full", "{\"pad\":\"x\"}");
        assertEquals(503, refused.status(), "write while the disk is full: " + refused);
        assertTrue(refused.json().path("detail").asText().contains("no space left"), refused.body());
        failed.put("while-full", "x");
        assertTrue(
                awaitMetrics(http, "lumadb_storage_writable", 0.0),
                "lumadb_storage_writable is not 0 while the disk is full");

        System.out.printf(
                "DiskFullIT: disk full, %d writes acknowledged, at %d ms%n",
                acked.size(), (System.nanoTime() - t0) / 1_000_000);
        Files.delete(filler);
        long freed = System.nanoTime();

        // No restart: the node must take writes again by itself.
        TestHttp.Response after =
                awaitStatus(() -> http.put(docs + "/after-0", "{\"pad\":\"after\"}"), r -> r.status() / 100 == 2, 60);
        assertTrue(after.status() / 100 == 2, "writes still fail after space was freed: " + after);
        acked.put("after-0", "after");
        System.out.printf(
                "DiskFullIT: writes again %d ms after the filler was deleted%n",
                (System.nanoTime() - freed) / 1_000_000);
        for (int i = 1; i < 5; i++) {
            write(http, docs, "after-" + i, pad(random), acked, failed);
        }
        assertTrue(failed.keySet().stream().noneMatch(id -> id.startsWith("after-")), "writes failed after recovery");
        TestHttp.Response ready = awaitStatus(() -> http.get("/ready"), r -> r.status() == 200, 20);
        assertEquals(200, ready.status(), "/ready after space was freed: " + ready);
        assertTrue(
                awaitMetrics(http, "lumadb_storage_writable", 1.0), "lumadb_storage_writable is not 1 after recovery");
        assertTrue(
                metricValue(http.get("/metrics").body(), "lumadb_storage_no_space_errors_total") >= 1,
                "no-space errors were not counted");

        verify(http, docs, acked, failed);
    }

    /** Writes one document; records it as acknowledged (2xx) or failed (503); returns the status. */
    private static int write(
            TestHttp http, String docs, String id, String pad, Map<String, String> acked, Map<String, String> failed) {
        TestHttp.Response r = http.put(docs + "/" + id, "{\"pad\":\"" + pad + "\"}");
        if (r.status() / 100 == 2) {
            acked.put(id, pad);
        } else if (r.status() == 503) {
            assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
            failed.put(id, pad);
        } else {
            fail("write " + id + " answered " + r);
        }
        return r.status();
    }

    /**
     * Every acknowledged document reads back as written; a failed write either took effect as a
     * whole or not at all.
     */
    private static void verify(TestHttp http, String docs, Map<String, String> acked, Map<String, String> failed) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : acked.entrySet()) {
            TestHttp.Response r = http.get(docs + "/" + e.getKey());
            if (r.status() != 200 || !e.getValue().equals(r.json().path("pad").asText())) {
                problems.add("acknowledged " + e.getKey() + " reads back as " + r.status());
            }
        }
        for (Map.Entry<String, String> e : failed.entrySet()) {
            TestHttp.Response r = http.get(docs + "/" + e.getKey());
            if (r.status() == 200 && !e.getValue().equals(r.json().path("pad").asText())) {
                problems.add("failed write " + e.getKey() + " was half applied");
            } else if (r.status() != 200 && r.status() != 404) {
                problems.add("failed write " + e.getKey() + " reads back as " + r);
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        TestHttp.Response all = http.get(docs + "/_docs?limit=1000");
        assertEquals(200, all.status(), all.toString());
        for (JsonNode d : all.json().path("documents")) {
            String id = d.path("_id").asText();
            assertTrue(acked.containsKey(id) || failed.containsKey(id), "unexpected document " + id);
        }
    }

    private static void assertReady(TestHttp http) {
        TestHttp.Response ready = http.get("/ready");
        assertEquals(200, ready.status(), ready.toString());
    }

    private static TestHttp.Response awaitStatus(
            Supplier<TestHttp.Response> call, Predicate<TestHttp.Response> done, int seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        TestHttp.Response last = call.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            last = call.get();
        }
        return last;
    }

    /** Waits until the metric shows {@code value} (metrics are published once per tick). */
    private static boolean awaitMetrics(TestHttp http, String name, double value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (metricValue(http.get("/metrics").body(), name) == value) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** The value of an untagged metric in Prometheus text, or NaN. */
    private static double metricValue(String prometheus, String name) {
        for (String line : prometheus.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    /** A random, incompressible-enough document body. */
    private static String pad(Random random) {
        StringBuilder s = new StringBuilder(PAD_CHARS);
        for (int i = 0; i < PAD_CHARS; i++) {
            s.append((char) ('a' + random.nextInt(26)));
        }
        return s.toString();
    }
}
