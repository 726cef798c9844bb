package io.lumadb.shards.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.ColdDataUnavailableException;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentChange.Op;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cold documents in a real shard store: {@link ShardStore#cool} replaces bodies by pointers
 * atomically with the meta, keeping versions and index entries; every read resolves them through
 * the node's {@link ColdTier}; {@link ShardStore#scan} shows them as stored; a document written
 * since it was sealed stays warm; writing a cold one makes it warm; images carry pointers.
 */
class ColdPointerStoreTest {

    @TempDir
    Path dir;

    /** A cold tier holding bodies in memory, keyed by pointer, counting its reads. */
    private static final class MemoryTier implements ColdTier {
        final Map<String, byte[]> bodies = new HashMap<>();
        int reads;
        boolean broken;

        byte[] keep(String id, long version, byte[] json) {
            byte[] pointer = (id + "@" + version).getBytes(StandardCharsets.UTF_8);
            bodies.put(new String(pointer, StandardCharsets.UTF_8), json);
            return pointer;
        }

        @Override
        public byte[] read(String store, String id, long version, byte[] pointer) {
            reads++;
            if (broken) {
                throw new ColdDataUnavailableException("segment lost");
            }
            byte[] json = bodies.get(new String(pointer, StandardCharsets.UTF_8));
            assertEquals(id + "@" + version, new String(pointer, StandardCharsets.UTF_8));
            return json;
        }

        @Override
        public byte[] cached(String store, String id, long version, byte[] pointer) {
            return null;
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void coolingKeepsVersionsAndIndexEntriesAndReadsResolveThroughTheTier() throws Exception {
        MemoryTier tier = new MemoryTier();
        try (TestRocks rocks = new TestRocks(dir)) {
            var stores = rocks.stores();
            stores.coldTier(tier);
            ShardStore store = stores.open("db/c/1/0");
            store.syncIndexes(1, List.of(new IndexDefinition("g", 7, List.of(new IndexDefinition.Field("g", false)))));
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("a", Op.CREATED, 1, b("{\"_id\":\"a\",\"_version\":1,\"g\":1}")),
                            new DocumentChange("b", Op.CREATED, 2, b("{\"_id\":\"b\",\"_version\":2,\"g\":2}")),
                            new DocumentChange("c", Op.CREATED, 3, b("{\"_id\":\"c\",\"_version\":3,\"g\":1}"))));
            while (store.buildIndexes(100)) {}
            byte[] aJson = store.get("a").json();
            byte[] bJson = store.get("b").json();
            List<ColdTier.Entry> entries = List.of(
                    new ColdTier.Entry("a", 1, tier.keep("a", 1, aJson)),
                    new ColdTier.Entry("b", 2, tier.keep("b", 2, bJson)),
                    // Sealed at version 2, written since (now 3): stays warm.
                    new ColdTier.Entry("c", 2, b("c@2")),
                    new ColdTier.Entry("gone", 1, b("gone@1")));
            assertEquals(2, store.cool(2, entries));
            assertEquals(new ShardMeta(2, 3, 3), store.meta());

            assertArrayEquals(aJson, store.get("a").json());
            assertEquals(1, store.get("a").version());
            List<StoredDocument> listed = store.list(null, 10);
            assertArrayEquals(bJson, listed.get(1).json());
            List<StoredDocument> scanned = store.scan(null, 10);
            assertTrue(ColdTier.isPointer(scanned.get(0).json()));
            assertArrayEquals(b("a@1"), ColdTier.pointerOf(scanned.get(0).json()));
            assertTrue(ColdTier.isPointer(scanned.get(1).json()));
            assertFalse(ColdTier.isPointer(scanned.get(2).json()));
            // The memory-only lookup never blocks on the cold tier.
            int before = tier.reads;
            assertFalse(store.lookupInMemory("a").known());
            assertEquals(before, tier.reads);
            // Index entries stayed: a read view finds the cold document through the index.
            try (ReadView view = store.readView()) {
                List<String> ids = new ArrayList<>();
                view.index(7, null, null, false).forEachRemaining(e -> ids.add(e.id()));
                assertEquals(List.of("a", "c", "b"), ids);
                assertArrayEquals(aJson, view.get("a").json());
                List<String> docs = new ArrayList<>();
                view.documents(null).forEachRemaining(d -> docs.add(new String(d.json(), StandardCharsets.UTF_8)));
                assertEquals(new String(bJson, StandardCharsets.UTF_8), docs.get(1));
            }

            // Writing a cold document makes it warm; its old index entry goes.
            store.apply(
                    3,
                    List.of(new DocumentChange(
                            "a", Op.UPDATED, 4, b("{\"_id\":\"a\",\"_version\":4,\"g\":9}"), aJson)));
            assertFalse(ColdTier.isPointer(store.scan(null, 1).getFirst().json()));
            try (ReadView view = store.readView()) {
                List<String> ids = new ArrayList<>();
                view.index(7, null, null, false).forEachRemaining(e -> ids.add(e.id()));
                assertEquals(List.of("c", "b", "a"), ids);
            }
            // An unreadable cold body is an error, never a wrong answer.
            tier.broken = true;
            assertThrows(ColdDataUnavailableException.class, () -> store.get("b"));
            tier.broken = false;
            store.close();
        }
        // Across a reopen, the pointers and their meta stay.
        try (TestRocks rocks = new TestRocks(dir)) {
            var stores = rocks.stores();
            stores.coldTier(tier);
            ShardStore store = stores.open("db/c/1/0");
            assertEquals(3, store.meta().appliedSeq());
            assertArrayEquals(bJsonOf(tier), store.get("b").json());
            assertTrue(ColdTier.isPointer(store.scan("a", 1).getFirst().json()));
            store.close();
        }
    }

    private static byte[] bJsonOf(MemoryTier tier) {
        return tier.bodies.get("b@2");
    }

    @Test
    void anImageWithPointersInstallsThemAsPointersAndIndexesTheirBodies() throws Exception {
        MemoryTier tier = new MemoryTier();
        try (TestRocks rocks = new TestRocks(dir)) {
            var stores = rocks.stores();
            stores.coldTier(tier);
            ShardStore store = stores.open("db/c/1/1");
            store.syncIndexes(1, List.of(new IndexDefinition("g", 7, List.of(new IndexDefinition.Field("g", false)))));
            while (store.buildIndexes(100)) {}
            byte[] body = b("{\"_id\":\"x\",\"_version\":5,\"g\":4}");
            byte[] pointer = tier.keep("x", 5, body);
            byte[] stored = new ColdTier.Entry("x", 5, pointer).stored();
            store.install(9, 5, List.of(new StoredDocument("x", 5, stored)));
            assertTrue(ColdTier.isPointer(store.scan(null, 1).getFirst().json()));
            assertArrayEquals(body, store.get("x").json());
            try (ReadView view = store.readView()) {
                List<String> ids = new ArrayList<>();
                view.index(7, null, null, false).forEachRemaining(e -> ids.add(e.id()));
                assertEquals(List.of("x"), ids);
            }
            store.close();
        }
    }
}
