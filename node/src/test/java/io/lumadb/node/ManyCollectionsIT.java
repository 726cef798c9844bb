package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many collections on one real node started under a limit of 1,024 open files: every shard
 * store lives in the same few column families, so creating collections, reading missing
 * documents and restarting neither multiplies column families nor runs out of descriptors.
 */
@Timeout(240)
class ManyCollectionsIT {

    private static final int COLLECTIONS = 100;
    private static final Pattern OPENED = Pattern.compile("Opened RocksDB at \\S+ with (\\d+) column families");

    @TempDir
    Path dir;

    private static long openFiles(long pid) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    /** The column family counts the server logged each time it opened its database. */
    private static List<Integer> columnFamiliesAtOpen(Path log) throws Exception {
        Matcher m = OPENED.matcher(Files.readString(log));
        List<Integer> counts = new java.util.ArrayList<>();
        while (m.find()) {
            counts.add(Integer.parseInt(m.group(1)));
        }
        return counts;
    }

    private static void createAndFill(TestHttp http, String db, int i) {
        String c = db + "/c" + i;
        assertEquals(201, http.method("PUT", c, null, null).status(), c);
        // Reads of documents and collections that do not exist: they must create nothing.
        assertEquals(404, http.get(c + "/missing").status());
        assertEquals(404, http.get(db + "/nothing" + i + "/x").status());
        StringBuilder bulk = new StringBuilder("[");
        for (int d = 0; d < 8; d++) {
            bulk.append(d == 0 ? "" : ",")
                    .append("{\"doc\":{\"_id\":\"d")
                    .append(d)
                    .append("\",\"c\":")
                    .append(i)
                    .append("}}");
        }
        bulk.append("]");
        var written = http.method("POST", c + "/_bulk", "application/json", bulk.toString());
        assertEquals(200, written.status(), written.toString());
    }

    @Test
    void manyCollectionsUnderAnOpenFileLimitOf1024CreateNoColumnFamilyEachAndSurviveARestart() throws Exception {
        try (NodeProcess server = NodeProcess.builder(dir).ulimit("-n 1024").build()) {
            server.start();
            TestHttp http = new TestHttp(server.port());
            String db = http.freshDatabase("many");
            // Four clients at once, as an application creating collections would.
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<?>> created = new java.util.ArrayList<>();
                for (int i = 0; i < COLLECTIONS; i++) {
                    int n = i;
                    created.add(pool.submit(() -> {
                        createAndFill(http, db, n);
                        return null;
                    }));
                }
                for (var f : created) {
                    f.get();
                }
            }
            long open = openFiles(server.pid());
            assertTrue(open < 512, "the node has " + open + " files open");
            server.terminate();

            server.start();
            for (int i = 0; i < COLLECTIONS; i += 7) {
                var doc = http.get(db + "/c" + i + "/d3");
                assertEquals(200, doc.status(), doc.toString());
                assertTrue(doc.body().contains("\"c\":" + i + "}"), doc.body());
            }
            var stats = http.get(db + "/c" + (COLLECTIONS - 1));
            assertTrue(stats.body().contains("\"documentCount\":8"), stats.body());

            List<Integer> columnFamilies = columnFamiliesAtOpen(server.log());
            assertEquals(2, columnFamilies.size(), "two starts");
            assertTrue(columnFamilies.get(1) <= 8, "column families after the restart: " + columnFamilies);
            String log = Files.readString(server.log());
            assertFalse(log.contains("Too many open files"), "the log reports running out of descriptors");
        }
    }

    @Test
    void moreConnectionsThanFileDescriptorsNeitherFloodTheLogNorStopTheNode() throws Exception {
        try (NodeProcess server = NodeProcess.builder(dir).ulimit("-n 400").build()) {
            server.start();
            List<java.net.Socket> sockets = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 500; i++) {
                    java.net.Socket s = new java.net.Socket();
                    try {
                        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 200);
                        sockets.add(s);
                    } catch (java.io.IOException backlogFull) {
                        s.close();
                    }
                }
                Thread.sleep(3_000);
            } finally {
                for (java.net.Socket s : sockets) {
                    s.close();
                }
            }
            TestHttp http = new TestHttp(server.port());
            long deadline = System.nanoTime() + 30_000_000_000L;
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                try {
                    status = http.get("/health").status();
                } catch (RuntimeException notYet) {
                    Thread.sleep(200);
                }
            }
            assertEquals(200, status, "the node answers again once the connections are gone");
            long errors = Files.readAllLines(server.log()).stream()
                    .filter(l -> l.contains("Accept error") || l.contains("Too many open files"))
                    .count();
            assertTrue(errors < 100, errors + " lines report failed accepts or a lack of descriptors");
        }
    }

    @Test
    void theNodeRunsWithItsSoftOpenFileLimitRaisedToTheHardLimit() throws Exception {
        try (NodeProcess server = NodeProcess.builder(dir).ulimit("-S -n 1024").build()) {
            server.start();
            List<String> limits = Files.readAllLines(Path.of("/proc/" + server.pid() + "/limits"));
            String[] fields = limits.stream()
                    .filter(l -> l.startsWith("Max open files"))
                    .findFirst()
                    .orElseThrow()
                    .substring("Max open files".length())
                    .trim()
                    .split("\\s+");
            assertEquals(fields[1], fields[0], "soft limit raised to the hard limit: " + String.join(" ", fields));
        }
    }
}
