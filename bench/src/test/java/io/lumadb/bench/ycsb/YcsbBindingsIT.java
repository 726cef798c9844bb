package io.lumadb.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.bench.suite.LumaDbNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestPostgres;
import io.lumadb.testkit.TestRedis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;
import site.ycsb.Utils;

/**
 * Runs the three YCSB bindings through {@link YcsbRunner} against real servers: PostgreSQL and Redis
 * on their standard local ports (started if they are down) and a LumaDB node started from {@code
 * node/target/lumadb.jar} on a free port with a fresh data directory. For each: the binding's
 * semantics directly (scan order and bounds, NOT_FOUND, merge on update, every byte value), then
 * load + workload A and load + workload E, small, with YCSB's data integrity checks on.
 *
 * <p>Uses PostgreSQL table usertable in database test (reset drops it: do not run beside the suite),
 * Redis database 15 and LumaDB database ycsb_it.
 */
@Timeout(300)
class YcsbBindingsIT {

    private static final int RECORDS = 200;
    private static final int OPERATIONS = 300;
    private static final int THREADS = 2;
    private static final String TABLE = "usertable";

    @TempDir
    Path work;

    @Test
    @Tag("services")
    void postgresqlBindingPassesLoadAndWorkloadsAAndE() throws Exception {
        Map<String, String> props = Map.of();
        TestPostgres.ensureRunning();
        exercise("postgresql", props);
    }

    @Test
    @Tag("services")
    void redisBindingPassesLoadAndWorkloadsAAndE() throws Exception {
        Map<String, String> props = Map.of("redis.database", "15");
        TestRedis.ensureRunning();
        exercise("redis", props);
    }

    @Test
    void lumadbBindingPassesLoadAndWorkloadsAAndE() throws Exception {
        Path nodeDir = Files.createDirectories(work.resolve("node"));
        // A copy of the jar: others may rebuild node/target/lumadb.jar while this node runs from it.
        Path jar = Files.copy(NodeProcess.distributionJar(), nodeDir.resolve("lumadb.jar"));
        try (NodeProcess node = LumaDbNode.start(jar, List.of(), nodeDir.resolve("lumadb-node.log"), List.of())) {
            Map<String, String> props =
                    Map.of("lumadb.url", node.url(""), "lumadb.database", "ycsb_it", "lumadb.shards", "2");
            exercise("lumadb", props);

            // The runner refuses runs that did not go cleanly: reads of records that were never loaded...
            YcsbRunner.reset("lumadb", props);
            IOException notFound = assertThrows(
                    IOException.class, () -> YcsbRunner.run(spec("lumadb", "a", false, props), work.resolve("ycsb")));
            assertTrue(notFound.getMessage().contains("Return=NOT_FOUND"), notFound.getMessage());
            // ...and a binding that cannot start (no such database), which YCSB itself only logs.
            Map<String, String> missing = new HashMap<>(props);
            missing.put("lumadb.database", "ycsb_it_missing");
            IOException noDatabase = assertThrows(
                    IOException.class, () -> YcsbRunner.run(spec("lumadb", "a", true, missing), work.resolve("ycsb")));
            assertTrue(noDatabase.getMessage().contains("did 0 of " + RECORDS), noDatabase.getMessage());
            assertTrue(noDatabase.getMessage().contains("ycsb_it_missing"), noDatabase.getMessage());
        }
    }

    // ---- what every binding must do

    private void exercise(String system, Map<String, String> props) throws Exception {
        try {
            exerciseOnce(system, props);
        } finally {
            // Leave nothing behind in the shared servers (for LumaDB the whole node goes anyway).
            YcsbRunner.reset(system, props);
        }
    }

    private void exerciseOnce(String system, Map<String, String> props) throws Exception {
        bindingSemantics(system, props);

        Path out = work.resolve("ycsb");
        YcsbRunner.reset(system, props);
        YcsbResult loadA = YcsbRunner.run(spec(system, "a", true, props), out);
        assertEquals(RECORDS, loadA.operations().get("INSERT").count(), "records loaded");
        assertAll(loadA, RECORDS);
        assertTrue(loadA.throughputOpsPerSec() > 0, "throughput " + loadA.throughputOpsPerSec());
        assertEquals(sortedKeys(RECORDS), scanAllKeys(system, props), "every loaded key, in key order");

        YcsbResult a = YcsbRunner.run(spec(system, "a", false, props), out);
        OpStats reads = a.operations().get("READ");
        OpStats updates = a.operations().get("UPDATE");
        assertNotNull(reads, "workload A reads: " + a.operations());
        assertNotNull(updates, "workload A updates: " + a.operations());
        assertEquals(OPERATIONS, reads.count() + updates.count(), "A's operations: " + a.operations());
        assertTrue(reads.count() > 0 && updates.count() > 0, a.operations().toString());
        // With dataintegrity=true every read is checked against the value its key must hold.
        assertEquals(reads.count(), a.operations().get("VERIFY").count(), "verified reads");
        assertEquals(0, a.operations().get("VERIFY").failures());
        assertAll(a, OPERATIONS);
        assertTrue(Files.readString(a.output()).contains("[OVERALL], Throughput(ops/sec)"));
        assertTrue(
                reads.p50Micros() > 0
                        && reads.p50Micros() <= reads.p95Micros()
                        && reads.p95Micros() <= reads.p99Micros(),
                reads.toString());

        YcsbRunner.reset(system, props);
        YcsbRunner.run(spec(system, "e", true, props), out);
        YcsbResult e = YcsbRunner.run(spec(system, "e", false, props), out);
        OpStats scans = e.operations().get("SCAN");
        OpStats inserts = e.operations().get("INSERT");
        assertNotNull(scans, "workload E scans: " + e.operations());
        long inserted = inserts == null ? 0 : inserts.count();
        assertEquals(OPERATIONS, scans.count() + inserted, "E's operations: " + e.operations());
        assertAll(e, OPERATIONS);
        assertEquals(sortedKeys(RECORDS + (int) inserted), scanAllKeys(system, props), "keys after E, in order");
    }

    /** "ALL" merges every database call: as many as the operation types' counts together. */
    private static void assertAll(YcsbResult result, long atLeast) {
        OpStats all = result.operations().get("ALL");
        assertNotNull(all, "ALL: " + result.operations());
        assertEquals("ALL", result.operations().keySet().iterator().next(), "ALL comes first");
        long calls = 0;
        for (String op : YcsbRunner.DB_OPERATIONS) {
            OpStats s = result.operations().get(op);
            calls += s == null ? 0 : s.count();
        }
        assertEquals(calls, all.count(), result.operations().toString());
        assertTrue(all.count() >= atLeast, all.toString());
        assertEquals(0, all.failures());
        assertTrue(all.p50Micros() <= all.p95Micros() && all.p95Micros() <= all.p99Micros(), all.toString());
    }

    /** The binding itself: scans are inclusive, ordered and bounded; misses are NOT_FOUND; bytes survive. */
    private static void bindingSemantics(String system, Map<String, String> props) throws Exception {
        YcsbRunner.reset(system, props);
        DB db = client(system, props);
        try {
            byte[] everyByte = new byte[255];
            for (int i = 0; i < everyByte.length; i++) {
                everyByte[i] = (byte) (i + 1); // 1..255: PostgreSQL text cannot hold NUL
            }
            for (String key : List.of("k2", "k1", "k3")) {
                Map<String, ByteIterator> values = new HashMap<>();
                values.put("field0", new StringByteIterator(key));
                values.put("field1", new ByteArrayByteIterator(everyByte));
                assertEquals(Status.OK, db.insert(TABLE, key, values), "insert " + key);
            }

            assertEquals(List.of("k2", "k3"), scanField0(db, "k2", 10, null));
            assertEquals(List.of("k2"), scanField0(db, "k2", 1, null));
            assertEquals(List.of("k1", "k2", "k3"), scanField0(db, "k", 10, null));
            assertEquals(List.of("k1", "k2"), scanField0(db, "k0", 2, null));
            assertEquals(List.of(), scanField0(db, "k4", 10, null));
            Vector<HashMap<String, ByteIterator>> some = new Vector<>();
            assertEquals(Status.OK, db.scan(TABLE, "k2", 5, Set.of("field0"), some));
            assertEquals(2, some.size());
            assertEquals(Set.of("field0"), some.get(0).keySet(), "scan honours fields");

            Map<String, ByteIterator> record = new HashMap<>();
            assertEquals(Status.OK, db.read(TABLE, "k1", null, record));
            assertEquals(Set.of("field0", "field1"), record.keySet());
            assertArrayEquals(everyByte, record.get("field1").toArray(), "bytes 1..255 round-trip");
            record.clear();
            assertEquals(Status.OK, db.read(TABLE, "k1", Set.of("field1"), record));
            assertEquals(Set.of("field1"), record.keySet(), "read honours fields");
            assertEquals(Status.NOT_FOUND, db.read(TABLE, "nope", null, new HashMap<>()));

            Map<String, ByteIterator> change = new HashMap<>();
            change.put("field0", new StringByteIterator("k1 \"changed\" \\"));
            assertEquals(Status.OK, db.update(TABLE, "k1", change));
            record.clear();
            assertEquals(Status.OK, db.read(TABLE, "k1", null, record));
            assertEquals("k1 \"changed\" \\", new String(record.get("field0").toArray(), StandardCharsets.UTF_8));
            assertArrayEquals(everyByte, record.get("field1").toArray(), "update keeps the other fields");
            change.put("field0", new StringByteIterator("x"));
            assertEquals(Status.NOT_FOUND, db.update(TABLE, "nope", change), "update of a missing record");
            assertEquals(Status.NOT_FOUND, db.read(TABLE, "nope", null, new HashMap<>()), "and it stays missing");

            assertEquals(Status.OK, db.delete(TABLE, "k3"));
            assertEquals(Status.NOT_FOUND, db.delete(TABLE, "k3"));
            assertEquals(Status.NOT_FOUND, db.read(TABLE, "k3", null, new HashMap<>()));
            assertEquals(List.of("k2"), scanField0(db, "k2", 10, null), "a deleted record leaves scans");
        } finally {
            db.cleanup();
        }
    }

    private static List<String> scanField0(DB db, String start, int count, Set<String> fields) {
        Vector<HashMap<String, ByteIterator>> rows = new Vector<>();
        assertEquals(Status.OK, db.scan(TABLE, start, count, fields, rows), "scan from " + start);
        List<String> keys = new ArrayList<>();
        for (HashMap<String, ByteIterator> row : rows) {
            keys.add(new String(row.get("field0").toArray(), StandardCharsets.ISO_8859_1));
        }
        return keys;
    }

    /**
     * Every key, by a scan from the start through the binding. With dataintegrity=true a field value
     * starts with "key:field", so each record names its key.
     */
    private static List<String> scanAllKeys(String system, Map<String, String> props) throws Exception {
        DB db = client(system, props);
        try {
            Vector<HashMap<String, ByteIterator>> rows = new Vector<>();
            assertEquals(Status.OK, db.scan(TABLE, "", 100_000, Set.of("field0"), rows));
            List<String> keys = new ArrayList<>();
            for (HashMap<String, ByteIterator> row : rows) {
                String value = new String(row.get("field0").toArray(), StandardCharsets.ISO_8859_1);
                keys.add(value.substring(0, value.indexOf(':')));
            }
            return keys;
        } finally {
            db.cleanup();
        }
    }

    /** The keys YCSB's CoreWorkload gives records 0..n-1 (insertorder=hashed), in byte order. */
    private static List<String> sortedKeys(int n) {
        List<String> keys = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            keys.add("user" + Utils.hash(i));
        }
        keys.sort(null); // ASCII: String order is byte order
        return keys;
    }

    private static DB client(String system, Map<String, String> props) throws Exception {
        DB db =
                switch (system) {
                    case "lumadb" -> new LumaDbYcsbClient();
                    case "postgresql" -> new PostgresYcsbClient();
                    case "redis" -> new RedisYcsbClient();
                    default -> throw new IllegalArgumentException(system);
                };
        Properties p = new Properties();
        p.putAll(props);
        db.setProperties(p);
        db.init();
        return db;
    }

    private static YcsbSpec spec(String system, String workload, boolean load, Map<String, String> props) {
        Map<String, String> all = new HashMap<>(props);
        all.put("dataintegrity", "true");
        return new YcsbSpec(system, workload, load, THREADS, RECORDS, OPERATIONS, all, List.of());
    }
}
