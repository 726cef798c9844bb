package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveQueryCheckerTest {

    private final LiveQueryChecker checker = new LiveQueryChecker();
    private final Map<String, Long> answer = Map.of("a", 3L, "b", 1L);

    @Test
    void liveQueriesAtTheAnswerAreValid() {
        Verdict verdict = checker.check(Map.of("n1", Map.of("a", 3L, "b", 1L), "n2", Map.of("a", 3L, "b", 1L)), answer);
        assertTrue(verdict.valid(), verdict::toString);
        assertEquals(LiveQueryChecker.CHECK, verdict.check());
        assertEquals(
                "2 live queries against an answer of 2 documents: 0 missing, 0 extra, 0 at another version",
                verdict.summary());
    }

    @Test
    void missingExtraAndStaleDocumentsAreEachNamed() {
        Verdict verdict = checker.check(Map.of("n1", Map.of("a", 3L, "b", 1L), "n2", Map.of("a", 2L, "c", 1L)), answer);
        assertFalse(verdict.valid());
        assertEquals(
                List.of(
                        "version mismatch: n2's live query has a@2, the query answers a@3",
                        "missing: n2's live query lacks b@1",
                        "extra: n2's live query has c@1, which the query does not answer"),
                verdict.anomalies());
    }

    @Test
    void withoutAnyLiveQueryNothingIsChecked() {
        assertFalse(checker.check(Map.of(), answer).valid());
    }
}
