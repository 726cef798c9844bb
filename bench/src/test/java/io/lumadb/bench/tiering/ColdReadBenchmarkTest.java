package io.lumadb.bench.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cold-read benchmark's data, the node counters it reads and the fragments it deletes. */
class ColdReadBenchmarkTest {

    @Test
    void documentsAreValidJsonOfAboutTheAskedSizeAndTheSameForTheSameSeed() throws Exception {
        for (int n : List.of(0, 1, 49_999)) {
            String doc = ColdReadBenchmark.document(7, n, 1000);
            assertEquals(n, new ObjectMapper().readTree(doc).get("n").asInt());
            assertTrue(doc.length() >= 1000 && doc.length() <= 1010, doc.length() + " bytes");
            assertEquals(doc, ColdReadBenchmark.document(7, n, 1000));
        }
        assertNotEquals(ColdReadBenchmark.document(7, 1, 1000), ColdReadBenchmark.document(8, 1, 1000));
    }

    @Test
    void readsTheColdReadCountersByOutcomeFromPrometheusText() {
        String text = """
                # TYPE lumadb_tiering_cold_reads gauge
                lumadb_tiering_cold_reads{outcome="read"} 7000.0
                lumadb_tiering_cold_reads{outcome="degraded"} 1167.0
                lumadb_tiering_cold_reads{outcome="failed"} 0.0
                lumadb_tiering_cold_reads_other{outcome="read"} 5.0
                lumadb_tiering_documents{tier="cold"} 10000.0
                """;
        assertEquals(Map.of("read", 7000L, "degraded", 1167L, "failed", 0L), ColdReadBenchmark.coldReadCounters(text));
        assertEquals(Map.of(), ColdReadBenchmark.coldReadCounters("lumadb_up 1.0\n"));
    }

    @Test
    void losesOneDataFragmentOfEverySegmentRotatingThePosition() {
        List<Path> files = new ArrayList<>();
        for (String segment : List.of("c", "a", "b")) {
            for (int i = 0; i < 9; i++) {
                files.add(Path.of("/cold/" + i + "/" + segment + "." + i + ".frag"));
            }
        }
        files.add(Path.of("/cold/0/a.0.frag.1234.tmp"));
        Map<String, Path> chosen = ColdReadBenchmark.oneDataFragmentPerSegment(files);
        assertEquals(
                Map.of(
                        "a",
                        Path.of("/cold/0/a.0.frag"),
                        "b",
                        Path.of("/cold/1/b.1.frag"),
                        "c",
                        Path.of("/cold/2/c.2.frag")),
                chosen);
        assertEquals(List.of("a", "b", "c"), List.copyOf(chosen.keySet()));

        files.remove(Path.of("/cold/1/b.1.frag"));
        assertNull(ColdReadBenchmark.oneDataFragmentPerSegment(files).get("b"));
    }
}
