package io.lumadb.tiering.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

@Timeout(60)
class SegmentWriterTest {

    private static final byte[] JSON = "{}".getBytes(StandardCharsets.UTF_8);

    @Test
    void rejectsInvalidDocumentsNamingTheArgument() {
        SegmentWriter writer = new SegmentWriter("seg", "shard", 0, 1 << 20);
        assertMessage(IllegalArgumentException.class, "id must be a non-empty string", () -> writer.add(null, 1, JSON));
        assertMessage(IllegalArgumentException.class, "id must be a non-empty string", () -> writer.add("", 1, JSON));
        assertMessage(IllegalArgumentException.class, "not well-formed", () -> writer.add("a\uDC00b", 1, JSON));
        assertMessage(
                IllegalArgumentException.class,
                "id is 65536 bytes long",
                () -> writer.add("x".repeat(65_536), 1, JSON));
        assertMessage(
                IllegalArgumentException.class,
                "version of id 'a' must be >= 1, got 0",
                () -> writer.add("a", 0, JSON));
        assertMessage(
                IllegalArgumentException.class,
                "version of id 'a' must be >= 1, got -5",
                () -> writer.add("a", -5, JSON));
        assertMessage(
                IllegalArgumentException.class, "json of id 'a' must not be null", () -> writer.add("a", 1, null));
        writer.add("a", 1, JSON);
        assertMessage(
                IllegalArgumentException.class, "id 'a' is already in segment 'seg'", () -> writer.add("a", 2, JSON));
        assertEquals(1, writer.documentCount());
        assertMessage(IllegalArgumentException.class, "jsonLength must be >= 0", () -> writer.wouldFit("b", -1));
    }

    @Test
    void rejectsInvalidConstructorArgumentsNamingThem() {
        assertMessage(IllegalArgumentException.class, "segmentId", () -> new SegmentWriter("", "shard", 0, 1 << 20));
        assertMessage(IllegalArgumentException.class, "shard", () -> new SegmentWriter("seg", null, 0, 1 << 20));
        assertMessage(
                IllegalArgumentException.class,
                "maxBytes must be between",
                () -> new SegmentWriter("seg", "shard", 0, 10));
        assertMessage(
                IllegalArgumentException.class,
                "maxBytes must be between",
                () -> new SegmentWriter("seg", "shard", 0, Long.MAX_VALUE));
    }

    @Test
    void sizeIsExactlyWhatFinishBuilds() {
        Random random = new Random(7);
        SegmentWriter writer = new SegmentWriter("exact", "shard", 0, 1 << 22);
        assertTrue(writer.isEmpty());
        for (int i = 0; i < 200; i++) {
            writer.add("id-" + i + "-ñ", 1 + i, TestDocuments.json(random, 1 + random.nextInt(5000), 5000));
        }
        long size = writer.size();
        BuiltSegment built = writer.finish();
        assertEquals(size, built.bytes().length);
        assertEquals(200, SegmentReader.open(built.bytes()).documentCount());
    }

    @Test
    void wouldFitCutsSegmentsAtTheirMaximum() {
        long max = 64 * 1024;
        Random random = new Random(11);
        SegmentWriter writer = new SegmentWriter("cut", "shard", 0, max);
        int added = 0;
        while (true) {
            String id = "doc-" + added;
            byte[] json = TestDocuments.json(random, 1 + random.nextInt(3000), 3000);
            if (!writer.wouldFit(id, json.length)) {
                long before = writer.size();
                assertThrows(IllegalStateException.class, () -> writer.add(id, 1, json));
                assertEquals(before, writer.size(), "a refused add changes nothing");
                break;
            }
            writer.add(id, 1, json);
            added++;
            assertTrue(writer.size() <= max);
        }
        assertTrue(added > 10, "added " + added);
        BuiltSegment built = writer.finish();
        assertTrue(built.bytes().length <= max);
        assertEquals(added, SegmentReader.open(built.bytes()).documentCount());
    }

    @Test
    void aDocumentThatFillsTheSegmentExactlyFits() {
        SegmentWriter probe = new SegmentWriter("full", "shard", 0, 1 << 20);
        long empty = probe.size();
        byte[] json = new byte[1000];
        long max = empty + SegmentFormat.recordLength(3, 1000) + SegmentFormat.INDEX_ENTRY_OVERHEAD + 3;
        SegmentWriter writer = new SegmentWriter("full", "shard", 0, max);
        assertTrue(writer.wouldFit("abc", 1000));
        assertFalse(writer.wouldFit("abcd", 1000));
        assertFalse(writer.wouldFit("abc", 1001));
        writer.add("abc", 9, json);
        assertEquals(max, writer.size());
        BuiltSegment built = writer.finish();
        assertEquals(max, built.bytes().length);
        assertArrayEquals(
                json, SegmentReader.open(built.bytes()).get("abc").orElseThrow().json());
    }

    @Test
    void laterChangesToTheCallersJsonDoNotReachTheSegment() {
        SegmentWriter writer = new SegmentWriter("copy", "shard", 0, 1 << 20);
        byte[] json = "[1]".getBytes(StandardCharsets.UTF_8);
        writer.add("a", 1, json);
        json[1] = '2';
        assertArrayEquals(
                "[1]".getBytes(StandardCharsets.UTF_8),
                SegmentReader.open(writer.finish().bytes())
                        .get("a")
                        .orElseThrow()
                        .json());
    }

    @Test
    void aFinishedWriterTakesNothingMore() {
        SegmentWriter writer = new SegmentWriter("done", "shard", 0, 1 << 20);
        writer.add("a", 1, JSON);
        writer.finish();
        assertThrows(IllegalStateException.class, () -> writer.add("b", 1, JSON));
        assertThrows(IllegalStateException.class, writer::finish);
    }

    private static void assertMessage(Class<? extends Throwable> type, String part, Executable executable) {
        Throwable thrown = assertThrows(type, executable);
        assertTrue(thrown.getMessage().contains(part), thrown.getMessage());
    }
}
