package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.client.example.OrderTotals;
import io.lumadb.client.example.OrderTotalsExample;
import io.lumadb.testkit.Cleanup;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client against the real server jar in a child process: the change stream across a
 * SIGKILL and restart of the server, the example projection's read model in PostgreSQL across a
 * restart of the projection under a running writer, and lost history or bad positions as typed
 * failures. The tests share one server (starting one takes seconds); each uses its own database
 * and leaves the server running.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LumaDbClientIT {

    private static Path dataDir;
    private static NodeProcess server;
    private static TestLumaDb lumadb;
    private static LumaDbClient client;
    private static ActorSystem system;

    @BeforeAll
    static void startServer() throws Exception {
        dataDir = Files.createTempDirectory("lumadb-client-it");
        server = NodeProcess.builder(dataDir)
                .jvmOptions(
                        // A short-lived test server: C1 only and the serial collector start faster on a busy machine.
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        // Pull pages of at most 2 KiB (a few changes): the client must follow short pages.
                        "-Dlumadb.cdc.max-pull-bytes=2KiB")
                .build();
        server.start();
        lumadb = new TestLumaDb(server.baseUrl());
        client = LumaDbClient.create(server.baseUrl());
        // The reference configuration only: the server jar on the test classpath carries the
        // server's application.conf (a cluster provider), which this client system must not pick up.
        system = ActorSystem.create("client-it", ConfigFactory.defaultReference());
    }

    @AfterAll
    static void stopEverything() throws Exception {
        Cleanup.closeAll(
                LumaDbClientIT::terminateSystem,
                client,
                lumadb,
                server,
                TestPostgres::stopIfStarted,
                () -> TestFiles.deleteRecursively(dataDir));
    }

    private static void terminateSystem() throws Exception {
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** Settings that notice a restarted server quickly. */
    private static ChangeStreamSettings quick() {
        return ChangeStreamSettings.defaults()
                .withLongPollWait(Duration.ofSeconds(2))
                .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.2);
    }

    @Test
    void theSourceDeliversEveryWriteOnceInShardOrderAcrossAServerRestart() throws Exception {
        TestLumaDb.Collection orders = lumadb.newCollection("restart", 4);
        OrderWriter writer = new OrderWriter(lumadb, orders, 42, 40, 5);
        writer.write(80);

        List<ChangeEnvelope> received = new CopyOnWriteArrayList<>();
        // Small pages and a slow consumer: the server dies while the stream is mid-way.
        Pair<UniqueKillSwitch, CompletionStage<Done>> running = client.changes(
                        orders.database(), orders.name(), StartPosition.beginning(), quick().withPageSize(10))
                .throttle(100, Duration.ofSeconds(1))
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.foreach(received::add), Keep.both())
                .run(system);
        try {
            await(() -> received.size() >= 30, Duration.ofSeconds(20), "the first 30 changes");
            assertTrue(received.size() < 80, "the stream must still be mid-way: " + received.size());
            server.kill9();
            server.start();
            writer.write(80);
            int expected = writer.count();
            await(() -> received.size() >= expected, Duration.ofSeconds(40), expected + " changes");
            Thread.sleep(500); // a duplicate would arrive now
            assertTrue(
                    !running.second().toCompletableFuture().isDone(), "the stream must still run: " + running.second());
        } finally {
            running.first().shutdown();
        }
        running.second().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertExactlyTheWrites(writer.writes(), received);
        assertShardOrder(received);
        // The last token is the end of the stream: nothing comes after it.
        List<ChangeEnvelope> after = client.changes(
                        orders.database(),
                        orders.name(),
                        StartPosition.after(received.getLast().token()),
                        quick().withLongPollWait(Duration.ofMillis(300)))
                .takeWithin(Duration.ofSeconds(1))
                .runWith(Sink.seq(), system)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(List.of(), after);
    }

    /** Each acknowledged write once, as the change it made, and nothing else. */
    private static void assertExactlyTheWrites(List<TestLumaDb.Write> writes, List<ChangeEnvelope> received) {
        List<String> made = writes.stream()
                .map(w -> w.id() + "@" + w.version() + ":" + w.op())
                .sorted()
                .toList();
        List<String> delivered = received.stream()
                .map(e -> e.id() + "@" + e.version() + ":" + e.op())
                .sorted()
                .toList();
        assertEquals(made, delivered);
    }

    /** Per shard: events 1..n, each change once, in (seq, index) order; per document: version order. */
    private static void assertShardOrder(List<ChangeEnvelope> received) {
        Map<Integer, long[]> last = new HashMap<>();
        Map<Integer, TreeSet<Long>> seqs = new TreeMap<>();
        Map<String, Long> versions = new HashMap<>();
        for (ChangeEnvelope e : received) {
            long[] previous = last.get(e.shard());
            assertTrue(
                    previous == null || e.seq() > previous[0] || (e.seq() == previous[0] && e.index() > previous[1]),
                    "shard " + e.shard() + ": " + e.seq() + "/" + e.index() + " after "
                            + (previous == null ? "" : previous[0] + "/" + previous[1]));
            last.put(e.shard(), new long[] {e.seq(), e.index()});
            seqs.computeIfAbsent(e.shard(), s -> new TreeSet<>()).add(e.seq());
            Long before = versions.put(e.id(), e.version());
            assertTrue(
                    before == null || before < e.version(), e.id() + ": version " + e.version() + " after " + before);
        }
        assertTrue(seqs.size() > 1, "changes of one shard only: " + seqs.keySet());
        seqs.forEach((shard, s) -> assertEquals(s.size(), s.last(), "shard " + shard + " has a gap: " + s));
    }

    @Test
    void lostHistoryFailsTheStreamWithHistoryLostExceptionInsteadOfSkipping() throws Exception {
        TestLumaDb.Collection orders = lumadb.newCollection("lost", 1);
        for (int i = 0; i < 10; i++) {
            lumadb.put(orders, "o" + i, "{\"customer\":\"c\",\"amount\":" + i + "}");
        }
        List<ChangeEnvelope> all = client.changes(orders.database(), orders.name(), StartPosition.beginning(), quick())
                .take(10)
                .runWith(Sink.seq(), system)
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        assertEquals(
                List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L),
                all.stream().map(ChangeEnvelope::seq).toList());
        String afterTwo = all.get(1).token();
        String afterSix = all.get(5).token();

        // Retention drops events 1..5 of the shard while the server is down.
        server.terminate();
        JournalRetention.deleteEvents(
                dataDir,
                orders.database(),
                orders.name(),
                ResumeToken.decode(afterTwo).incarnation(),
                0,
                5);
        server.start();

        List<ChangeEnvelope> delivered = new CopyOnWriteArrayList<>();
        CompletionStage<Done> stream = client.changes(
                        orders.database(), orders.name(), StartPosition.after(afterTwo), quick())
                .runWith(Sink.foreach(delivered::add), system);
        ExecutionException failed = assertThrows(
                ExecutionException.class, () -> stream.toCompletableFuture().get(20, TimeUnit.SECONDS));
        HistoryLostException lost = assertInstanceOf(HistoryLostException.class, failed.getCause());
        assertEquals(410, lost.status());
        assertEquals("history-lost", lost.problemType());
        assertEquals(afterTwo, lost.position());
        assertTrue(lost.getMessage().contains("history lost"), lost.getMessage());
        assertEquals(List.of(), delivered, "nothing may be delivered past lost history");

        // Where the history is kept, the stream goes on: exactly the changes after event 6.
        List<String> rest = client.changes(orders.database(), orders.name(), StartPosition.after(afterSix), quick())
                .take(4)
                .map(ChangeEnvelope::id)
                .runWith(Sink.seq(), system)
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        assertEquals(List.of("o6", "o7", "o8", "o9"), rest);
        // And "beginning" is now the oldest event kept.
        ChangeEnvelope oldest = client.changes(orders.database(), orders.name(), StartPosition.beginning(), quick())
                .runWith(Sink.head(), system)
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        assertEquals(6, oldest.seq());
    }

    @Test
    void aBadTokenOrAMissingCollectionFailsTheStreamWithATypedError() throws Exception {
        TestLumaDb.Collection orders = lumadb.newCollection("bad", 2);
        TestLumaDb.Collection other = lumadb.newCollection("other", 2);
        lumadb.put(other, "x", "{\"customer\":\"c\",\"amount\":1}");
        String foreignToken = client.changes(other.database(), other.name(), StartPosition.beginning(), quick())
                .runWith(Sink.head(), system)
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS)
                .token();

        InvalidStreamRequestException garbage = assertInstanceOf(
                InvalidStreamRequestException.class, failure(orders, StartPosition.after("not-a-token"), quick()));
        assertEquals(400, garbage.status());
        assertEquals("/from", garbage.field());

        InvalidStreamRequestException foreign = assertInstanceOf(
                InvalidStreamRequestException.class, failure(orders, StartPosition.after(foreignToken), quick()));
        assertTrue(foreign.detail().contains("another collection"), foreign.detail());

        InvalidStreamRequestException filter = assertInstanceOf(
                InvalidStreamRequestException.class,
                failure(orders, StartPosition.beginning(), quick().withFilter("{\"amount\":{\"$bogus\":1}}")));
        assertTrue(String.valueOf(filter.field()).startsWith("/filter"), filter.getMessage());

        LumaDbException missing = assertInstanceOf(
                LumaDbException.class,
                failure(new TestLumaDb.Collection(orders.database(), "missing"), StartPosition.now(), quick()));
        assertEquals(404, missing.status());
        assertEquals("collection-not-found", missing.problemType());
    }

    private static Throwable failure(TestLumaDb.Collection c, StartPosition from, ChangeStreamSettings settings)
            throws Exception {
        CompletionStage<Done> stream = client.changes(c.database(), c.name(), from, settings.withMaxRetries(0))
                .runWith(Sink.ignore(), system);
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stream.toCompletableFuture().get(20, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    @Tag("services")
    void theExampleProjectionKeepsExactTotalsInPostgresAcrossARestartUnderLoad() throws Exception {
        TestPostgres.ensureRunning();
        TestLumaDb.Collection orders = lumadb.newCollection("projection", 3);
        String schema = "lumadb_client_it_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        OrderWriter writer = new OrderWriter(lumadb, orders, 7, 30, 6);
        AtomicBoolean writing = new AtomicBoolean(true);
        CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
            // Bounded: a writer that outlives a failed test stops by itself.
            while (writing.get() && writer.count() < 1500) {
                writer.next();
                sleep(3);
            }
        });
        OrderTotalsExample first = null;
        OrderTotalsExample second = null;
        try {
            first = OrderTotalsExample.start(
                    client,
                    orders.database(),
                    orders.name(),
                    TestPostgres.JDBC_URL,
                    schema,
                    ConfigFactory.defaultReference());
            OrderTotalsExample running = first;
            await(() -> modelSize(running) >= 3 && writer.count() >= 100, Duration.ofSeconds(30), "a first model");
            // Stopped in the middle of the stream: the writer goes on.
            first.close();
            first = null;
            Map<String, OrderTotals.Totals> atStop = readModel(schema);
            int writtenAtStop = writer.count();
            await(() -> writer.count() >= writtenAtStop + 60, Duration.ofSeconds(30), "writes while stopped");

            second = OrderTotalsExample.start(
                    client,
                    orders.database(),
                    orders.name(),
                    TestPostgres.JDBC_URL,
                    schema,
                    ConfigFactory.defaultReference());
            await(() -> writer.count() >= writtenAtStop + 160, Duration.ofSeconds(30), "writes after the restart");
            writing.set(false);
            writes.get(30, TimeUnit.SECONDS);

            Map<String, OrderTotals.Totals> expected = totalsOf(lumadb.documents(orders));
            assertTrue(expected.size() >= 3, "too few customers to mean anything: " + expected);
            assertNotEquals(expected, atStop, "the projection must have been stopped midway");
            awaitModel(expected, second, Duration.ofSeconds(30));
            // Caught up and stays right: nothing is applied twice later.
            Thread.sleep(500);
            assertEquals(expected, second.totals());
        } finally {
            writing.set(false);
            try {
                writes.get(30, TimeUnit.SECONDS);
            } finally {
                try {
                    if (first != null) {
                        first.close();
                    }
                } finally {
                    try {
                        if (second != null) {
                            second.close();
                        }
                    } finally {
                        TestPostgres.dropSchema(schema);
                    }
                }
            }
        }
        assertTrue(!TestPostgres.schemaExists(schema), "the test's schema must be gone");
    }

    /** The model computed directly from the documents. */
    private static Map<String, OrderTotals.Totals> totalsOf(List<JsonNode> documents) {
        Map<String, OrderTotals.Totals> totals = new TreeMap<>();
        for (JsonNode doc : documents) {
            totals.merge(
                    doc.get("customer").asText(),
                    new OrderTotals.Totals(1, doc.get("amount").asLong()),
                    (a, b) -> new OrderTotals.Totals(a.orders() + b.orders(), a.totalCents() + b.totalCents()));
        }
        return totals;
    }

    private static int modelSize(OrderTotalsExample example) {
        Map<String, OrderTotals.Totals> model = modelOrNull(example);
        return model == null ? 0 : model.size();
    }

    private static Map<String, OrderTotals.Totals> modelOrNull(OrderTotalsExample example) {
        try {
            return example.totals();
        } catch (Exception notYet) {
            return null;
        }
    }

    /** Waits for the model to equal {@code expected}; if it does not in time, fails showing both. */
    private static void awaitModel(
            Map<String, OrderTotals.Totals> expected, OrderTotalsExample example, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!expected.equals(modelOrNull(example)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(expected, example.totals(), "the model " + timeout.toSeconds() + " s after the writes ended");
    }

    private static Map<String, OrderTotals.Totals> readModel(String schema) throws Exception {
        try (var connection = TestPostgres.connect()) {
            return new OrderTotals(schema).read(connection);
        }
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
