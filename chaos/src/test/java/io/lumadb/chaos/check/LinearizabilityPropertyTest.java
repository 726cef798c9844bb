package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.Op;
import io.lumadb.testkit.Property;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Histories of a simulated atomic register (see {@link RegisterSimulation}) are linearizable by
 * construction, so the checker must find them so; the same histories with one read corrupted
 * must fail. Undecided results count as failures here: these histories are small enough.
 */
class LinearizabilityPropertyTest {

    private final LinearizabilityChecker checker =
            new LinearizabilityChecker(Duration.ofSeconds(20), 5_000_000, Duration.ofSeconds(2));

    @Test
    void simulatedAtomicRegistersAreLinearizable() {
        Property.forAll(random -> RegisterSimulation.run(
                        random, random.nextInt(1, 8), random.nextInt(1, 150), random.nextDouble(0, 0.3)))
                .tries(300)
                .check(run -> {
                    LinearizabilityChecker.Result result = checker.checkKey(run.ops());
                    assertTrue(result.linearizable(), result::explanation);
                });
    }

    /**
     * Arbitrary tiny histories (values repeat, times tie, every outcome occurs): the checker agrees
     * with exhaustion on every one, linearizable or not, and the sub-history it returns for a
     * violation fails exhaustion too.
     */
    @Test
    void agreesWithExhaustionOnArbitraryTinyHistories() {
        Property.forAll(LinearizabilityPropertyTest::arbitrary).tries(3_000).check(ops -> {
            LinearizabilityChecker.Result result = checker.checkKey(ops);
            boolean expected = BruteForceLinearizability.linearizable(ops);
            assertEquals(expected, result.linearizable(), result::explanation);
            assertFalse(result.undecided());
            if (result.violated()) {
                assertFalse(BruteForceLinearizability.linearizable(result.smallestFailing()));
            }
        });
    }

    private static List<Op> arbitrary(RandomGenerator random) {
        int count = random.nextInt(1, 8);
        List<Op> ops = new ArrayList<>(count);
        Op.Outcome[] outcomes = Op.Outcome.values();
        for (int i = 0; i < count; i++) {
            Op.Type type = Op.Type.values()[random.nextInt(3)];
            long invoked = random.nextLong(0, 20);
            long completed = invoked + random.nextLong(0, 10);
            Long value = type == Op.Type.READ && random.nextInt(4) == 0 ? null : Long.valueOf(random.nextLong(1, 4));
            Long expected = type == Op.Type.CAS ? Long.valueOf(random.nextLong(1, 4)) : null;
            Op.Outcome outcome = outcomes[random.nextInt(10) < 6 ? 0 : random.nextInt(outcomes.length)];
            ops.add(new Op(i, i, "n1", type, Ops.KEY, value, expected, null, invoked, completed, outcome, ""));
        }
        return ops;
    }

    @Test
    void aReadOfAValueNeverWrittenIsCaught() {
        Property.forAll(random -> RegisterSimulation.run(random, random.nextInt(1, 8), random.nextInt(1, 150), 0.1)
                        .withReadOfUnwrittenValue(random))
                .tries(100)
                .check(ops -> {
                    if (ops != null) {
                        assertTrue(checker.checkKey(ops).violated());
                    }
                });
    }

    @Test
    void aReadFromTheFutureIsCaught() {
        Property.forAll(random -> RegisterSimulation.run(random, random.nextInt(2, 8), random.nextInt(2, 150), 0.1)
                        .withReadFromTheFuture(random))
                .tries(200)
                .check(ops -> {
                    if (ops != null) {
                        LinearizabilityChecker.Result result = checker.checkKey(ops);
                        assertTrue(result.violated(), result::explanation);
                        // The read, the write it could not have seen yet (and what that write
                        // needed, if it is a CAS), nothing that merely happened around them.
                        List<Op> smallest = result.smallestFailing();
                        Op read = smallest.stream()
                                .filter(op -> op.detail().equals("corrupted"))
                                .findFirst()
                                .orElseThrow(() -> new AssertionError("no corrupted read in " + smallest));
                        assertTrue(
                                smallest.stream()
                                        .anyMatch(op ->
                                                op.mayWrite() && read.value().equals(op.value())),
                                smallest::toString);
                        assertTrue(checker.checkKey(smallest).violated());
                    }
                });
    }

    @Test
    void longHistoriesWithManyClientsAreDecidedQuickly() {
        Property.forAll(random -> RegisterSimulation.run(random, 10, 3_000, 0.05))
                .tries(3)
                .check(run -> {
                    long start = System.nanoTime();
                    LinearizabilityChecker.Result result = checker.checkKey(run.ops());
                    assertTrue(result.linearizable(), result::explanation);
                    List<Op> corrupted = run.withReadFromTheFuture(
                            new SplittableRandom(run.ops().size()));
                    assertNotNull(corrupted);
                    LinearizabilityChecker.Result failing = checker.checkKey(corrupted);
                    assertTrue(failing.violated(), failing::explanation);
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(millis < 15_000, "took " + millis + " ms");
                });
    }
}
