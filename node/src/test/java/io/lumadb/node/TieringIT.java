package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.testkit.TestHttp;
import io.lumadb.tiering.fragment.FragmentCodec;
import io.lumadb.tiering.fragment.FragmentId;
import io.lumadb.tiering.segment.SegmentReader;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cold tier on one real node: documents moved into Reed-Solomon 6+3 segments read back equal
 * through every read path, the tier's bytes are the segments' times 1.5, the shard stores keep
 * only pointers, moving is not a change, a written cold document is warm again; and lost or
 * corrupt fragments: any 3 of every segment are survived and repaired by a scrub, 4 of one make
 * exactly its documents answer 503 while every other document reads on.
 */
class TieringIT {

    private static final String DB = "/api/v1/tier";

    /** A document's content, the same for the same number every time. */
    static ObjectNode content(int n) {
        Random random = new Random(n * 7919L + 17);
        ObjectNode doc = TestHttp.JSON.createObjectNode();
        doc.put("n", n);
        doc.put("group", n % 10);
        doc.put("t", "word" + (n % 100) + " common text " + Integer.toString(n, 36));
        int size = random.nextInt(100) == 0 ? 20_000 + random.nextInt(40_000) : 50 + random.nextInt(1500);
        StringBuilder pad = new StringBuilder(size);
        for (int i = 0; i < size; i++) {
            pad.append((char) ('a' + random.nextInt(26)));
        }
        doc.put("pad", pad.toString());
        doc.put("unicode", "\u00e9\u4e2d\ud83d\ude00 " + n);
        return doc;
    }

    static String id(int n) {
        return "d" + n;
    }

    static void load(TestHttp http, String coll, int from, int to) {
        int batch = 1000;
        for (int start = from; start < to; start += batch) {
            StringBuilder bulk = new StringBuilder("[");
            for (int n = start; n < Math.min(to, start + batch); n++) {
                if (n > start) {
                    bulk.append(',');
                }
                bulk.append("{\"id\":\"")
                        .append(id(n))
                        .append("\",\"doc\":")
                        .append(content(n))
                        .append('}');
            }
            var r = http.method(
                    "POST",
                    coll + "/_bulk",
                    "application/json",
                    bulk.append(']').toString());
            assertEquals(200, r.status(), r.toString());
            assertFalse(r.json().get("errors").asBoolean(), r.body());
        }
    }

    /** The stored document without its _id and _version: what was written. */
    static JsonNode written(JsonNode stored) {
        ObjectNode copy = stored.deepCopy();
        copy.remove("_id");
        copy.remove("_version");
        return copy;
    }

    @Test
    @Timeout(900)
    void aHundredThousandDocumentsReadBackEqualThroughEveryPathAfterMovingToTheColdTier() throws Exception {
        int count = 100_000;
        try (InProcessServer node = new InProcessServer(Map.of("lumadb.tiering.check-interval", "1h"))) {
            TestHttp http = node.http();
            String coll = DB + "/big";
            assertEquals(201, http.method("PUT", DB, null, null).status());
            assertEquals(201, http.put(coll, "{\"shards\":4}").status());
            assertEquals(
                    201,
                    http.put(coll + "/_indexes/group", "{\"fields\":[\"group\"]}")
                            .status());
            assertEquals(
                    201,
                    http.put(coll + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                            .status());
            load(http, coll, 0, count);
            JsonNode before = ok(http.get(coll + "/_tiering"));
            long warmBytes = before.at("/tiers/warm/bytes").asLong();
            assertEquals(count, before.at("/tiers/warm/documents").asLong(), before.toString());
            String token = http.get(coll + "/_changes?limit=1&from=now").header("LumaDB-Next-Token");
            assertNotNull(token);

            JsonNode moved = ok(http.put(coll + "/_tiering", "{\"move\":\"cold\"}"));
            assertEquals(count, moved.at("/moved/documents").asLong(), moved.toString());
            JsonNode cold = moved.at("/tiers/cold");
            assertEquals(count, cold.get("documents").asLong(), moved.toString());
            assertEquals(0, moved.at("/tiers/warm/documents").asLong(), moved.toString());
            long segmentBytes = cold.get("segmentBytes").asLong();
            long storedBytes = cold.get("storedBytes").asLong();
            assertTrue(segmentBytes >= warmBytes, moved.toString());
            assertTrue(storedBytes <= 1.55 * segmentBytes, "stored " + storedBytes + " of " + segmentBytes);
            // What the 9 directories hold, counted on disk.
            assertTrue(onDisk(node.dir().resolve("cold")) <= 1.55 * segmentBytes, moved.toString());
            // The shard stores keep a pointer per document instead of its JSON.
            long pointerBytes = cold.get("pointerBytes").asLong();
            assertTrue(pointerBytes < warmBytes / 20, "pointers " + pointerBytes + " for " + warmBytes);

            // Every read path.
            readEveryDocument(http, coll, count);
            Map<String, JsonNode> listed = new HashMap<>();
            String after = null;
            do {
                JsonNode page =
                        ok(http.get(coll + "/_docs?limit=1000" + (after == null ? "" : "&after=" + enc(after))));
                page.get("docs").forEach(d -> listed.put(d.get("_id").asText(), d));
                after = page.get("next").isNull() ? null : page.get("next").asText();
            } while (after != null);
            assertEquals(count, listed.size());
            for (int n = 0; n < count; n += 97) {
                assertEquals(content(n), written(listed.get(id(n))), id(n));
            }
            JsonNode group = ok(http.method(
                    "POST", coll + "/_query", "application/json", "{\"filter\":{\"group\":3},\"limit\":10000}"));
            assertEquals(count / 10, group.get("documents").size(), "an indexed query over cold documents");
            for (JsonNode d : group.get("documents")) {
                int n = d.get("n").asInt();
                assertEquals(3, n % 10);
                assertEquals(content(n), written(d));
            }
            JsonNode searched = ok(http.method(
                    "POST",
                    coll + "/_search",
                    "application/json",
                    "{\"text\":{\"index\":\"t\",\"query\":\"word42\"},\"k\":1000,\"wait\":true}"));
            JsonNode hits = searched.get("hits");
            assertEquals(count / 100, hits.size(), searched.toString().substring(0, 300));
            for (JsonNode hit : hits) {
                int n = hit.at("/document/n").asInt();
                assertEquals(42, n % 100);
                assertEquals(content(n), written(hit.get("document")), "a search hit read from the cold tier");
            }

            // Moving is not a change; writing a cold document makes it warm, and that is a change.
            assertEquals(
                    200, http.put(coll + "/" + id(5), "{\"rewritten\":true}").status());
            JsonNode changes = ok200(http.get(coll + "/_changes?limit=1000&from=" + enc(token)));
            assertNotNull(changes);
            JsonNode after1 = ok(http.get(coll + "/_tiering"));
            assertEquals(1, after1.at("/tiers/warm/documents").asLong(), after1.toString());
            assertEquals(count - 1, after1.at("/tiers/cold/documents").asLong(), after1.toString());
            assertEquals(
                    "{\"rewritten\":true}",
                    written(ok(http.get(coll + "/" + id(5)))).toString());
        }
    }

    /** The changes after {@code token}: exactly the one write, none for the move. */
    private static JsonNode ok200(TestHttp.Response page) throws IOException {
        assertEquals(200, page.status(), page.toString());
        List<String> lines =
                page.body().isEmpty() ? List.of() : List.of(page.body().split("\n"));
        assertEquals(1, lines.size(), "changes after the move: " + lines);
        JsonNode change = TestHttp.JSON.readTree(lines.getFirst());
        assertEquals("d5", change.at("/after/_id").asText(), change.toString());
        assertEquals("u", change.at("/op").asText(), change.toString());
        return change;
    }

    @Test
    @Timeout(300)
    void anyThreeLostFragmentsOfEverySegmentAreSurvivedAndRepairedAndFourMakeOnlyThatSegmentUnavailable()
            throws Exception {
        int count = 3000;
        // No hot cache: every read below goes to the fragments (a cached body would be answered
        // from memory, correctly, whatever happened to them).
        try (InProcessServer node = new InProcessServer(Map.of(
                "lumadb.tiering.check-interval", "1h",
                "lumadb.tiering.segment-bytes", "64 KiB",
                "lumadb.tiering.hot-cache-bytes", "0"))) {
            TestHttp http = node.http();
            String coll = DB + "/faults";
            assertEquals(201, http.method("PUT", DB, null, null).status());
            assertEquals(201, http.put(coll, "{\"shards\":2}").status());
            load(http, coll, 0, count);
            JsonNode moved = ok(http.put(coll + "/_tiering", "{\"move\":\"cold\"}"));
            assertEquals(count, moved.at("/moved/documents").asLong(), moved.toString());
            Path cold = node.dir().resolve("cold");
            Map<String, byte[][]> originals = fragments(cold);
            assertTrue(originals.size() >= 10, "segments: " + originals.size());

            // Lose or corrupt 3 of every segment, a different 3 for each.
            Random random = new Random(42);
            int s = 0;
            for (String segment : originals.keySet()) {
                List<Integer> lost = pick(random, 3, s++);
                for (int i = 0; i < lost.size(); i++) {
                    Path file = fragment(cold, segment, lost.get(i));
                    switch (i) {
                        case 0 -> Files.delete(file);
                        case 1 -> {
                            byte[] bytes = Files.readAllBytes(file);
                            bytes[random.nextInt(bytes.length)] ^= 0x40;
                            Files.write(file, bytes);
                        }
                        default -> Files.write(file, new byte[0]);
                    }
                }
            }
            readEveryDocument(http, coll, count);
            JsonNode scrub = ok(http.method("POST", "/api/v1/_tiering/scrub", "application/json", "{}"));
            assertEquals(originals.size() * 3, scrub.get("repairedFragments").asInt(), scrub.toString());
            assertEquals(0, scrub.get("damaged").size(), scrub.toString());
            assertEquals(originals.keySet(), fragments(cold).keySet());
            fragments(cold).forEach((segment, restored) -> {
                for (int i = 0; i < 9; i++) {
                    assertTrue(java.util.Arrays.equals(originals.get(segment)[i], restored[i]), segment + "/" + i);
                }
            });

            // Lose 4 of one segment (data fragments 0 to 3): the documents whose records lay in
            // them get a clear 503; those of its records wholly in the 2 data fragments left are
            // still read (each record verifies on its own), and every other segment is untouched.
            String victim = originals.keySet().iterator().next();
            Set<String> inVictim = new HashSet<>();
            byte[][] frags = originals.get(victim);
            long length = segmentLength(frags);
            int fragmentSize = frags[0].length;
            for (var e : SegmentReader.open(victim, FragmentCodec.join(java.util.Arrays.copyOf(frags, 6), length))
                    .entries()) {
                if (e.offset() < 4L * fragmentSize) {
                    inVictim.add(e.id());
                }
            }
            assertFalse(inVictim.isEmpty());
            for (int i : List.of(0, 1, 2, 3)) {
                Files.delete(fragment(cold, victim, i));
            }
            int unavailable = 0;
            for (int n = 0; n < count; n++) {
                TestHttp.Response r = http.get(coll + "/" + id(n));
                if (inVictim.contains(id(n))) {
                    assertEquals(503, r.status(), r.toString());
                    assertEquals(
                            "urn:lumadb:problem:cold-data-unavailable",
                            r.json().get("type").asText(),
                            r.toString());
                    unavailable++;
                } else {
                    assertEquals(200, r.status(), r.toString());
                    assertEquals(content(n), written(r.json()));
                }
            }
            assertEquals(inVictim.size(), unavailable);
            JsonNode damaged = ok(http.method("POST", "/api/v1/_tiering/scrub", "application/json", "{}"));
            assertEquals(1, damaged.get("damaged").size(), damaged.toString());
            JsonNode described = ok(http.get(coll + "/_tiering"));
            assertEquals(1, described.at("/tiers/cold/damaged").size(), described.toString());
            // A query that needs one of them fails clearly instead of answering without it.
            String lostId = inVictim.iterator().next();
            TestHttp.Response q = http.method(
                    "POST",
                    coll + "/_query",
                    "application/json",
                    "{\"filter\":{\"_id\":{\"$in\":[\"" + lostId + "\",\"d1\"]}}}");
            assertEquals(503, q.status(), q.toString());
        }
    }

    @Test
    @Timeout(120)
    void aTimePolicyMovesExactlyTheOldDocumentsAndBadRequestsAreClear400s() throws Exception {
        try (InProcessServer node = new InProcessServer(Map.of("lumadb.tiering.check-interval", "200ms"))) {
            TestHttp http = node.http();
            String coll = DB + "/timed";
            assertEquals(201, http.method("PUT", DB, null, null).status());
            TestHttp.Response badOption = http.put(coll, "{\"shards\":2,\"tiering\":{\"idleFor\":\"x\"}}");
            assertEquals(400, badOption.status(), badOption.toString());
            assertEquals("/tiering/idleFor", badOption.json().get("field").asText());
            assertEquals(404, http.get(coll).status(), "a refused option creates nothing");
            // The policy comes with the collection's options.
            assertEquals(
                    201,
                    http.put(coll, "{\"shards\":2,\"tiering\":{\"timePath\":\"/ts\",\"olderThan\":\"1d\"}}")
                            .status());
            long now = System.currentTimeMillis();
            for (int n = 0; n < 40; n++) {
                String ts = n % 2 == 0
                        ? java.time.Instant.ofEpochMilli(now - 10L * 86_400_000).toString()
                        : java.time.Instant.ofEpochMilli(now + 86_400_000).toString();
                assertEquals(
                        201,
                        http.put(coll + "/" + id(n), "{\"ts\":\"" + ts + "\",\"n\":" + n + "}")
                                .status());
            }
            for (String[] bad : new String[][] {
                {"{\"policy\":{\"idleFor\":\"soon\"}}", "/policy/idleFor"},
                {"{\"policy\":{\"timePath\":\"/ts\"}}", "/policy/olderThan"},
                {"{\"move\":\"warm\"}", "/move"},
                {"{\"filter\":{\"n\":1}}", "/filter"},
                {"{\"move\":\"cold\",\"filter\":{\"n\":{\"$bogus\":1}}}", "/filter/n/$bogus"},
                {"{\"colder\":true}", "/colder"},
                {"[]", ""}
            }) {
                TestHttp.Response r = http.put(coll + "/_tiering", bad[0]);
                assertEquals(400, r.status(), bad[0] + " -> " + r);
                assertTrue(r.json().path("field").asText().startsWith(bad[1]), bad[0] + " -> " + r);
            }
            assertEquals(404, http.get(DB + "/missing/_tiering").status());
            assertEquals(
                    404,
                    http.put(DB + "/missing/_tiering", "{\"move\":\"cold\"}").status());
            JsonNode set = ok(http.get(coll + "/_tiering"));
            assertEquals("/ts", set.at("/policy/timePath").asText(), set.toString());
            long deadline = System.nanoTime() + 60_000_000_000L;
            JsonNode tiers;
            do {
                Thread.sleep(200);
                tiers = ok(http.get(coll + "/_tiering"));
            } while (tiers.at("/tiers/cold/documents").asLong() < 20 && System.nanoTime() < deadline);
            assertEquals(20, tiers.at("/tiers/cold/documents").asLong(), tiers.toString());
            assertEquals(20, tiers.at("/tiers/warm/documents").asLong(), tiers.toString());
            for (int n = 0; n < 40; n++) {
                assertEquals(n, ok(http.get(coll + "/" + id(n))).get("n").asInt());
            }
            // The metrics report the tiers (sampled every lumadb.metrics.shard-sample-interval).
            String metrics = "";
            long until = System.nanoTime() + 30_000_000_000L;
            while (!metrics.contains("lumadb_tiering_documents{tier=\"cold\"} 20") && System.nanoTime() < until) {
                Thread.sleep(250);
                metrics = http.get("/metrics").body();
            }
            assertTrue(metrics.contains("lumadb_tiering_documents{tier=\"cold\"} 20"), metrics);
            assertTrue(metrics.contains("lumadb_tiering_segments{state=\"damaged\"} 0"), metrics);
            JsonNode removed = ok(http.put(coll + "/_tiering", "{\"policy\":null}"));
            assertTrue(removed.get("policy").isNull(), removed.toString());
        }
    }

    /** Reads every document by id, from 4 threads, and compares it with what was written. */
    static void readEveryDocument(TestHttp http, String coll, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    for (int n = first; n < count; n += 4) {
                        TestHttp.Response r = http.get(coll + "/" + id(n));
                        assertEquals(200, r.status(), r.toString());
                        assertEquals(content(n), written(r.json()), id(n));
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Fragment files by segment: the 9 fragments' bytes (null where a file is missing). */
    static Map<String, byte[][]> fragments(Path cold) throws IOException {
        Map<String, byte[][]> out = new java.util.TreeMap<>();
        for (int i = 0; i < 9; i++) {
            Path dir = cold.resolve(Integer.toString(i));
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    var id = FragmentId.fromFileName(f.getFileName().toString());
                    if (id.isPresent()) {
                        out.computeIfAbsent(id.get().segmentId(), k -> new byte[9][])[
                                        id.get().index()] =
                                Files.readAllBytes(f);
                    }
                }
            }
        }
        return out;
    }

    static Path fragment(Path cold, String segment, int index) {
        return cold.resolve(Integer.toString(index)).resolve(new FragmentId(segment, index).fileName());
    }

    /** The segment's length: where its footer magic ends in the joined data fragments (zero padding after it). */
    private static long segmentLength(byte[][] fragments) {
        byte[] joined = FragmentCodec.join(java.util.Arrays.copyOf(fragments, 6), fragments[0].length * 6L);
        byte[] magic = io.lumadb.tiering.segment.SegmentFormat.FOOTER_MAGIC.getBytes(StandardCharsets.US_ASCII);
        for (int end = joined.length; end >= magic.length; end--) {
            if (java.util.Arrays.equals(joined, end - magic.length, end, magic, 0, magic.length)) {
                return end;
            }
        }
        throw new AssertionError("no segment footer in the data fragments");
    }

    private static List<Integer> pick(Random random, int k, int salt) {
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < k) {
            chosen.add(random.nextInt(9));
        }
        List<Integer> out = new ArrayList<>(chosen);
        java.util.Collections.rotate(out, salt);
        return out;
    }

    private static long onDisk(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    static JsonNode ok(TestHttp.Response r) {
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
