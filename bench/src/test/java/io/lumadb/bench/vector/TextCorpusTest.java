package io.lumadb.bench.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The BM25 corpus: distinct words, Zipf frequencies, seeded. */
class TextCorpusTest {

    @Test
    void everyRankHasItsOwnWordOfLettersOnly() {
        Set<String> words = new HashSet<>();
        IntStream.range(0, 50_000).forEach(r -> words.add(TextCorpus.word(r)));
        assertEquals(50_000, words.size());
        assertTrue(words.stream().allMatch(w -> w.matches("[a-z]+")));
    }

    @Test
    void wordFrequenciesFallWithRankAsZipfSays() {
        TextCorpus c = TextCorpus.generate(1, 2_000, 10, 5_000, 1.0);
        Map<String, Integer> counts = new HashMap<>();
        for (String doc : c.documents()) {
            for (String w : doc.split(" ")) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        int first = counts.get(TextCorpus.word(0));
        int tenth = counts.get(TextCorpus.word(9));
        // Zipf with exponent 1: rank 1 is ten times as frequent as rank 10
        assertEquals(10.0, (double) first / tenth, 2.0);
        c.documents().forEach(d -> {
            int n = d.split(" ").length;
            assertTrue(n >= 20 && n <= 100, d);
        });
        c.queries().forEach(q -> assertTrue(q.split(" ").length <= 3, q));
    }

    @Test
    void theSameSeedGivesTheSameCorpus() {
        assertEquals(TextCorpus.generate(5, 50, 5, 1_000, 1.0), TextCorpus.generate(5, 50, 5, 1_000, 1.0));
    }
}
