package io.lumadb.shards.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentChange.Op;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksShardStoreTest {

    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void appliesChangesAndMetaTogetherAndKeepsThemAcrossReopen() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("db/c/1/0");
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("a", Op.CREATED, 1, b("{\"_id\":\"a\"}")),
                            new DocumentChange("b", Op.CREATED, 2, b("{\"_id\":\"b\"}"))));
            store.apply(
                    2,
                    List.of(
                            new DocumentChange("a", Op.UPDATED, 3, b("{\"_id\":\"a\",\"x\":1}")),
                            new DocumentChange("b", Op.DELETED, 4, null)));
            assertEquals(new ShardMeta(2, 4, 1), store.meta());
            store.close();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("db/c/1/0");
            assertEquals(new ShardMeta(2, 4, 1), store.meta());
            StoredDocument a = store.get("a");
            assertEquals(3, a.version());
            assertArrayEquals(b("{\"_id\":\"a\",\"x\":1}"), a.json());
            assertNull(store.get("b"));
            store.close();
        }
    }

    @Test
    void memoryLookupsAnswerOnlyWhatMemoryKnowsAndNeverAfterClose() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            // "0" fills the data block of the meta key (which opening the store reads and caches), so
            // that "a" lands in a block of its own.
            String big = "{\"pad\":\"" + "x".repeat(10_000) + "\"}";
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("0", Op.CREATED, 2, b(big)),
                            new DocumentChange("a", Op.CREATED, 1, b(big))));
            ShardStore.Lookup fromMemtable = store.lookupInMemory("a");
            assertEquals(true, fromMemtable.known());
            assertEquals(1, fromMemtable.document().version());
            assertEquals(ShardStore.Lookup.ABSENT, store.lookupInMemory("missing"));
            store.close();
            rocks.flush();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            // Only in an SST file now, with a cold block cache: memory cannot tell.
            assertEquals(ShardStore.Lookup.NOT_IN_MEMORY, store.lookupInMemory("a"));
            assertEquals(1, store.get("a").version());
            assertEquals(1, store.lookupInMemory("a").document().version(), "cached by the read");
            store.close();
            assertEquals(ShardStore.Lookup.NOT_IN_MEMORY, store.lookupInMemory("a"), "a closed store is not read");
        }
    }

    @Test
    void readsDocumentsLargerThanTheReadBuffers() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            byte[] big = b("{\"pad\":\"" + "y".repeat(200_000) + "\"}");
            byte[] small = b("{\"n\":1}");
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("big", Op.CREATED, 7, big),
                            new DocumentChange("small", Op.CREATED, 8, small)));
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(big, store.get("big").json());
                assertEquals(7, store.get("big").version());
                assertArrayEquals(small, store.get("small").json());
                assertArrayEquals(big, store.lookupInMemory("big").document().json());
            }
            store.close();
        }
    }

    @Test
    void refusesToApplyAnEventTwice() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            store.apply(1, List.of(new DocumentChange("a", Op.CREATED, 1, b("{}"))));
            assertThrows(
                    IllegalStateException.class,
                    () -> store.apply(1, List.of(new DocumentChange("a", Op.UPDATED, 2, b("{}")))));
            assertEquals(1, store.get("a").version());
            store.close();
        }
    }

    @Test
    void listsInUtf8OrderFromACursor() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            List<String> ids = List.of("b", "a", "ä", "Z", "a0", "c");
            long v = 0;
            long seq = 0;
            for (String id : ids) {
                store.apply(++seq, List.of(new DocumentChange(id, Op.CREATED, ++v, b("{}"))));
            }
            assertEquals(
                    List.of("Z", "a", "a0"),
                    store.list(null, 3).stream().map(StoredDocument::id).toList());
            assertEquals(
                    List.of("b", "c", "ä"),
                    store.list("a0", 10).stream().map(StoredDocument::id).toList());
            assertEquals(
                    List.of("b"),
                    store.list("a1", 1).stream().map(StoredDocument::id).toList());
            assertEquals(List.of(), store.list("ä", 10));
            store.close();
        }
    }

    @Test
    void storesAreIsolatedAndDroppable() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            var stores = rocks.stores();
            ShardStore one = stores.open("db/c/1/0");
            ShardStore two = stores.open("db/c/1/1");
            one.apply(1, List.of(new DocumentChange("a", Op.CREATED, 1, b("{}"))));
            two.apply(1, List.of(new DocumentChange("b", Op.CREATED, 1, b("{}"))));
            assertNull(two.get("a"));
            assertEquals(java.util.Set.of("db/c/1/0", "db/c/1/1"), stores.names());
            one.close();
            stores.drop("db/c/1/0");
            assertEquals(java.util.Set.of("db/c/1/1"), stores.names());
            ShardStore again = stores.open("db/c/1/0");
            assertEquals(ShardMeta.EMPTY, again.meta());
            again.close();
            two.close();
        }
    }

    private static final IndexDefinition BY_N =
            new IndexDefinition("n", 1, List.of(new IndexDefinition.Field("n", false)));

    private static StoredDocument doc(String id, long version, String json) {
        return new StoredDocument(id, version, b(json));
    }

    /** Documents and index entries of a store, as comparable text. */
    private static List<String> dump(ShardStore store) {
        List<String> out = new ArrayList<>();
        try (ReadView view = store.readView()) {
            view.documents(null).forEachRemaining(d -> out.add(d.toString()));
            view.index(BY_N.id(), null, null, false)
                    .forEachRemaining(e -> out.add("index " + HexFormat.of().formatHex(e.key()) + " " + e.id()));
        }
        return out;
    }

    @Test
    void installedImageReplacesTheContentsWithItsIndexEntries() throws Exception {
        List<StoredDocument> image = List.of(
                doc("same", 2, "{\"n\":2}"),
                doc("changed", 7, "{\"n\":[70,71]}"),
                doc("new", 8, "{\"n\":8}"),
                doc("plain", 6, "{}"));
        try (TestRocks rocks = new TestRocks(dir)) {
            // A stale store: one document the image no longer has, one it changed, one it kept.
            ShardStore stale = rocks.stores().open("stale");
            stale.syncIndexes(1, List.of(BY_N));
            stale.apply(
                    1,
                    List.of(
                            new DocumentChange("gone", Op.CREATED, 1, b("{\"n\":1}")),
                            new DocumentChange("same", Op.CREATED, 2, b("{\"n\":2}")),
                            new DocumentChange("changed", Op.CREATED, 3, b("{\"n\":3}"))));
            stale.buildIndexes(100);
            stale.install(5, 9, image);

            // The same documents written from scratch.
            ShardStore fresh = rocks.stores().open("fresh");
            fresh.syncIndexes(1, List.of(BY_N));
            fresh.apply(
                    1,
                    image.stream()
                            .map(d -> new DocumentChange(d.id(), Op.CREATED, d.version(), d.json()))
                            .toList());
            fresh.buildIndexes(100);

            assertEquals(new ShardMeta(5, 9, 4), stale.meta());
            assertEquals(dump(fresh), dump(stale));
            assertEquals(
                    5, dump(stale).stream().filter(l -> l.startsWith("index")).count());
            assertEquals(true, stale.indexes().getFirst().multikey(), "the image's arrays made the index multikey");
            stale.close();
            fresh.close();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore reopened = rocks.stores().open("stale");
            assertEquals(new ShardMeta(5, 9, 4), reopened.meta());
            assertNull(reopened.get("gone"));
            reopened.close();
        }
    }

    @Test
    void installKeepsAHigherLastVersionAndRefusesAnAppliedEvent() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("s");
            store.apply(1, List.of(new DocumentChange("a", Op.CREATED, 12, b("{}"))));
            store.install(3, 4, List.of(doc("b", 4, "{}")));
            assertEquals(new ShardMeta(3, 12, 1), store.meta());
            assertNull(store.get("a"));
            assertThrows(IllegalStateException.class, () -> store.install(3, 5, List.of()));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> store.install(4, 5, List.of(doc("c", 1, "{}"), doc("c", 2, "{}"))));
            assertEquals(new ShardMeta(3, 12, 1), store.meta());
            store.close();
        }
    }
}
