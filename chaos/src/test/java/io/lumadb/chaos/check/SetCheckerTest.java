package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SetCheckerTest {

    private final SetChecker checker = new SetChecker();
    private final Ops h = new Ops();

    @Test
    void everyAcknowledgedInsertReadBackEverywhereIsValid() {
        h.insert("a", Op.Outcome.OK, 1L);
        h.insert("b", Op.Outcome.OK, 1L);
        h.write(0, 5, 0, 10); // a register write: not the set's business
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a", "b"), "n2", Set.of("a", "b")));
        assertTrue(verdict.valid(), verdict::toString);
        assertEquals(SetChecker.CHECK, verdict.check());
        assertTrue(verdict.summary().startsWith("2 inserts of 2 ids read back from 2 nodes: 2 ok"), verdict.summary());
    }

    @Test
    void anAcknowledgedInsertMissingFromOneNodeIsLost() {
        Op a = h.insert("a", Op.Outcome.OK, 1L);
        h.insert("b", Op.Outcome.OK, 1L);
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a", "b"), "n2", Set.of("b")));
        assertFalse(verdict.valid());
        assertEquals(1, verdict.anomalies().size());
        assertEquals(
                "lost: a (" + a + ") is missing from the final read of n2",
                verdict.anomalies().getFirst());
        assertTrue(verdict.summary().contains("1 lost"), verdict.summary());
    }

    @Test
    void anIdNeverInsertedIsUnexpected() {
        h.insert("a", Op.Outcome.OK, 1L);
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a", "ghost")));
        assertFalse(verdict.valid());
        assertEquals(
                "unexpected: ghost is in the final read of n1 but was never inserted",
                verdict.anomalies().getFirst());
    }

    @Test
    void aFailedInsertThatIsPresentTookEffect() {
        h.insert("a", Op.Outcome.FAIL, null);
        h.insert("b", Op.Outcome.FAIL, null);
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a")));
        assertFalse(verdict.valid());
        assertEquals(1, verdict.anomalies().size());
        assertTrue(
                verdict.anomalies().getFirst().startsWith("failed insert took effect: a"),
                verdict.anomalies()::toString);
    }

    @Test
    void unknownInsertsMayBePresentOrAbsent() {
        h.insert("a", Op.Outcome.UNKNOWN, null);
        h.insert("b", Op.Outcome.UNKNOWN, null);
        h.insert("c", Op.Outcome.UNKNOWN, null);
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a", "b"), "n2", Set.of("a", "b")));
        assertTrue(verdict.valid(), verdict::toString);
        assertTrue(verdict.summary().contains("3 unknown (ids 2 present, 1 absent)"), verdict.summary());
    }

    @Test
    void aRetriedInsertCountsByItsBestOutcome() {
        h.insert("a", Op.Outcome.FAIL, null);
        h.insert("a", Op.Outcome.OK, 1L);
        Verdict present = checker.check(h.list(), Map.of("n1", Set.of("a")));
        assertTrue(present.valid(), present::toString);
        Verdict absent = checker.check(h.list(), Map.of("n1", Set.of()));
        assertFalse(absent.valid());
    }

    @Test
    void nodesDisagreeingOnAnUnknownInsertIsAnAnomaly() {
        h.insert("a", Op.Outcome.UNKNOWN, null);
        Verdict verdict = checker.check(h.list(), Map.of("n1", Set.of("a"), "n2", Set.of()));
        assertFalse(verdict.valid());
        assertEquals(
                "final reads disagree: a (" + h.list().getFirst() + ") is in the final read of n1 but not of n2",
                verdict.anomalies().getFirst());
    }

    @Test
    void withoutAnyFinalReadNothingIsChecked() {
        h.insert("a", Op.Outcome.OK, 1L);
        Verdict verdict = checker.check(h.list(), Map.of());
        assertFalse(verdict.valid());
    }
}
