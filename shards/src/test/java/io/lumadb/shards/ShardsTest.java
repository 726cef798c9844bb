package io.lumadb.shards;

import static io.lumadb.shards.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.catalog.CatalogEntity.Outcome;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.model.WriteOutcome.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data layer through its facades, on a real single-node cluster with cluster sharding and
 * real RocksDB stores; the journal is Pekko's in-memory test journal so failures can be injected.
 */
@Timeout(60)
class ShardsTest {

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;
    private Shards shards;

    private void start(boolean autoCreate) throws Exception {
        kit = TestCluster.start(Map.of("lumadb.shards.auto-create", autoCreate, "lumadb.shards.ask-timeout", "5s"));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        await(shards.catalog().createDatabase("db"));
    }

    @BeforeEach
    void setUp() throws Exception {
        start(true);
    }

    @AfterEach
    void tearDown() {
        kit.shutdownTestKit();
        rocks.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private WriteOutcome put(String coll, String id, String json, long expected) throws Exception {
        return await(shards.documents().write("db", coll, DocumentWrite.put(id, b(json), expected)));
    }

    private StoredDocument get(String coll, String id) throws Exception {
        return await(shards.documents().get("db", coll, id)).orElse(null);
    }

    @Test
    void storesAndReadsDocumentsWithIdAndVersion() throws Exception {
        WriteOutcome created = put("users", "ada", "{\"name\":\"Ada\"}", DocumentWrite.ANY);
        assertEquals(Status.CREATED, created.status());
        StoredDocument doc = get("users", "ada");
        assertEquals(
                "{\"_id\":\"ada\",\"_version\":" + created.version() + ",\"name\":\"Ada\"}",
                new String(doc.json(), StandardCharsets.UTF_8));
        WriteOutcome updated = put("users", "ada", "{\"name\":\"Ada L.\"}", created.version());
        assertEquals(Status.UPDATED, updated.status());
        assertTrue(updated.version() > created.version());
    }

    @Test
    void writingToAMissingCollectionCreatesItWithTheDefaultShardCount() throws Exception {
        put("auto", "x", "{}", DocumentWrite.ANY);
        CollectionInfo info = shards.catalog().cached().collection("db", "auto").orElseThrow();
        assertEquals(shards.catalog().settings().defaultShardCount(), info.shards());
    }

    @Test
    void missingDatabaseIsNotFoundAndCreatesNothing() throws Exception {
        NotFoundException e = assertThrows(
                NotFoundException.class,
                () -> await(shards.documents().write("nodb", "c", DocumentWrite.put("x", b("{}"), DocumentWrite.ANY))));
        assertEquals("database", e.kind());
        assertTrue(await(shards.catalog().refresh()).database("nodb").isEmpty());
    }

    @Test
    void readsOfMissingDocumentsAndCollectionsCreateNothing() throws Exception {
        await(shards.catalog().createCollection("db", "empty", 4));
        List<String> columnFamilies = rocks.names();
        for (int i = 0; i < 16; i++) {
            assertEquals(null, get("empty", "missing-" + i));
        }
        assertEquals(
                List.of(),
                await(shards.documents().list("db", "empty", null, 10)).documents());
        assertThrows(NotFoundException.class, () -> await(shards.documents().get("db", "nope", "x")));
        assertTrue(await(shards.catalog().refresh()).collection("db", "nope").isEmpty());
        assertEquals(Set.copyOf(columnFamilies), Set.copyOf(rocks.names()));
        assertEquals(Set.of(), rocks.stores().names());
    }

    @Test
    void withAutoCreateOffAMissingCollectionIsNotFound() throws Exception {
        tearDown();
        start(false);
        NotFoundException e = assertThrows(NotFoundException.class, () -> put("nope", "x", "{}", DocumentWrite.ANY));
        assertEquals("collection", e.kind());
        assertTrue(await(shards.catalog().refresh()).collection("db", "nope").isEmpty());
    }

    @Test
    void concurrentConditionalWritesLetExactlyOneWinPerVersion() throws Exception {
        long version = put("race", "counter", "{\"n\":0}", DocumentWrite.ANY).version();
        for (int round = 1; round <= 10; round++) {
            List<CompletableFuture<WriteOutcome>> attempts = new ArrayList<>();
            for (int writer = 0; writer < 16; writer++) {
                attempts.add(shards.documents()
                        .write(
                                "db",
                                "race",
                                DocumentWrite.put("counter", b("{\"n\":" + round + ",\"w\":" + writer + "}"), version))
                        .toCompletableFuture());
            }
            List<WriteOutcome> outcomes =
                    attempts.stream().map(CompletableFuture::join).toList();
            List<WriteOutcome> winners =
                    outcomes.stream().filter(o -> o.status() == Status.UPDATED).toList();
            assertEquals(1, winners.size(), "round " + round + ": " + outcomes);
            assertEquals(
                    15,
                    outcomes.stream()
                            .filter(o -> o.status() == Status.VERSION_MISMATCH)
                            .count());
            version = winners.getFirst().version();
            assertEquals(version, get("race", "counter").version());
        }
    }

    @Test
    void concurrentWritesToOneShardAreGroupCommitted() throws Exception {
        await(shards.catalog().createCollection("db", "one", 1));
        int writes = 400;
        List<CompletableFuture<WriteOutcome>> all = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            all.add(shards.documents()
                    .write("db", "one", DocumentWrite.put("k" + i, b("{\"i\":" + i + "}"), DocumentWrite.ANY))
                    .toCompletableFuture());
        }
        all.forEach(f -> assertEquals(Status.CREATED, f.join().status()));
        var stats = await(shards.documents().stats("db", "one"));
        assertEquals(writes, stats.documentCount());
        long events = stats.shards().getFirst().appliedSeq();
        assertTrue(
                events < writes / 4,
                "expected batches of writes per journal event, got " + events + " events for " + writes + " writes");
    }

    @Test
    void listsEveryDocumentOnceInIdOrderAcrossShards() throws Exception {
        await(shards.catalog().createCollection("db", "many", 4));
        List<DocumentWrite> writes = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 250; i++) {
            String id = "id-" + Integer.toString(i * 7919 % 1000, 36);
            ids.add(id);
            writes.add(DocumentWrite.put(id, b("{}"), DocumentWrite.ANY));
        }
        await(shards.documents().writeAll("db", "many", writes));
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            Documents.Page page = await(shards.documents().list("db", "many", after, 100));
            page.documents().forEach(d -> seen.add(d.id()));
            after = page.next();
            pages++;
        } while (after != null);
        assertEquals(3, pages);
        assertEquals(ids.size(), seen.size());
        assertEquals(ids, new HashSet<>(seen));
        assertEquals(seen.stream().sorted().toList(), seen);
    }

    @Test
    void listPagesStopAtTheByteBoundAndStillListEveryDocumentOnce() throws Exception {
        // A page crosses the network as one message in a cluster, so it is bounded in bytes too.
        tearDown();
        kit = TestCluster.start(Map.of("lumadb.query.max-result-bytes", "4 KiB"));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        await(shards.catalog().createDatabase("db"));
        await(shards.catalog().createCollection("db", "big", 3));
        String pad = "x".repeat(1000);
        List<DocumentWrite> writes = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            writes.add(DocumentWrite.put("d" + (1000 + i * 37 % 60), b("{\"p\":\"" + pad + "\"}"), DocumentWrite.ANY));
        }
        await(shards.documents().writeAll("db", "big", writes));
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            Documents.Page page = await(shards.documents().list("db", "big", after, 50));
            assertTrue(
                    page.documents().size() <= 3 * 5,
                    "a page of " + page.documents().size() + " documents");
            page.documents().forEach(d -> seen.add(d.id()));
            after = page.next();
            pages++;
        } while (after != null);
        assertTrue(pages >= 60 / 15, "only " + pages + " pages");
        assertEquals(60, seen.size(), seen.toString());
        assertEquals(60, new HashSet<>(seen).size());
        assertEquals(seen.stream().sorted().toList(), seen);
    }

    @Test
    void bulkOutcomesComeBackInRequestOrder() throws Exception {
        put("bulk", "exists", "{}", DocumentWrite.ANY);
        List<WriteOutcome> outcomes = await(shards.documents()
                .writeAll(
                        "db",
                        "bulk",
                        List.of(
                                DocumentWrite.put("a", b("{}"), DocumentWrite.ANY),
                                DocumentWrite.put("exists", b("{}"), DocumentWrite.ABSENT),
                                DocumentWrite.delete("missing", DocumentWrite.ANY),
                                DocumentWrite.put("b", b("{}"), DocumentWrite.ANY))));
        assertEquals(
                List.of("a", "exists", "missing", "b"),
                outcomes.stream().map(WriteOutcome::id).toList());
        assertEquals(
                List.of(Status.CREATED, Status.ALREADY_EXISTS, Status.NOT_FOUND, Status.CREATED),
                outcomes.stream().map(WriteOutcome::status).toList());
    }

    @Test
    void droppedCollectionNeverComesBackAndItsStoresAreDeleted() throws Exception {
        await(shards.catalog().createCollection("db", "tmp", 2));
        put("tmp", "keep-me-not", "{}", DocumentWrite.ANY);
        CollectionInfo old = shards.catalog().cached().collection("db", "tmp").orElseThrow();
        assertEquals(
                Outcome.DROPPED,
                await(shards.catalog().dropCollection("db", "tmp")).outcome());
        assertFalse(
                rocks.stores().names().stream().anyMatch(n -> n.startsWith("db/tmp/" + old.incarnation() + "/")),
                rocks.stores().names().toString());

        assertThrows(NotFoundException.class, () -> await(shards.documents().get("db", "tmp", "keep-me-not")));
        put("tmp", "new", "{}", DocumentWrite.ANY);
        CollectionInfo fresh = shards.catalog().cached().collection("db", "tmp").orElseThrow();
        assertNotEquals(old.incarnation(), fresh.incarnation());
        assertEquals(null, get("tmp", "keep-me-not"));
        assertEquals(1, await(shards.documents().stats("db", "tmp")).documentCount());
    }

    @Test
    void droppingADatabaseDropsItsCollections() throws Exception {
        await(shards.catalog().createDatabase("other"));
        await(shards.documents().write("other", "c", DocumentWrite.put("x", b("{}"), DocumentWrite.ANY)));
        var result = await(shards.catalog().dropDatabase("other"));
        assertEquals(1, result.dropped().size());
        assertThrows(NotFoundException.class, () -> await(shards.documents().get("other", "c", "x")));
        assertFalse(rocks.stores().names().stream().anyMatch(n -> n.startsWith("other/")));
    }

    @Test
    void journalFailureAnswersUnavailableAndTheShardRecovers() throws Exception {
        await(shards.catalog().createCollection("db", "fragile", 1));
        long v1 = put("fragile", "a", "{\"ok\":1}", DocumentWrite.ANY).version();
        PersistenceTestKit.create(kit.system()).failNextPersisted();
        Exception failure = assertThrows(Exception.class, () -> put("fragile", "b", "{}", DocumentWrite.ANY));
        assertInstanceOf(ShardUnavailableException.class, failure);
        // Reads go on from the store while the shard restarts its writer and recovers.
        assertEquals(v1, get("fragile", "a").version());
        assertEquals(null, get("fragile", "b"));
        // Writes are refused (503: retry) until recovery; a retrying client gets through.
        WriteOutcome retried = null;
        for (int attempt = 0; attempt < 100 && retried == null; attempt++) {
            try {
                retried = put("fragile", "b", "{}", DocumentWrite.ANY);
            } catch (ShardUnavailableException e) {
                Thread.sleep(50);
            }
        }
        assertEquals(Status.CREATED, retried.status());
        assertEquals(v1, get("fragile", "a").version());
    }

    @Test
    void shardRecoveriesAreReportedToTheNodesListeners() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        shards.localShards().onRecovered((id, millis, replayed, fromImage) -> {
            throw new IllegalStateException("a failing listener keeps neither the shard nor the others from going on");
        });
        shards.localShards()
                .onRecovered((id, millis, replayed, fromImage) -> heard.add(id + " " + replayed + " " + fromImage));
        await(shards.catalog().createCollection("db", "watched", 1));
        put("watched", "a", "{}", DocumentWrite.ANY);
        String entityId = shards.catalog()
                .cached()
                .collection("db", "watched")
                .orElseThrow()
                .shardEntityId(0);
        assertEquals(List.of(entityId + " 0 false"), heard);
    }

    @Test
    void regexOverALongStringIsAnsweredOnEveryShard() throws Exception {
        // On a backtracking engine this overflowed the query thread's stack and answered 503 with
        // "java.util.concurrent.CompletionException: java.lang.StackOverflowError".
        await(shards.catalog().createCollection("db", "text", 2));
        put("text", "ab", "{\"s\":\"" + "ab".repeat(25_000) + "\"}", DocumentWrite.ANY);
        put("text", "abc", "{\"s\":\"" + "ab".repeat(25_000) + "c\"}", DocumentWrite.ANY);
        put("text", "x", "{\"s\":\"x\"}", DocumentWrite.ANY);
        var spec = shards.queries()
                .parse(io.lumadb.shards.model.DocumentJson.mapper()
                        .readTree("{\"filter\": {\"s\": {\"$regex\": \"^(a|b)*$\"}}, \"count\": true}"));
        assertEquals(1L, await(shards.queries().query("db", "text", spec)).count());
    }
}
