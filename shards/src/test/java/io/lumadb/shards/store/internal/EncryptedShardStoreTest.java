package io.lumadb.shards.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import io.lumadb.persistence.crypto.Keyring;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentChange.Op;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.DocumentCipher;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/** Encryption at rest of the shard stores on a real RocksDB, with the real cipher the node wires in. */
class EncryptedShardStoreTest {

    @TempDir
    Path dir;

    private static final String MARKER = "marker-7f3a9c";

    /** The node's adapter in miniature: the persistence cipher in the shard-document domain. */
    static DocumentCipher cipher(ValueCipher cipher) {
        return new DocumentCipher() {
            @Override
            public boolean enabled() {
                return cipher.enabled();
            }

            @Override
            public byte[] seal(byte[] aad, byte[] plain, int offset, int length) {
                return cipher.seal(Domain.SHARD_DOCUMENT, aad, plain, offset, length);
            }

            @Override
            public byte[] open(byte[] aad, byte[] sealed) {
                return cipher.open(Domain.SHARD_DOCUMENT, aad, sealed);
            }

            @Override
            public boolean isCurrent(byte[] stored) {
                return cipher.isCurrent(stored, 0);
            }
        };
    }

    private static Keyring ring(int active, int... ids) {
        TreeMap<Integer, byte[]> keys = new TreeMap<>();
        for (int id : ids) {
            byte[] key = new byte[Keyring.KEY_BYTES];
            new Random(id).nextBytes(key);
            keys.put(id, key);
        }
        return new Keyring(keys, active);
    }

    private static DocumentCipher keys(int active, int... ids) {
        return cipher(ValueCipher.of(ring(active, ids)));
    }

    private static byte[] doc(String id, int n) {
        return ("{\"_id\":\"" + id + "\",\"n\":" + n + ",\"secret\":\"" + MARKER + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Key ids of the raw document values in the shared column family (0: in clear). */
    private static Map<String, Integer> rawKeyIds(TestRocks rocks) {
        Map<String, Integer> ids = new HashMap<>();
        try (RocksIterator it = rocks.db().newIterator(rocks.columnFamily(RocksShardStores.STATE_COLUMN_FAMILY))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length > 9 && key[8] == 0x01) {
                    byte[] value = it.value();
                    String id = new String(key, 9, key.length - 9, StandardCharsets.UTF_8);
                    ids.put(id, EnvelopeFormat.isEnvelope(value, 0) ? EnvelopeFormat.keyId(value, 0) : 0);
                }
            }
        }
        return ids;
    }

    private static boolean anyValueContains(TestRocks rocks, String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = rocks.db().newIterator(rocks.columnFamily(RocksShardStores.STATE_COLUMN_FAMILY))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                if (indexOf(it.value(), needle) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void documentsAreSealedAndReadBackThroughEveryReadPath() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores(keys(1, 1)).open("db/c/0");
            store.apply(1, List.of(new DocumentChange("a", Op.CREATED, 1, doc("a", 1))));
            store.apply(2, List.of(new DocumentChange("b", Op.CREATED, 2, doc("b", 2))));
            assertFalse(anyValueContains(rocks, MARKER), "a document value is in clear");
            assertEquals(Map.of("a", 1, "b", 1), rawKeyIds(rocks));

            assertArrayEquals(doc("a", 1), store.get("a").json());
            assertEquals(2, store.get("b").version());
            assertTrue(store.lookupInMemory("a").known());
            assertArrayEquals(doc("a", 1), store.lookupInMemory("a").document().json());
            assertEquals(
                    List.of("a", "b"),
                    store.list(null, 10).stream().map(StoredDocument::id).toList());
            try (ReadView view = store.readView()) {
                assertArrayEquals(doc("b", 2), view.get("b").json());
                List<String> ids = new ArrayList<>();
                view.documents(null).forEachRemaining(d -> ids.add(d.id() + "@" + d.version()));
                assertEquals(List.of("a@1", "b@2"), ids);
            }
            // An index built over sealed documents reads their JSON.
            store.syncIndexes(
                    1, List.of(new IndexDefinition("by-n", 1, List.of(new IndexDefinition.Field("n", false)))));
            while (store.buildIndexes(1)) {}
            assertEquals(2, store.indexes().getFirst().indexed());
            store.close();
        }
    }

    @Test
    void aValueMovedToAnotherDocumentFailsInsteadOfReadingAsIt() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores(keys(1, 1)).open("s");
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("a", Op.CREATED, 1, doc("a", 1)),
                            new DocumentChange("b", Op.CREATED, 2, doc("b", 2))));
            var cf = rocks.columnFamily(RocksShardStores.STATE_COLUMN_FAMILY);
            byte[] prefix = RocksShardStores.prefix(1);
            byte[] keyA = RocksShardStores.concat(prefix, new byte[] {0x01, 'a'});
            byte[] keyB = RocksShardStores.concat(prefix, new byte[] {0x01, 'b'});
            rocks.db().put(cf, keyB, rocks.db().get(cf, keyA));
            ShardStoreException e = assertThrows(ShardStoreException.class, () -> store.get("b"));
            assertTrue(
                    e.getMessage().contains("'b'") && e.getMessage().contains("fails authentication"), e.getMessage());
            store.close();
        }
    }

    @Test
    void rotationWritesNewValuesUnderTheNewKeyAndReencryptionRewritesTheOldOnes() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            // Before encryption: one store in clear.
            ShardStore clear = rocks.stores().open("db/c/1");
            clear.apply(1, List.of(new DocumentChange("p", Op.CREATED, 1, doc("p", 0))));
            clear.close();
            // Key 1.
            ShardStore one = rocks.stores(keys(1, 1)).open("db/c/0");
            for (int i = 0; i < 10; i++) {
                one.apply(i + 1, List.of(new DocumentChange("d" + i, Op.CREATED, i + 1, doc("d" + i, i))));
            }
            one.close();
            rocks.flush();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            // Key 2 added and active: old values read, new writes use key 2.
            var stores = rocks.stores(keys(2, 1, 2));
            ShardStore store = stores.open("db/c/0");
            assertArrayEquals(doc("d3", 3), store.get("d3").json());
            assertArrayEquals(doc("p", 0), stores.open("db/c/1").get("p").json());
            store.apply(11, List.of(new DocumentChange("d0", Op.UPDATED, 11, doc("d0", 100))));
            Map<String, Integer> before = rawKeyIds(rocks);
            assertEquals(2, before.get("d0"));
            assertEquals(1, before.get("d5"));
            assertEquals(0, before.get("p"));

            List<Long> progress = new ArrayList<>();
            long rewritten = stores.reencrypt(3, done -> progress.add(done));
            assertEquals(10, rewritten, "9 values under key 1 and 1 in clear");
            assertEquals(List.of(3L, 6L, 9L, 10L), progress);
            assertTrue(
                    rawKeyIds(rocks).values().stream().allMatch(id -> id == 2),
                    rawKeyIds(rocks).toString());
            assertFalse(anyValueContains(rocks, MARKER));
            assertArrayEquals(doc("d5", 5), store.get("d5").json());
            assertEquals(5 + 1, store.get("d5").version());
            assertArrayEquals(doc("d0", 100), store.get("d0").json());
            assertEquals(0, stores.reencrypt(3, done -> true), "a second pass finds nothing to do");
            store.close();
        }
        try (TestRocks rocks = new TestRocks(dir)) {
            // Key 1 retired: everything still reads.
            ShardStore store = rocks.stores(keys(2, 2)).open("db/c/0");
            assertArrayEquals(doc("d9", 9), store.get("d9").json());
            store.close();
            // Without key 2 the error names it.
            ShardStore missing = rocks.stores(keys(3, 3)).open("db/c/0");
            ShardStoreException e = assertThrows(ShardStoreException.class, () -> missing.get("d9"));
            assertTrue(e.getMessage().contains("key id 2"), e.getMessage());
            missing.close();
        }
    }

    @Test
    void reencryptionStopsWhenAskedAndResumesOnTheNextPass() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores(keys(1, 1)).open("s");
            List<DocumentChange> changes = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                changes.add(new DocumentChange("d" + i, Op.CREATED, i + 1, doc("d" + i, i)));
            }
            store.apply(1, changes);
            store.close();
            var stores = rocks.stores(keys(2, 1, 2));
            assertEquals(2, stores.reencrypt(2, done -> false));
            assertEquals(5, stores.reencrypt(2, done -> true));
            assertTrue(rawKeyIds(rocks).values().stream().allMatch(id -> id == 2));
        }
    }

    @Test
    void encryptionOffReadsClearValuesAndNamesTheKeyOfSealedOnes() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore sealed = rocks.stores(keys(4, 4)).open("s");
            sealed.apply(1, List.of(new DocumentChange("a", Op.CREATED, 1, doc("a", 1))));
            sealed.close();
            ShardStore off = rocks.stores().open("s");
            ShardStoreException e = assertThrows(ShardStoreException.class, () -> off.get("a"));
            assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
            off.apply(2, List.of(new DocumentChange("b", Op.CREATED, 2, doc("b", 2))));
            assertTrue(anyValueContains(rocks, MARKER), "with encryption off the value is in clear");
            assertEquals(0, rocks.stores().reencrypt(10, done -> true));
            off.close();
        }
    }

    @Test
    void sealedValuesNeverStartLikeAClearOne() {
        byte[] sealed = keys(1, 1).seal(new byte[] {1}, new byte[8], 0, 8);
        assertTrue(DocumentCipher.isSealed(sealed));
        byte[] clear = Arrays.copyOf(new byte[] {0x7F}, 16);
        assertFalse(DocumentCipher.isSealed(clear), "the largest version's first byte is 0x7F");
    }
}
