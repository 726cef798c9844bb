package io.lumadb.tiering.segment;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Documents for the segment and fragment tests: JSON of mixed sizes under awkward ids. */
public final class TestDocuments {

    /** A document to put in a segment. */
    public record Doc(String id, long version, byte[] json) {}

    /** Ids that sort differently by UTF-16 units than by UTF-8 bytes, and other awkward ones. */
    public static final List<String> UNICODE_IDS = List.of(
            "a",
            "A",
            "é",
            "e\u0301",
            "日本語のキー",
            "\uFF21", // fullwidth A: before the emoji in UTF-8, after it in UTF-16
            "\uD83D\uDE00 grin", // U+1F600
            "\uD834\uDD1E clef", // U+1D11E
            "with space",
            "slash/and\\back",
            "..",
            "x".repeat(500));

    private TestDocuments() {}

    /**
     * {@code count} documents (at least the awkward ids), JSON from 1 byte up to {@code maxJson},
     * in a shuffled order.
     */
    public static List<Doc> mixed(long seed, int count, int maxJson) {
        Random random = new Random(seed);
        Map<String, Doc> docs = new LinkedHashMap<>();
        int[] sizes = {1, 2, 7, 100, 1000, 4096, 10_000, 65_536, maxJson};
        int n = 0;
        for (String id : UNICODE_IDS) {
            docs.put(id, new Doc(id, 1 + random.nextInt(1000), json(random, sizes[n++ % sizes.length], maxJson)));
        }
        while (docs.size() < count) {
            String id = "doc-" + random.nextInt(1_000_000) + (random.nextBoolean() ? "-ü" : "");
            int size = random.nextInt(4) == 0 ? sizes[random.nextInt(sizes.length)] : 1 + random.nextInt(300);
            docs.put(id, new Doc(id, 1 + random.nextInt(Integer.MAX_VALUE), json(random, size, maxJson)));
        }
        List<Doc> out = new ArrayList<>(docs.values());
        Collections.shuffle(out, random);
        return out;
    }

    /** JSON of exactly {@code size} bytes (capped at {@code max}). */
    public static byte[] json(Random random, int size, int max) {
        size = Math.min(size, max);
        if (size < 8) {
            byte[] number = new byte[size];
            for (int i = 0; i < size; i++) {
                number[i] = (byte) ('1' + random.nextInt(9));
            }
            return number;
        }
        byte[] body = new byte[size - 8];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + random.nextInt(26));
        }
        byte[] out =
                ("{\"v\":\"" + new String(body, StandardCharsets.US_ASCII) + "\"}").getBytes(StandardCharsets.US_ASCII);
        if (out.length != size) {
            throw new AssertionError(out.length + " != " + size);
        }
        return out;
    }

    /** A segment of these documents, added in their order. */
    public static BuiltSegment build(String segmentId, String shard, List<Doc> docs) {
        SegmentWriter writer = new SegmentWriter(segmentId, shard, 1_700_000_000_000L, SegmentFormat.MAX_SEGMENT_BYTES);
        for (Doc doc : docs) {
            writer.add(doc.id(), doc.version(), doc.json());
        }
        return writer.finish();
    }
}
