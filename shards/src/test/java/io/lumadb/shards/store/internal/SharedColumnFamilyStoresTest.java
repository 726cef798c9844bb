package io.lumadb.shards.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentChange.Op;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * Many shard stores in the column families they share: each sees only its own keys, dropping
 * one leaves the others intact, all survive a restart, and reading a store that was never
 * written creates nothing.
 */
class SharedColumnFamilyStoresTest {

    @TempDir
    Path dir;

    private static final IndexDefinition BY_N =
            new IndexDefinition("n", 1, List.of(new IndexDefinition.Field("n", false)));

    /** Names chosen so that one is a prefix of another: a name-prefixed layout would mix them. */
    private static final List<String> NAMES = List.of("db/c/1/1", "db/c/1/10", "db/c/1/100", "db/c2/1/1");

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Store {@code i} holds documents {@code <i>-0 .. <i>-(i+1)} with n = i, indexed. */
    private static void fill(ShardStore store, int i) {
        store.syncIndexes(1, List.of(BY_N));
        List<DocumentChange> changes = new ArrayList<>();
        for (int d = 0; d <= i + 1; d++) {
            changes.add(new DocumentChange(i + "-" + d, Op.CREATED, d + 1, b("{\"n\":" + i + "}")));
        }
        store.apply(1, changes);
        store.buildIndexes(100);
    }

    private static void assertHoldsOnlyItsOwn(ShardStore store, int i) {
        assertEquals(i + 2, store.meta().documentCount(), store.name());
        List<String> listed =
                store.list(null, 1000).stream().map(StoredDocument::id).toList();
        assertEquals(i + 2, listed.size(), store.name() + ": " + listed);
        assertTrue(listed.stream().allMatch(id -> id.startsWith(i + "-")), store.name() + ": " + listed);
        try (ReadView view = store.readView()) {
            List<String> docs = new ArrayList<>();
            view.documents(null).forEachRemaining(d -> docs.add(d.id()));
            assertEquals(listed, docs);
            List<String> indexed = new ArrayList<>();
            view.index(BY_N.id(), null, null, false).forEachRemaining(e -> indexed.add(e.id()));
            assertEquals(listed, indexed, store.name());
            List<String> reversed = new ArrayList<>();
            view.index(BY_N.id(), null, null, true).forEachRemaining(e -> reversed.add(e.id()));
            assertEquals(listed.reversed(), reversed, store.name());
        }
        assertNull(store.get((i + 1) + "-0"), "another store's document");
    }

    @Test
    void storesSharingColumnFamiliesSeeOnlyTheirOwnKeysAndSurviveADropAndARestart() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            for (int i = 0; i < NAMES.size(); i++) {
                ShardStore store = stores.open(NAMES.get(i));
                fill(store, i);
                store.close();
            }
            for (int i = 0; i < NAMES.size(); i++) {
                ShardStore store = stores.open(NAMES.get(i));
                assertHoldsOnlyItsOwn(store, i);
                store.close();
            }
            stores.drop(NAMES.get(1));
            assertEquals(Set.of(NAMES.get(0), NAMES.get(2), NAMES.get(3)), stores.names());
            ShardStore dropped = stores.open(NAMES.get(1));
            assertEquals(ShardMeta.EMPTY, dropped.meta());
            assertEquals(List.of(), dropped.list(null, 10));
            assertEquals(List.of(), dropped.indexes());
            dropped.close();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            for (int i : List.of(0, 2, 3)) {
                ShardStore store = stores.open(NAMES.get(i));
                assertHoldsOnlyItsOwn(store, i);
                store.close();
            }
            // Recreated after the drop: a new store, which never sees the old one's data.
            ShardStore again = stores.open(NAMES.get(1));
            assertEquals(ShardMeta.EMPTY, again.meta());
            again.apply(1, List.of(new DocumentChange("fresh", Op.CREATED, 1, b("{}"))));
            assertEquals(
                    List.of("fresh"),
                    again.list(null, 10).stream().map(StoredDocument::id).toList());
            again.close();
            assertHoldsOnlyItsOwn(stores.open(NAMES.get(2)), 2);
            assertEquals(new HashSet<>(NAMES), stores.names());
        }
    }

    /** Every key of every column family, as text, and the column family names. */
    private static List<String> everything(TestRocks rocks) {
        List<String> out = new ArrayList<>(rocks.names().stream().sorted().toList());
        for (String cf : rocks.names().stream().sorted().toList()) {
            ColumnFamilyHandle handle = rocks.columnFamily(cf);
            try (RocksIterator it = rocks.db().newIterator(handle)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    out.add(cf + ":" + java.util.HexFormat.of().formatHex(it.key()));
                }
            }
        }
        return out;
    }

    @Test
    void readingAStoreThatWasNeverWrittenCreatesNothing() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            ShardStore written = stores.open("db/c/1/0");
            written.apply(1, List.of(new DocumentChange("a", Op.CREATED, 1, b("{}"))));
            written.close();
            List<String> before = everything(rocks);

            ShardStore store = stores.open("db/c/1/1");
            assertNull(store.get("a"));
            assertEquals(ShardStore.Lookup.ABSENT, store.lookupInMemory("a"));
            assertEquals(List.of(), store.list(null, 10));
            assertEquals(ShardMeta.EMPTY, store.meta());
            // A shard adopts its collection's (empty) index set when it starts, before a read.
            assertTrue(store.syncIndexes(1, List.of()));
            assertFalse(store.buildIndexes(10));
            try (ReadView view = store.readView()) {
                assertEquals(ShardMeta.EMPTY, view.meta());
                assertNull(view.get("a"));
                assertFalse(view.documents(null).hasNext());
                assertFalse(view.index(1, null, null, false).hasNext());
            }
            store.close();

            assertEquals(before, everything(rocks));
            assertEquals(Set.of("db/c/1/0"), stores.names());
        }
    }

    @Test
    void twoThousandStoresAreCreatedAndReopenedWithoutAColumnFamilyEach() throws Exception {
        int count = 2_000;
        int columnFamilies;
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            for (int i = 0; i < count; i++) {
                ShardStore store = stores.open("db/c" + (i / 4) + "/1/" + (i % 4));
                store.apply(1, List.of(new DocumentChange("d" + i, Op.CREATED, 1, b("{\"i\":" + i + "}"))));
                store.close();
            }
            columnFamilies = rocks.names().size();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            assertEquals(columnFamilies, rocks.names().size());
            assertTrue(columnFamilies <= 3, "column families: " + rocks.names());
            ShardStores stores = rocks.stores();
            assertEquals(count, stores.names().size());
            for (int i = 0; i < count; i++) {
                ShardStore store = stores.open("db/c" + (i / 4) + "/1/" + (i % 4));
                assertEquals(new ShardMeta(1, 1, 1), store.meta());
                assertEquals(
                        List.of("d" + i),
                        store.list(null, 10).stream().map(StoredDocument::id).toList());
                store.close();
            }
        }
    }

    private static long directMemory() {
        return java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)
                .stream()
                .filter(p -> p.getName().equals("direct"))
                .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
                .sum();
    }

    @Test
    void openStoresHoldNoDirectMemoryEach() throws Exception {
        // A node with 10,000 collections of 4 shards holds 40,000 open stores.
        int count = 5_000;
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            List<ShardStore> open = new ArrayList<>();
            long before = directMemory();
            for (int i = 0; i < count; i++) {
                ShardStore store = stores.open("db/c" + i + "/1/0");
                store.apply(
                        1, List.of(new DocumentChange("d", Op.CREATED, 1, b("{\"pad\":\"" + "x".repeat(100) + "\"}"))));
                open.add(store);
            }
            long perStore = (directMemory() - before) / count;
            assertTrue(perStore < 256, "direct memory per open store: " + perStore + " bytes");
            open.forEach(ShardStore::close);
        }
    }

    @Test
    void aStoreInAColumnFamilyOfItsOwnIsMigratedAtOpen() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            // The layout before stores shared column families: meta at 0x00, documents at 0x01 ++ id.
            ColumnFamilyHandle old = rocks.columnFamily("shard:db/old/1/0");
            rocks.db()
                    .put(
                            old,
                            new byte[] {0x00},
                            ByteBuffer.allocate(24)
                                    .putLong(7)
                                    .putLong(9)
                                    .putLong(2)
                                    .array());
            for (String id : List.of("x", "y")) {
                byte[] json = b("{\"_id\":\"" + id + "\"}");
                rocks.db()
                        .put(
                                old,
                                ByteBuffer.allocate(1 + id.length())
                                        .put((byte) 0x01)
                                        .put(b(id))
                                        .array(),
                                ByteBuffer.allocate(8 + json.length)
                                        .putLong(id.equals("x") ? 3 : 9)
                                        .put(json)
                                        .array());
            }
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStores stores = rocks.stores();
            assertFalse(
                    rocks.names().contains("shard:db/old/1/0"), rocks.names().toString());
            assertEquals(Set.of("db/old/1/0"), stores.names());
            ShardStore store = stores.open("db/old/1/0");
            assertEquals(new ShardMeta(7, 9, 2), store.meta());
            assertEquals(3, store.get("x").version());
            assertEquals(
                    List.of("x", "y"),
                    store.list(null, 10).stream().map(StoredDocument::id).toList());
            store.close();
        }
    }
}
