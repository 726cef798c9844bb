package io.lumadb.tiering.fragment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LocalFragmentStoreTest {

    @TempDir
    Path dir;

    @Test
    void putsGetsReadsListsAndDeletes() {
        LocalFragmentStore store = new LocalFragmentStore("s1", dir.resolve("store"));
        assertEquals("s1", store.name());
        FragmentId a = new FragmentId("seg-a", 0);
        FragmentId b = new FragmentId("seg-b", 7);
        byte[] bytesA = random(1, 10_000);
        byte[] bytesB = random(2, 3);

        assertNull(store.get(a));
        assertNull(store.read(a, 0, 1));
        assertFalse(store.delete(a));
        assertEquals(List.of(), store.list());
        assertEquals(0, store.bytes());

        store.put(b, bytesB);
        store.put(a, bytesA);
        assertArrayEquals(bytesA, store.get(a));
        assertArrayEquals(bytesB, store.get(b));
        assertArrayEquals(Arrays.copyOfRange(bytesA, 1234, 1234 + 777), store.read(a, 1234, 777));
        assertArrayEquals(Arrays.copyOfRange(bytesA, 9_990, 10_000), store.read(a, 9_990, 10));
        assertArrayEquals(new byte[0], store.read(a, 10_000, 0));
        assertEquals(List.of(a, b), store.list());
        assertEquals(10_003, store.bytes());

        assertTrue(store.delete(a));
        assertNull(store.get(a));
        assertEquals(List.of(b), store.list());
        assertEquals(3, store.bytes());
    }

    @Test
    void readingPastTheEndFailsNamingStoreAndFragment() {
        LocalFragmentStore store = new LocalFragmentStore("short-store", dir);
        FragmentId id = new FragmentId("seg", 2);
        store.put(id, new byte[100]);
        FragmentStoreException e = assertThrows(FragmentStoreException.class, () -> store.read(id, 90, 11));
        assertEquals("short-store", e.store());
        assertEquals(id, e.fragment());
        assertTrue(e.getMessage().contains("100 bytes long"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.read(id, -1, 1));
    }

    @Test
    void putReplacesAWholeFragmentAtOnce() throws Exception {
        LocalFragmentStore store = new LocalFragmentStore("s", dir);
        FragmentId id = new FragmentId("seg", 3);
        byte[] ones = new byte[256 * 1024];
        byte[] twos = new byte[128 * 1024];
        Arrays.fill(ones, (byte) 1);
        Arrays.fill(twos, (byte) 2);
        store.put(id, ones);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> reads = readers.submit(() -> {
                int n = 0;
                while (!stop.get()) {
                    byte[] seen = store.get(id);
                    if (!Arrays.equals(seen, ones) && !Arrays.equals(seen, twos)) {
                        throw new AssertionError("saw a mix of two puts: " + seen.length + " bytes");
                    }
                    n++;
                }
                return n;
            });
            for (int i = 0; i < 50; i++) {
                store.put(id, i % 2 == 0 ? twos : ones);
            }
            stop.set(true);
            assertTrue(reads.get() > 0);
        } finally {
            stop.set(true);
            readers.shutdownNow();
        }
        assertArrayEquals(ones, store.get(id));
        assertEquals(List.of(id.fileName()), fileNames(dir));
    }

    @Test
    void leftoverTemporaryFilesAreIgnoredAndRemovedOnOpen() throws Exception {
        LocalFragmentStore store = new LocalFragmentStore("s", dir);
        FragmentId id = new FragmentId("seg", 1);
        byte[] bytes = random(3, 5000);
        store.put(id, bytes);
        // what a crash in the middle of replacing the fragment leaves behind
        Path leftover = dir.resolve(id.fileName() + ".5f3a" + LocalFragmentStore.TEMP_SUFFIX);
        Files.write(leftover, Arrays.copyOf(random(4, 5000), 1200));
        Path otherLeftover =
                dir.resolve(new FragmentId("never-finished", 8).fileName() + ".1" + LocalFragmentStore.TEMP_SUFFIX);
        Files.write(otherLeftover, new byte[10]);

        assertEquals(List.of(id), store.list());
        assertEquals(5000, store.bytes());

        LocalFragmentStore reopened = new LocalFragmentStore("s", dir);
        assertFalse(Files.exists(leftover));
        assertFalse(Files.exists(otherLeftover));
        assertArrayEquals(bytes, reopened.get(id));
        assertEquals(List.of(id), reopened.list());
        assertEquals(List.of(id.fileName()), fileNames(dir));
    }

    @Test
    void aFailedPutLeavesNothingBehindAndNamesStoreAndFragment() throws Exception {
        Path storeDir = dir.resolve("gone");
        LocalFragmentStore store = new LocalFragmentStore("gone-store", storeDir);
        FragmentId id = new FragmentId("seg", 4);
        Files.delete(storeDir);
        Files.write(storeDir, new byte[] {1}); // the directory is now a plain file: nothing can be written in it
        FragmentStoreException e = assertThrows(FragmentStoreException.class, () -> store.put(id, new byte[10]));
        assertEquals("gone-store", e.store());
        assertEquals(id, e.fragment());
        assertThrows(FragmentStoreException.class, () -> store.get(id));
        assertThrows(FragmentStoreException.class, () -> store.list());
        assertEquals(List.of("gone"), fileNames(dir));
    }

    @Test
    void aStoreIsNamedAfterItsDirectoryByDefault() {
        LocalFragmentStore store = new LocalFragmentStore(dir.resolve("x"));
        assertEquals(dir.resolve("x").toAbsolutePath().normalize().toString(), store.name());
        assertTrue(Files.isDirectory(dir.resolve("x")));
    }

    private static List<String> fileNames(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] random(long seed, int length) {
        byte[] out = new byte[length];
        new Random(seed).nextBytes(out);
        return out;
    }
}
