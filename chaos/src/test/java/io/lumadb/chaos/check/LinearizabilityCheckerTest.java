package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static final Op.Outcome UNKNOWN = Op.Outcome.UNKNOWN;
    private static final Op.Outcome FAIL = Op.Outcome.FAIL;
    private static final Op.Outcome OK = Op.Outcome.OK;

    private final LinearizabilityChecker checker = new LinearizabilityChecker(Duration.ofSeconds(10));
    private final Ops h = new Ops();

    private LinearizabilityChecker.Result check() {
        return checker.checkKey(h.list());
    }

    private void assertLinearizable() {
        LinearizabilityChecker.Result result = check();
        assertTrue(result.linearizable(), result::explanation);
    }

    private LinearizabilityChecker.Result assertViolated() {
        LinearizabilityChecker.Result result = check();
        assertTrue(result.violated(), result::explanation);
        assertFalse(result.smallestFailing().isEmpty());
        assertTrue(
                checker.checkKey(result.smallestFailing()).violated(),
                () -> "the smallest failing history passes: " + result.smallestFailing());
        return result;
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertLinearizable();
    }

    @Test
    void sequentialWritesAndReadsAreLinearizable() {
        h.write(0, 1, 0, 10);
        h.read(1, 1L, 20, 30);
        h.write(2, 2, 40, 50);
        h.read(0, 2L, 60, 70);
        assertLinearizable();
    }

    @Test
    void theRegisterStartsAbsent() {
        h.read(0, null, 0, 10);
        h.write(1, 1, 20, 30);
        h.read(0, 1L, 40, 50);
        assertLinearizable();
    }

    @Test
    void readingAbsentAfterACompletedWriteIsNotLinearizable() {
        h.write(1, 1, 0, 10);
        h.read(0, null, 20, 30);
        assertViolated();
    }

    @Test
    void readsDuringConcurrentWritesMaySeeEither() {
        h.write(0, 1, 0, 100);
        h.write(1, 2, 0, 100);
        h.read(2, 1L, 10, 20);
        h.read(2, 2L, 30, 40);
        h.read(3, 2L, 120, 130);
        assertLinearizable();
    }

    @Test
    void aStaleReadAfterACompletedWriteIsNotLinearizable() {
        h.write(0, 1, 0, 10);
        h.write(1, 2, 20, 30);
        h.read(2, 1L, 40, 50);
        LinearizabilityChecker.Result result = assertViolated();
        assertTrue(result.explanation().contains("read r1 -> 1"), result.explanation());
    }

    @Test
    void aReadOfAValueNeverWrittenIsNotLinearizable() {
        h.write(0, 1, 0, 10);
        h.read(1, 7L, 20, 30);
        LinearizabilityChecker.Result result = assertViolated();
        assertTrue(result.explanation().contains("needs a value that no write"), result.explanation());
        assertEquals(1, result.smallestFailing().size(), result.smallestFailing()::toString);
    }

    @Test
    void aCasTakesEffectOnlyWhenTheRegisterHoldsItsExpectedValue() {
        h.write(0, 1, 0, 10);
        h.cas(1, 1, 2, 20, 30, OK);
        h.read(2, 2L, 40, 50);
        h.cas(0, 5, 6, 60, 70, FAIL); // refused: a definite non-effect
        h.read(1, 2L, 80, 90);
        assertLinearizable();
    }

    @Test
    void anAcknowledgedCasOnAnotherValueIsNotLinearizable() {
        h.write(0, 1, 0, 10);
        h.write(1, 2, 20, 30);
        h.cas(2, 1, 3, 40, 50, OK);
        assertViolated();
    }

    @Test
    void aFailedCasWhoseValueIsReadIsNotLinearizable() {
        h.write(0, 1, 0, 10);
        h.cas(1, 1, 2, 20, 30, FAIL);
        h.read(2, 2L, 40, 50);
        assertViolated();
    }

    @Test
    void concurrentCasesOnTheSameValueCannotBothSucceed() {
        h.write(0, 1, 0, 10);
        h.cas(1, 1, 2, 20, 30, OK);
        h.cas(2, 1, 3, 20, 30, OK);
        assertViolated();
    }

    @Test
    void anUnknownWriteThatALaterReadSeesTookEffect() {
        h.write(0, 1, 0, 10);
        h.write(1, 2, 20, 30, UNKNOWN);
        h.read(2, 2L, 500, 510);
        assertLinearizable();
    }

    @Test
    void anUnknownWriteMayTakeEffectAfterItsClientGaveUp() {
        h.write(0, 1, 0, 10, UNKNOWN);
        h.read(1, null, 20, 30);
        h.read(1, 1L, 40, 50);
        assertLinearizable();
    }

    @Test
    void anUnknownWriteNeverObservedIsLinearizable() {
        h.write(0, 1, 0, 10);
        h.write(1, 2, 20, 30, UNKNOWN);
        h.read(2, 1L, 40, 50);
        h.read(2, 1L, 60, 70);
        assertLinearizable();
    }

    @Test
    void anUnknownWriteTakesEffectOnlyOnce() {
        h.write(0, 1, 0, 10, UNKNOWN);
        h.read(1, 1L, 20, 30);
        h.write(2, 2, 40, 50);
        h.read(1, 2L, 60, 70);
        h.read(1, 1L, 80, 90);
        assertViolated();
    }

    @Test
    void anUnknownCasTakesEffectOnlyOnItsExpectedValue() {
        h.write(0, 1, 0, 10);
        h.cas(1, 5, 2, 20, 30, UNKNOWN);
        h.read(2, 2L, 40, 50);
        assertViolated();
    }

    @Test
    void chainedUnknownCasesCanAllHaveTakenEffect() {
        h.write(0, 1, 0, 10);
        h.cas(1, 1, 2, 20, 30, UNKNOWN);
        h.cas(2, 2, 3, 25, 35, UNKNOWN);
        h.read(0, 3L, 100, 110);
        assertLinearizable();
    }

    @Test
    void unknownReadsCarryNoInformation() {
        h.write(0, 1, 0, 10);
        h.add(2, Op.Type.READ, Ops.KEY, 99L, null, 20, 30, UNKNOWN);
        assertLinearizable();
    }

    @Test
    void aFailedWriteWhoseValueIsReadIsNotLinearizable() {
        h.write(0, 1, 0, 10);
        Op failed = h.write(1, 2, 20, 30, FAIL);
        h.read(2, 2L, 40, 50);
        LinearizabilityChecker.Result result = assertViolated();
        assertTrue(result.explanation().contains(failed.toString()), result.explanation());
    }

    @Test
    void theOrderOfConcurrentWritesIsChosenToFitReadsOfDifferentClients() {
        h.write(0, 1, 0, 100);
        h.write(1, 2, 0, 100);
        h.read(2, 1L, 10, 20); // so 1 was written first ...
        h.read(3, 2L, 30, 40); // ... and 2 after it
        h.read(2, 2L, 110, 120);
        h.read(3, 2L, 130, 140);
        assertLinearizable();
    }

    @Test
    void clientsThatSeeConcurrentWritesInOppositeOrdersAreNotLinearizable() {
        h.write(0, 1, 0, 100);
        h.write(1, 2, 0, 100);
        h.read(2, 1L, 10, 20);
        h.read(2, 2L, 30, 40);
        h.read(3, 2L, 10, 20);
        h.read(3, 1L, 30, 40);
        assertViolated();
    }

    @Test
    void readsAfterBothWritesCompletedCannotDisagreeOnTheLastOne() {
        h.write(0, 1, 0, 10);
        h.write(1, 2, 0, 10);
        h.read(2, 1L, 20, 30);
        h.read(2, 2L, 40, 50);
        h.read(3, 2L, 20, 30);
        h.read(3, 1L, 40, 50);
        assertViolated();
    }

    @Test
    void operationsTouchingAtOneInstantCountAsConcurrent() {
        h.write(0, 1, 0, 10);
        h.read(1, null, 10, 20); // invoked the instant the write completed: may precede it
        assertLinearizable();
    }

    @Test
    void theShrinkerReturnsTheFewOperationsThatFail() {
        // Three clients take turns writing and reading; in the middle one read is stale.
        long t = 0;
        long value = 1;
        List<Op> culprits = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            Op write = h.write(round % 3, value, t, t + 5);
            h.read((round + 1) % 3, value, t + 6, t + 10);
            if (round == 19 || round == 20) {
                culprits.add(write);
            }
            if (round == 20) {
                culprits.add(h.read((round + 2) % 3, value - 1, t + 12, t + 14)); // stale
            }
            t += 20;
            value++;
        }
        LinearizabilityChecker.Result result = assertViolated();
        // The stale read with the write it saw and the write that overwrote it: not the read
        // alone, which would "fail" only because its write was shrunk away.
        assertEquals(culprits, result.smallestFailing());
    }

    /**
     * {@code writes} concurrent writes (every other one unknown, each of those read once), then
     * two reads no order satisfies: every subset and order of the writes is worth a try, so the
     * search grows exponentially with {@code writes}.
     */
    private static List<Op> exponential(int writes) {
        Ops ops = new Ops();
        for (int i = 1; i <= writes; i++) {
            ops.write(i, i, 0, 1_000, i % 2 == 0 ? UNKNOWN : OK);
        }
        for (int i = 2; i <= writes; i += 2) {
            ops.read(0, (long) i, 500, 1_500);
        }
        ops.read(0, 1L, 2_000, 2_010);
        ops.read(0, 3L, 2_020, 2_030);
        return ops.list();
    }

    @Test
    void aSearchOutOfBudgetIsUndecidedNotAViolation() {
        LinearizabilityChecker tiny = new LinearizabilityChecker(Duration.ofSeconds(5), 1_000, Duration.ZERO);
        LinearizabilityChecker.Result result = tiny.checkKey(exponential(20));
        assertTrue(result.undecided(), result::explanation);
        assertTrue(result.explanation().startsWith("search budget exhausted"), result.explanation());
        assertTrue(result.smallestFailing().isEmpty());

        Verdict verdict = tiny.check(exponential(20));
        assertTrue(verdict.valid(), "an undecided key is no violation");
        assertTrue(verdict.summary().contains("1 undecided"), verdict.summary());
        assertEquals(1, verdict.anomalies().size());
        assertTrue(verdict.anomalies().getFirst().contains("undecided"), verdict.anomalies()::toString);
        assertTrue(verdict.smallestFailing().isEmpty());
    }

    @Test
    void aTimeBudgetAlsoEndsTheSearch() {
        LinearizabilityChecker quick = new LinearizabilityChecker(Duration.ofMillis(50), Long.MAX_VALUE, Duration.ZERO);
        long start = System.nanoTime();
        LinearizabilityChecker.Result result = quick.checkKey(exponential(24));
        assertTrue(result.undecided(), result::explanation);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
    }

    @Test
    void theSameShapeWithinBudgetIsDecided() {
        LinearizabilityChecker.Result result = checker.checkKey(exponential(8));
        assertTrue(result.violated(), result::explanation);
    }

    @Test
    void theVerdictChecksEachKeyAndNamesTheFailingOnes() {
        List<Op> history = new ArrayList<>();
        history.add(new Op(0, 0, "n1", Op.Type.WRITE, "a", 1L, null, 1L, 0, 10, OK, ""));
        history.add(new Op(1, 1, "n2", Op.Type.WRITE, "b", 2L, null, 1L, 0, 10, OK, ""));
        history.add(new Op(2, 2, "n3", Op.Type.READ, "a", 1L, null, 1L, 20, 30, OK, ""));
        history.add(new Op(3, 2, "n3", Op.Type.READ, "b", null, null, null, 40, 50, OK, "")); // lost
        history.add(new Op(4, 3, "n1", Op.Type.INSERT, "s1", 9L, null, 1L, 0, 10, OK, "")); // not a register
        history.add(new Op(5, 3, "n1", Op.Type.WRITE, "c", 3L, null, null, 60, 70, UNKNOWN, ""));

        Verdict verdict = checker.check(history);

        assertEquals(LinearizabilityChecker.CHECK, verdict.check());
        assertFalse(verdict.valid());
        assertEquals("3 keys, 5 ops (1 unknown): 2 linearizable, 1 not linearizable (b)", verdict.summary());
        assertEquals(1, verdict.anomalies().size());
        assertTrue(verdict.anomalies().getFirst().startsWith("key b: not linearizable"), verdict.anomalies()::toString);
        assertTrue(verdict.smallestFailing().stream().allMatch(op -> op.key().equals("b")));
        assertFalse(verdict.smallestFailing().isEmpty());
    }

    @Test
    void aHistoryWithoutViolationsIsAValidVerdict() {
        h.write(0, 1, 0, 10);
        h.read(1, 1L, 20, 30);
        h.write(2, 2, 40, 50, UNKNOWN);
        Verdict verdict = checker.check(h.list());
        assertTrue(verdict.valid(), verdict::toString);
        assertEquals("1 key, 3 ops (1 unknown): all linearizable", verdict.summary());
        assertTrue(verdict.anomalies().isEmpty());
    }

    @Test
    void theExplanationNamesTheOperationThatCouldNotBePlaced() {
        h.write(0, 1, 0, 10);
        h.read(1, 1L, 20, 30);
        h.write(2, 2, 40, 50);
        Op stale = h.read(1, 1L, 60, 70);
        LinearizabilityChecker.Result result = assertViolated();
        assertNotNull(result.explanation());
        assertTrue(result.explanation().contains(stale.toString()), result.explanation());
        assertTrue(result.explanation().contains("holds 2"), result.explanation());
    }
}
