package io.lumadb.tiering.fragment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.tiering.segment.BuiltSegment;
import io.lumadb.tiering.segment.CorruptSegmentException;
import io.lumadb.tiering.segment.SegmentDocument;
import io.lumadb.tiering.segment.SegmentReader;
import io.lumadb.tiering.segment.TestCoder;
import io.lumadb.tiering.segment.TestDocuments;
import io.lumadb.tiering.segment.TestDocuments.Doc;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class FragmentedSegmentsTest {

    private static final String SHARD = "db/orders/3";

    @TempDir
    Path dir;

    private final Map<String, FragmentStore> stores = new HashMap<>();
    private final List<String> placement = new ArrayList<>();
    private final List<DegradedRead> degraded = new CopyOnWriteArrayList<>();
    private FragmentedSegments segments;

    private enum Damage {
        DELETE,
        FLIP,
        TRUNCATE
    }

    @BeforeEach
    void nineStores() {
        for (int i = 0; i < 9; i++) {
            addStore("s" + i);
            placement.add("s" + i);
        }
        segments = new FragmentedSegments(new TestCoder(), stores::get, degraded::add);
    }

    @Test
    void writesAndReadsEveryDocumentByItsRange() {
        List<Doc> docs = TestDocuments.mixed(1, 80, 200_000);
        BuiltSegment built = TestDocuments.build("seg-1", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-1", SHARD, built, placement);

        assertEquals("seg-1", descriptor.segmentId());
        assertEquals(SHARD, descriptor.shard());
        assertEquals(built.bytes().length, descriptor.segmentLength());
        assertEquals((built.bytes().length + 5) / 6, descriptor.fragmentSize());
        assertEquals(docs.size(), descriptor.documentCount());
        assertEquals(placement, descriptor.placement());
        for (int i = 0; i < 9; i++) {
            FragmentStore store = stores.get("s" + i);
            assertEquals(List.of(new FragmentId("seg-1", i)), store.list());
            byte[] fragment = store.get(new FragmentId("seg-1", i));
            assertEquals(descriptor.fragmentCrc(i), FragmentCodec.crc32c(fragment));
            if (i < 6) {
                int from = i * descriptor.fragmentSize();
                byte[] expected = Arrays.copyOfRange(built.bytes(), from, from + descriptor.fragmentSize());
                assertArrayEquals(expected, fragment, "data fragment " + i + " is the segment's own bytes");
            }
        }

        Map<String, Doc> byId = byId(docs);
        for (BuiltSegment.Entry entry : built.entries()) {
            SegmentDocument document =
                    segments.readRecord(descriptor, entry.offset(), entry.length(), entry.id(), entry.version());
            assertArrayEquals(byId.get(entry.id()).json(), document.json(), entry.id());
            assertEquals(entry.version(), document.version());
            assertArrayEquals(
                    Arrays.copyOfRange(built.bytes(), (int) entry.offset(), (int) entry.offset() + entry.length()),
                    segments.readRange(descriptor, entry.offset(), entry.length()));
        }
        assertArrayEquals(built.bytes(), segments.readSegment(descriptor));
        SegmentReader reader = segments.openSegment(descriptor);
        for (Doc doc : docs) {
            assertArrayEquals(doc.json(), reader.get(doc.id()).orElseThrow().json());
        }
        assertEquals(List.of(), degraded);
    }

    @Test
    void aPointReadTouchesOnlyTheDataFragmentsHoldingTheRecord() {
        List<Doc> docs = TestDocuments.mixed(2, 300, 3000);
        BuiltSegment built = TestDocuments.build("seg-count", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-count", SHARD, built, placement);
        Map<String, CountingStore> counting = new HashMap<>();
        for (String name : placement) {
            counting.put(name, new CountingStore(stores.get(name)));
        }
        FragmentedSegments counted = new FragmentedSegments(new TestCoder(), counting::get, degraded::add);
        int spanning = 0;
        for (BuiltSegment.Entry entry : built.entries()) {
            counting.values().forEach(CountingStore::reset);
            counted.readRecord(descriptor, entry.offset(), entry.length(), entry.id(), entry.version());

            Set<Integer> expected = new TreeSet<>();
            long first = entry.offset() / descriptor.fragmentSize();
            long last = (entry.offset() + entry.length() - 1) / descriptor.fragmentSize();
            for (long f = first; f <= last; f++) {
                expected.add((int) f);
            }
            Set<Integer> touched = new TreeSet<>();
            int reads = 0;
            for (int i = 0; i < 9; i++) {
                CountingStore store = counting.get(descriptor.store(i));
                assertEquals(0, store.gets, "whole-fragment get during a point read of " + entry.id());
                reads += store.reads;
                if (store.reads > 0) {
                    touched.add(i);
                }
            }
            assertEquals(expected, touched, entry.id());
            assertEquals(expected.size(), reads);
            assertTrue(reads <= 2);
            spanning += expected.size() == 2 ? 1 : 0;
        }
        assertTrue(spanning > 0, "no record spans two fragments; the test proves less than it should");
        assertEquals(List.of(), degraded);
    }

    @Test
    void everyDocumentSurvivesTheLossOrCorruptionOfAnyThreeFragmentsAndScrubRestoresThem() throws IOException {
        List<Doc> docs = TestDocuments.mixed(3, 40, 8000);
        BuiltSegment built = TestDocuments.build("seg-84", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-84", SHARD, built, placement);
        byte[][] originals = fileContents(descriptor);
        Map<String, Doc> byId = byId(docs);
        int combinations = 0;
        for (int a = 0; a < 9; a++) {
            for (int b = a + 1; b < 9; b++) {
                for (int c = b + 1; c < 9; c++) {
                    int[] bad = {a, b, c};
                    String combo = "fragments " + a + "," + b + "," + c;
                    for (int k = 0; k < 3; k++) {
                        Damage how = Damage.values()[(combinations + k) % 3];
                        damage(descriptor, bad[k], how, new Random(combinations * 9L + k));
                    }
                    degraded.clear();

                    for (BuiltSegment.Entry entry : built.entries()) {
                        SegmentDocument document = segments.readRecord(
                                descriptor, entry.offset(), entry.length(), entry.id(), entry.version());
                        assertArrayEquals(byId.get(entry.id()).json(), document.json(), combo + ", " + entry.id());
                    }
                    assertArrayEquals(built.bytes(), segments.readSegment(descriptor), combo);
                    if (a >= 6) {
                        assertEquals(List.of(), degraded, "intact data fragments need no decoding: " + combo);
                    }
                    for (DegradedRead read : degraded) {
                        assertTrue(Set.of(a, b, c).containsAll(read.problems().keySet()), combo + ": " + read);
                    }

                    ScrubReport report = segments.scrub(descriptor, null);
                    assertFalse(report.damaged(), combo);
                    assertEquals(Set.of(a, b, c), report.problems().keySet(), combo);
                    assertEquals(List.of(a, b, c), report.repaired(), combo);
                    assertEquals(Map.of(), report.unrepaired(), combo);
                    assertTrue(report.healthy());
                    assertEquals(descriptor, report.descriptor(), combo);
                    byte[][] after = fileContents(descriptor);
                    for (int i = 0; i < 9; i++) {
                        assertArrayEquals(originals[i], after[i], combo + ": fragment " + i + " after scrub");
                    }
                    combinations++;
                }
            }
        }
        assertEquals(84, combinations);
        assertTrue(segments.scrub(descriptor, null).clean());
    }

    @Test
    void readRangeRebuildsWhatMissingDataFragmentsHeld() throws IOException {
        List<Doc> docs = TestDocuments.mixed(4, 50, 5000);
        BuiltSegment built = TestDocuments.build("seg-range", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-range", SHARD, built, placement);
        for (int[] lost : new int[][] {{0, 1, 2}, {3, 4, 5}, {0, 5, 8}}) {
            for (int i : lost) {
                damage(descriptor, i, Damage.DELETE, null);
            }
            for (BuiltSegment.Entry entry : built.entries()) {
                assertArrayEquals(
                        Arrays.copyOfRange(built.bytes(), (int) entry.offset(), (int) entry.offset() + entry.length()),
                        segments.readRange(descriptor, entry.offset(), entry.length()));
            }
            assertArrayEquals(built.bytes(), segments.readRange(descriptor, 0, built.bytes().length));
            assertTrue(segments.scrub(descriptor, null).healthy());
        }
    }

    @Test
    void fourBadFragmentsMakeReadsFailAndScrubReportDamageWithoutWriting() throws IOException {
        List<Doc> docs = TestDocuments.mixed(5, 40, 5000);
        BuiltSegment built = TestDocuments.build("seg-lost", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-lost", SHARD, built, placement);
        byte[][] originals = fileContents(descriptor);

        int[] bad = {0, 2, 6, 7};
        damage(descriptor, 0, Damage.DELETE, null);
        damage(descriptor, 2, Damage.FLIP, new Random(1));
        damage(descriptor, 6, Damage.TRUNCATE, null);
        damage(descriptor, 7, Damage.DELETE, null);
        byte[][] damagedFiles = fileContents(descriptor);

        BuiltSegment.Entry inFragment0 = entryWithin(built, descriptor, 0);
        SegmentDamagedException e = assertThrows(
                SegmentDamagedException.class,
                () -> segments.readRecord(
                        descriptor,
                        inFragment0.offset(),
                        inFragment0.length(),
                        inFragment0.id(),
                        inFragment0.version()));
        assertEquals("seg-lost", e.segmentId());
        assertEquals(Set.of(0, 2, 6, 7), e.problems().keySet());
        assertTrue(e.getMessage().contains("segment 'seg-lost' is damaged: 5 of 9"), e.getMessage());
        assertTrue(e.problems().get(0).contains("missing"), e.problems().toString());
        assertTrue(e.problems().get(2).contains("crc32c"), e.problems().toString());
        assertTrue(e.problems().get(6).contains("bytes, expected"), e.problems().toString());
        assertThrows(SegmentDamagedException.class, () -> segments.readSegment(descriptor));
        assertThrows(
                SegmentDamagedException.class,
                () -> segments.readRange(descriptor, inFragment0.offset(), inFragment0.length()));

        // what lies in an intact data fragment is still read directly
        BuiltSegment.Entry inFragment1 = entryWithin(built, descriptor, 1);
        assertArrayEquals(
                byId(docs).get(inFragment1.id()).json(),
                segments.readRecord(
                                descriptor,
                                inFragment1.offset(),
                                inFragment1.length(),
                                inFragment1.id(),
                                inFragment1.version())
                        .json());

        ScrubReport report = segments.scrub(descriptor, i -> "s0");
        assertTrue(report.damaged());
        assertFalse(report.healthy());
        assertEquals(Set.of(0, 2, 6, 7), report.problems().keySet());
        assertEquals(List.of(), report.repaired());
        assertEquals(descriptor, report.descriptor());
        assertFilesEqual(damagedFiles, fileContents(descriptor), "a damaged scrub writes nothing");
        for (int i : bad) {
            stores.get(descriptor.store(i)).put(descriptor.fragment(i), originals[i]);
        }
        assertTrue(segments.scrub(descriptor, null).clean());
    }

    @Test
    void anyFourLostFragmentsAreReportedAsDamage() throws IOException {
        BuiltSegment built = TestDocuments.build("seg-126", SHARD, TestDocuments.mixed(6, 20, 2000));
        SegmentDescriptor descriptor = segments.write("seg-126", SHARD, built, placement);
        byte[][] originals = fileContents(descriptor);
        int combinations = 0;
        for (int mask = 0; mask < 1 << 9; mask++) {
            if (Integer.bitCount(mask) != 4) {
                continue;
            }
            Set<Integer> lost = new TreeSet<>();
            for (int i = 0; i < 9; i++) {
                if ((mask & 1 << i) != 0) {
                    lost.add(i);
                    damage(descriptor, i, Damage.DELETE, null);
                }
            }
            SegmentDamagedException e =
                    assertThrows(SegmentDamagedException.class, () -> segments.readSegment(descriptor));
            assertEquals(lost, e.problems().keySet());
            ScrubReport report = segments.scrub(descriptor, null);
            assertTrue(report.damaged(), lost.toString());
            assertEquals(lost, report.problems().keySet());
            for (int i = 0; i < 9; i++) {
                Path file = local(descriptor.store(i)).pathOf(descriptor.fragment(i));
                assertEquals(!lost.contains(i), Files.exists(file), "fragment " + i + " with " + lost + " lost");
            }
            for (int i : lost) {
                stores.get(descriptor.store(i)).put(descriptor.fragment(i), originals[i]);
            }
            combinations++;
        }
        assertEquals(126, combinations);
    }

    @Test
    void scrubMovesFragmentsOffStoresThatAreGoneOrUnwritable() throws IOException {
        addStore("spare-a");
        addStore("spare-b");
        List<Doc> docs = TestDocuments.mixed(7, 40, 5000);
        BuiltSegment built = TestDocuments.build("seg-move", SHARD, docs);
        SegmentDescriptor descriptor = segments.write("seg-move", SHARD, built, placement);
        byte[][] originals = fileContents(descriptor);

        stores.remove("s3"); // the store is gone
        Path s4 = local("s4").directory(); // the store can no longer be written (nor read)
        deleteTree(s4);
        Files.write(s4, new byte[] {0});

        ScrubReport report = segments.scrub(descriptor, i -> i == 3 ? "spare-a" : "spare-b");
        assertFalse(report.damaged());
        assertTrue(report.healthy());
        assertEquals(Set.of(3, 4), report.problems().keySet());
        assertTrue(
                report.problems().get(3).contains("no such store"),
                report.problems().toString());
        assertEquals(List.of(3, 4), report.repaired());
        SegmentDescriptor moved = report.descriptor();
        assertEquals("spare-a", moved.store(3));
        assertEquals("spare-b", moved.store(4));
        assertEquals(descriptor.withStore(3, "spare-a").withStore(4, "spare-b"), moved);
        assertArrayEquals(originals[3], stores.get("spare-a").get(descriptor.fragment(3)));
        assertArrayEquals(originals[4], stores.get("spare-b").get(descriptor.fragment(4)));

        degraded.clear();
        for (BuiltSegment.Entry entry : built.entries()) {
            segments.readRecord(moved, entry.offset(), entry.length(), entry.id(), entry.version());
        }
        assertEquals(List.of(), degraded, "with the new placement every fragment is found directly");
        assertTrue(segments.scrub(moved, null).clean());
    }

    @Test
    void scrubWithoutAReplacementReportsWhatItCouldNotRepair() throws IOException {
        BuiltSegment built = TestDocuments.build("seg-stuck", SHARD, TestDocuments.mixed(8, 20, 2000));
        SegmentDescriptor descriptor = segments.write("seg-stuck", SHARD, built, placement);
        damage(descriptor, 1, Damage.FLIP, new Random(2));
        stores.remove("s5");

        ScrubReport report = segments.scrub(descriptor, i -> null);
        assertFalse(report.damaged());
        assertFalse(report.healthy());
        assertEquals(List.of(1), report.repaired());
        assertEquals(Set.of(5), report.unrepaired().keySet());
        assertTrue(
                report.unrepaired().get(5).contains("no replacement store"),
                report.unrepaired().toString());
        assertEquals(descriptor, report.descriptor());
        assertArrayEquals(built.bytes(), segments.readSegment(descriptor));
    }

    @Test
    void aFailedWriteLeavesNoFragmentBehind() throws IOException {
        BuiltSegment built = TestDocuments.build("seg-fail", SHARD, TestDocuments.mixed(9, 20, 2000));
        Path s8 = local("s8").directory();
        deleteTree(s8);
        Files.write(s8, new byte[] {0});
        FragmentStoreException e =
                assertThrows(FragmentStoreException.class, () -> segments.write("seg-fail", SHARD, built, placement));
        assertEquals("s8", e.store());
        assertEquals(new FragmentId("seg-fail", 8), e.fragment());
        for (int i = 0; i < 8; i++) {
            assertEquals(List.of(), stores.get("s" + i).list(), "store s" + i);
        }

        List<String> unknown = new ArrayList<>(placement);
        unknown.set(8, "nowhere");
        FragmentStoreException noStore =
                assertThrows(FragmentStoreException.class, () -> segments.write("seg-fail", SHARD, built, unknown));
        assertTrue(noStore.getMessage().contains("no such store"), noStore.getMessage());
        for (int i = 0; i < 8; i++) {
            assertEquals(List.of(), stores.get("s" + i).list(), "store s" + i);
        }
    }

    @Test
    void writeRefusesASegmentThatIsNotTheOneNamed() {
        BuiltSegment built = TestDocuments.build("seg-x", SHARD, TestDocuments.mixed(10, 20, 2000));
        assertThrows(CorruptSegmentException.class, () -> segments.write("seg-y", SHARD, built, placement));
        assertThrows(IllegalArgumentException.class, () -> segments.write("seg-x", "other/shard", built, placement));
        assertThrows(
                IllegalArgumentException.class, () -> segments.write("seg-x", SHARD, built, placement.subList(0, 8)));
        byte[] corrupt = built.bytes().clone();
        corrupt[corrupt.length / 2] ^= 1;
        assertThrows(
                CorruptSegmentException.class,
                () -> segments.write("seg-x", SHARD, new BuiltSegment(corrupt, built.entries()), placement));
        for (String name : placement) {
            assertEquals(List.of(), stores.get(name).list());
        }
    }

    @Test
    void storageOverheadIsAboutOneAndAHalf() {
        List<Doc> docs = new ArrayList<>();
        Random random = new Random(11);
        for (int i = 0; docs.stream().mapToLong(d -> d.json().length).sum() < 1_000_000; i++) {
            docs.add(new Doc("doc-" + i, 1, TestDocuments.json(random, 1 + random.nextInt(4000), 4000)));
        }
        BuiltSegment built = TestDocuments.build("seg-mb", SHARD, docs);
        assertTrue(built.bytes().length > 1_000_000 && built.bytes().length < 1_100_000, "" + built.bytes().length);
        segments.write("seg-mb", SHARD, built, placement);
        long stored =
                placement.stream().mapToLong(name -> stores.get(name).bytes()).sum();
        assertTrue(stored <= 1.55 * built.bytes().length, stored + " bytes stored for " + built.bytes().length);
        assertTrue(stored >= 1.5 * built.bytes().length, stored + " bytes stored for " + built.bytes().length);
    }

    @Test
    void deleteRemovesEveryFragmentAndMayBeRepeated() {
        BuiltSegment built = TestDocuments.build("seg-del", SHARD, TestDocuments.mixed(12, 20, 2000));
        BuiltSegment other = TestDocuments.build("seg-keep", SHARD, TestDocuments.mixed(13, 20, 2000));
        SegmentDescriptor descriptor = segments.write("seg-del", SHARD, built, placement);
        SegmentDescriptor kept = segments.write("seg-keep", SHARD, other, placement);
        segments.delete(descriptor);
        for (String name : placement) {
            assertEquals(1, stores.get(name).list().size());
            assertNull(stores.get(name).get(new FragmentId("seg-del", placement.indexOf(name))));
        }
        segments.delete(descriptor);
        assertArrayEquals(other.bytes(), segments.readSegment(kept));

        stores.remove("s2");
        FragmentStoreException e = assertThrows(FragmentStoreException.class, () -> segments.delete(kept));
        assertEquals("s2", e.store());
        assertEquals(List.of(), stores.get("s0").list(), "the stores that answer are still cleaned");
    }

    @Test
    void aRecordPointerThatIsWrongFailsAsCorruptRatherThanDamaged() {
        BuiltSegment built = TestDocuments.build("seg-ptr", SHARD, TestDocuments.mixed(14, 20, 2000));
        SegmentDescriptor descriptor = segments.write("seg-ptr", SHARD, built, placement);
        BuiltSegment.Entry entry = built.entries().get(5);
        CorruptSegmentException e = assertThrows(
                CorruptSegmentException.class,
                () -> segments.readRecord(descriptor, entry.offset(), entry.length(), "someone-else", entry.version()));
        assertTrue(e.getMessage().contains("pointer is wrong"), e.getMessage());
        assertThrows(
                CorruptSegmentException.class,
                () -> segments.readRecord(descriptor, entry.offset() + 1, entry.length(), entry.id(), entry.version()));
        assertThrows(
                IllegalArgumentException.class,
                () -> segments.readRange(descriptor, descriptor.segmentLength() - 1, 2));
        assertEquals(List.of(), degraded, "intact fragments are not reported as degraded");
    }

    // --- helpers

    private void addStore(String name) {
        stores.put(name, new LocalFragmentStore(name, dir.resolve(name)));
    }

    private LocalFragmentStore local(String name) {
        return new LocalFragmentStore(name, dir.resolve(name));
    }

    private byte[][] fileContents(SegmentDescriptor descriptor) throws IOException {
        byte[][] out = new byte[9][];
        for (int i = 0; i < 9; i++) {
            Path file = local(descriptor.store(i)).pathOf(descriptor.fragment(i));
            out[i] = Files.exists(file) ? Files.readAllBytes(file) : null;
        }
        return out;
    }

    private static void assertFilesEqual(byte[][] expected, byte[][] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], what + ": fragment " + i);
        }
    }

    /** Damages a fragment's file behind the store's back, as a disk would. */
    private void damage(SegmentDescriptor descriptor, int index, Damage how, Random random) throws IOException {
        Path file = local(descriptor.store(index)).pathOf(descriptor.fragment(index));
        switch (how) {
            case DELETE -> Files.delete(file);
            case FLIP -> {
                byte[] bytes = Files.readAllBytes(file);
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                Files.write(file, bytes);
            }
            case TRUNCATE -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    channel.truncate(channel.size() / 2);
                }
            }
        }
    }

    private static BuiltSegment.Entry entryWithin(BuiltSegment built, SegmentDescriptor descriptor, int fragment) {
        long from = (long) fragment * descriptor.fragmentSize();
        long to = from + descriptor.fragmentSize();
        return built.entries().stream()
                .filter(e -> e.offset() >= from && e.offset() + e.length() <= to)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no record lies wholly in fragment " + fragment));
    }

    private static Map<String, Doc> byId(List<Doc> docs) {
        Map<String, Doc> out = new HashMap<>();
        docs.forEach(d -> out.put(d.id(), d));
        return out;
    }

    private static void deleteTree(Path root) throws IOException {
        try (var files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A real store, counting the calls that reach it. */
    private static final class CountingStore implements FragmentStore {
        private final FragmentStore delegate;
        int gets;
        int reads;

        CountingStore(FragmentStore delegate) {
            this.delegate = delegate;
        }

        void reset() {
            gets = 0;
            reads = 0;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public void put(FragmentId id, byte[] bytes) {
            delegate.put(id, bytes);
        }

        @Override
        public byte[] get(FragmentId id) {
            gets++;
            return delegate.get(id);
        }

        @Override
        public byte[] read(FragmentId id, long offset, int length) {
            reads++;
            return delegate.read(id, offset, length);
        }

        @Override
        public boolean delete(FragmentId id) {
            return delegate.delete(id);
        }

        @Override
        public List<FragmentId> list() {
            return delegate.list();
        }

        @Override
        public long bytes() {
            return delegate.bytes();
        }
    }
}
