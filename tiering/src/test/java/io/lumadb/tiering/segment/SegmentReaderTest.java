package io.lumadb.tiering.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.lumadb.tiering.segment.TestDocuments.Doc;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SegmentReaderTest {

    private static final List<Doc> DOCS = TestDocuments.mixed(42, 60, 200_000);

    @Test
    void roundTripsDocumentsOfMixedSizesAndUnicodeIds() {
        BuiltSegment built = TestDocuments.build("seg-1", "db/orders/3", DOCS);
        SegmentReader reader = SegmentReader.open("seg-1", built.bytes());

        assertEquals("seg-1", reader.segmentId());
        assertEquals("db/orders/3", reader.shard());
        assertEquals(1_700_000_000_000L, reader.createdAtMillis());
        assertEquals(DOCS.size(), reader.documentCount());
        assertEquals(built.bytes().length, reader.length());
        assertTrue(DOCS.stream().anyMatch(d -> d.json().length == 1));
        assertTrue(DOCS.stream().anyMatch(d -> d.json().length == 200_000));

        for (Doc doc : DOCS) {
            SegmentDocument read = reader.get(doc.id()).orElseThrow(() -> new AssertionError("no " + doc.id()));
            assertEquals(doc.id(), read.id());
            assertEquals(doc.version(), read.version());
            assertArrayEquals(doc.json(), read.json(), doc.id());
        }

        List<String> iterated = new ArrayList<>();
        for (SegmentDocument document : reader.documents()) {
            Doc doc = byId().get(document.id());
            assertArrayEquals(doc.json(), document.json());
            assertEquals(doc.version(), document.version());
            iterated.add(document.id());
        }
        List<String> utf8Order = DOCS.stream()
                .map(Doc::id)
                .sorted(Comparator.comparing(
                        (String id) -> id.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned))
                .toList();
        assertEquals(utf8Order, iterated);
        assertEquals(Set.copyOf(built.entries()), Set.copyOf(reader.entries()));
    }

    @Test
    void entriesPointAtRecordsThatVerifyOnTheirOwn() {
        BuiltSegment built = TestDocuments.build("seg-2", "shard", DOCS);
        assertEquals(
                DOCS.stream().map(Doc::id).toList(),
                built.entries().stream().map(BuiltSegment.Entry::id).toList());
        Set<Long> offsets = new HashSet<>();
        for (BuiltSegment.Entry entry : built.entries()) {
            byte[] record =
                    Arrays.copyOfRange(built.bytes(), (int) entry.offset(), (int) entry.offset() + entry.length());
            SegmentDocument document = SegmentReader.readRecord(record, entry.id(), entry.version());
            assertArrayEquals(byId().get(entry.id()).json(), document.json());
            assertTrue(offsets.add(entry.offset()));
        }
    }

    @Test
    void getFindsNothingForIdsNotInTheSegment() {
        SegmentReader reader =
                SegmentReader.open(TestDocuments.build("seg-3", "shard", DOCS).bytes());
        for (String id : List.of("absent", "", "x".repeat(499), "a\uD800", "doc-", "\uFFFF", "\uD83D\uDE01")) {
            assertTrue(reader.get(id).isEmpty(), id);
        }
        assertTrue(reader.get(null).isEmpty());
    }

    @Test
    void emptySegmentRoundTrips() {
        BuiltSegment built = TestDocuments.build("empty", "shard", List.of());
        SegmentReader reader = SegmentReader.open(built.bytes());
        assertEquals(0, reader.documentCount());
        assertTrue(reader.get("a").isEmpty());
        assertTrue(!reader.documents().iterator().hasNext());
    }

    @Test
    void everyFlippedByteIsDetected() {
        List<Doc> small = List.of(
                new Doc("b", 3, "{\"x\":1}".getBytes(StandardCharsets.UTF_8)),
                new Doc("a", 1, "2".getBytes(StandardCharsets.UTF_8)),
                new Doc("日本", 7, "[true,null]".getBytes(StandardCharsets.UTF_8)));
        byte[] bytes = TestDocuments.build("flip", "shard", small).bytes();
        for (int position = 0; position < bytes.length; position++) {
            for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                byte[] damaged = bytes.clone();
                damaged[position] ^= (byte) mask;
                expectCorrupt(damaged, "byte " + position + " xor " + mask);
            }
        }
        assertEquals(3, SegmentReader.open(bytes).documentCount());
    }

    @Test
    void everyTruncationIsDetected() {
        byte[] bytes = TestDocuments.build("cut", "shard", DOCS.subList(0, 5)).bytes();
        for (int length = 0; length < bytes.length; length++) {
            expectCorrupt(Arrays.copyOf(bytes, length), "truncated to " + length);
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        expectCorrupt(longer, "one byte appended");
    }

    @Test
    void namesWhatIsWrong() {
        byte[] bytes = TestDocuments.build("named", "shard", DOCS.subList(0, 4)).bytes();

        byte[] badMagic = bytes.clone();
        badMagic[0] = 'X';
        assertProblem(badMagic, null, "bad magic");

        byte[] future = bytes.clone();
        ByteBuffer.wrap(future).putInt(SegmentFormat.VERSION_OFFSET, 2);
        reseal(future);
        assertProblem(future, null, "unsupported format version 2");

        byte[] badFooter = bytes.clone();
        badFooter[badFooter.length - 1] ^= 1;
        assertProblem(badFooter, null, "footer magic");

        byte[] badBody = bytes.clone();
        badBody[bytes.length / 2] ^= 1;
        assertProblem(badBody, null, "crc32c mismatch");

        assertProblem(bytes, "other", "not 'other'");

        byte[] badIndexOffset = bytes.clone();
        ByteBuffer.wrap(badIndexOffset).putLong(bytes.length - SegmentFormat.FOOTER_LENGTH, 3);
        reseal(badIndexOffset);
        assertProblem(badIndexOffset, null, "index offset 3");

        byte[] badCount = bytes.clone();
        ByteBuffer.wrap(badCount).putInt(bytes.length - SegmentFormat.FOOTER_LENGTH + 8, 5);
        reseal(badCount);
        assertProblem(badCount, null, "document count 4 in the header, 5 in the footer");
    }

    @Test
    void readRecordChecksCrcIdVersionAndLength() {
        BuiltSegment built = TestDocuments.build("records", "shard", DOCS.subList(0, 10));
        BuiltSegment.Entry entry = built.entries().get(3);
        byte[] record = Arrays.copyOfRange(built.bytes(), (int) entry.offset(), (int) entry.offset() + entry.length());

        SegmentDocument document = SegmentReader.readRecord(record, entry.id(), entry.version());
        assertEquals(entry.id(), document.id());
        assertArrayEquals(byId().get(entry.id()).json(), document.json());

        assertRecordProblem(record, "other-id", entry.version(), "holds id");
        assertRecordProblem(record, entry.id(), entry.version() + 1, "holds version " + entry.version());
        for (int position = 0; position < record.length; position++) {
            byte[] flipped = record.clone();
            flipped[position] ^= 0x10;
            int at = position;
            assertThrows(
                    CorruptSegmentException.class,
                    () -> SegmentReader.readRecord(flipped, entry.id(), entry.version()),
                    () -> "flip at " + at);
        }
        byte[] flippedJson = record.clone();
        flippedJson[record.length - 1] ^= 1;
        assertRecordProblem(flippedJson, entry.id(), entry.version(), "crc32c mismatch");
        assertRecordProblem(Arrays.copyOf(record, record.length - 1), entry.id(), entry.version(), "length field");
        assertRecordProblem(Arrays.copyOf(record, record.length + 1), entry.id(), entry.version(), "length field");
        assertRecordProblem(new byte[5], entry.id(), entry.version(), "shorter than the smallest record");
    }

    private static void expectCorrupt(byte[] bytes, String what) {
        try {
            SegmentReader reader = SegmentReader.open(bytes);
            for (SegmentDocument ignored : reader.documents()) {
                // records are verified as they are read
            }
            fail(what + ": accepted");
        } catch (CorruptSegmentException expected) {
            // detected
        } catch (RuntimeException other) {
            throw new AssertionError(what + ": failed with " + other + " instead of CorruptSegmentException", other);
        }
    }

    private static void assertProblem(byte[] bytes, String expectedId, String problem) {
        CorruptSegmentException e =
                assertThrows(CorruptSegmentException.class, () -> SegmentReader.open(expectedId, bytes));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    private static void assertRecordProblem(byte[] record, String id, long version, String problem) {
        CorruptSegmentException e =
                assertThrows(CorruptSegmentException.class, () -> SegmentReader.readRecord(record, id, version));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    /** Recomputes the whole-file crc32c, as a writer with a bug would. */
    private static void reseal(byte[] bytes) {
        int crcAt = bytes.length - 12;
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, crcAt);
        ByteBuffer.wrap(bytes).putInt(crcAt, (int) crc.getValue());
    }

    private static Map<String, Doc> byId() {
        Map<String, Doc> out = new HashMap<>();
        DOCS.forEach(d -> out.put(d.id(), d));
        return out;
    }
}
