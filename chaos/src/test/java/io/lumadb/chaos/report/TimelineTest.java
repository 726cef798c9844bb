package io.lumadb.chaos.report;

import static io.lumadb.chaos.report.Ops.fault;
import static io.lumadb.chaos.report.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Op.Outcome;
import io.lumadb.chaos.history.Op.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

class TimelineTest {

    private static final long MS = 1_000_000;

    /** Ten operations in three 1-s buckets, with known outcomes and latencies. */
    private static List<Op> tenOps() {
        return List.of(
                op(0, Type.READ, 100, 110, Outcome.OK), // 10 ms
                op(1, Type.WRITE, 200, 230, Outcome.OK), // 30 ms
                op(2, Type.WRITE, 300, 1_300, Outcome.UNKNOWN),
                op(3, Type.READ, 400, 420, Outcome.FAIL),
                op(4, Type.CAS, 1_100, 1_150, Outcome.OK), // 50 ms
                op(5, Type.READ, 1_200, 1_220, Outcome.OK), // 20 ms
                op(6, Type.INSERT, 1_500, 2_100, Outcome.OK), // 600 ms, completes in bucket 2
                op(7, Type.WRITE, 2_200, 2_240, Outcome.FAIL),
                op(8, Type.READ, 2_300, 2_340, Outcome.OK), // 40 ms
                op(9, Type.READ, 2_400, 2_900, Outcome.OK)); // 500 ms
    }

    @Test
    void countsOutcomesWhereInvokedAndLatencyWhereCompleted() {
        Timeline t = Timeline.of(tenOps(), List.of(), Duration.ofSeconds(1));

        assertEquals(2_900 * MS, t.endNanos());
        assertEquals(3, t.buckets().size());
        Timeline.Bucket b0 = t.buckets().get(0);
        Timeline.Bucket b1 = t.buckets().get(1);
        Timeline.Bucket b2 = t.buckets().get(2);

        assertEquals(new Timeline.Counts(2, 1, 1), b0.all());
        assertEquals(4, b0.invoked());
        assertEquals(0.5, b0.availability());
        assertEquals(new Timeline.Counts(1, 0, 1), b0.writes());
        assertEquals(0.5, b0.writeAvailability());
        assertEquals(new Timeline.Latency(2, 10 * MS, 30 * MS, 30 * MS), b0.latency());

        assertEquals(new Timeline.Counts(3, 0, 0), b1.all());
        assertEquals(1.0, b1.availability());
        assertEquals(1.0, b1.writeAvailability());
        // The unknown write completing here and the insert completing later do not count.
        assertEquals(new Timeline.Latency(2, 20 * MS, 50 * MS, 50 * MS), b1.latency());

        assertEquals(new Timeline.Counts(2, 1, 0), b2.all());
        assertEquals(2.0 / 3, b2.availability(), 1e-12);
        assertEquals(0.0, b2.writeAvailability());
        assertEquals(new Timeline.Latency(3, 500 * MS, 600 * MS, 600 * MS), b2.latency());

        assertEquals(new Timeline.Counts(7, 2, 1), t.all());
        assertEquals(0.7, t.all().availability(), 1e-12);
        assertEquals(new Timeline.Counts(3, 1, 1), t.writes());
    }

    @Test
    void aBucketWithoutOperationsHasNoAvailabilityAndNoLatency() {
        Timeline t = Timeline.of(
                List.of(op(0, Type.READ, 100, 200, Outcome.OK), op(1, Type.READ, 2_100, 2_200, Outcome.OK)),
                List.of(),
                Duration.ofSeconds(1));

        Timeline.Bucket empty = t.buckets().get(1);
        assertEquals(0, empty.invoked());
        assertTrue(Double.isNaN(empty.availability()));
        assertNull(empty.latency());
    }

    @Test
    void percentilesAreNearestRank() {
        List<Op> ops = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            ops.add(op(i, Type.READ, 0, i, Outcome.OK)); // latencies 1..100 ms
        }
        // Given in reverse, so that only sorting finds the ranks.
        Timeline t = Timeline.of(ops.reversed(), List.of(), Duration.ofSeconds(1));

        assertEquals(
                new Timeline.Latency(100, 50 * MS, 99 * MS, 100 * MS),
                t.buckets().getFirst().latency());
        assertEquals(t.buckets().getFirst().latency(), t.latency());
    }

    @Test
    void availabilityDuringEachFaultAndByKind() {
        List<FaultWindow> faults = List.of(
                fault("partition", 1_000, 2_000, "n1"),
                fault("pause", 0, 500, "n2"),
                fault("pause", 2_000, 2_350, "n3"));
        Timeline t = Timeline.of(tenOps(), faults, Duration.ofSeconds(1));

        assertEquals(
                List.of("pause", "partition", "pause"),
                t.faults().stream().map(s -> s.fault().kind()).toList());
        assertEquals(new Timeline.Counts(2, 1, 1), t.faults().get(0).all()); // ops 0..3
        assertEquals(new Timeline.Counts(3, 0, 0), t.faults().get(1).all()); // ops 4..6
        assertEquals(new Timeline.Counts(1, 1, 0), t.faults().get(2).all()); // ops 7, 8

        Timeline.KindSummary pause = t.byKind().get("pause");
        assertEquals(2, pause.faults());
        assertEquals(Duration.ofMillis(850), pause.underFault());
        assertEquals(new Timeline.Counts(3, 2, 1), pause.during());
        assertEquals(0.5, pause.availability());
        assertEquals(new Timeline.Counts(1, 1, 1), pause.writesDuring());
        assertEquals(List.of("partition", "pause"), List.copyOf(t.byKind().keySet()));
        assertEquals(new Timeline.Counts(1, 0, 0), t.outsideFaults()); // op 9 only
    }

    @Test
    void overlappingFaultsOfAKindCountTheirTimeAndOperationsOnce() {
        Timeline t = Timeline.of(
                tenOps(),
                List.of(fault("partition", 0, 1_250, "n1"), fault("partition", 1_000, 1_600, "n2")),
                Duration.ofSeconds(1));

        Timeline.KindSummary partition = t.byKind().get("partition");
        assertEquals(Duration.ofMillis(1_600), partition.underFault());
        assertEquals(7, partition.during().total());
    }

    /** One operation every 100 ms from 0 to {@code untilMs}, each ending as {@code outcome} says. */
    private static List<Op> steady(long untilMs, LongFunction<Outcome> outcome) {
        List<Op> ops = new ArrayList<>();
        for (long at = 0; at < untilMs; at += 100) {
            ops.add(op(ops.size(), at % 300 == 0 ? Type.WRITE : Type.READ, at, at + 20, outcome.apply(at)));
        }
        return ops;
    }

    @Test
    void healToAvailableIsTheFirstSecondFromWhichOnFiveSecondsStayAvailable() {
        // Failing from the fault's start until 3.5 s after the heal; then all well.
        List<Op> ops = steady(40_000, at -> at >= 10_000 && at < 23_500 ? Outcome.FAIL : Outcome.OK);
        Timeline t = Timeline.of(ops, List.of(fault("partition", 10_000, 20_000, "n1")), Duration.ofSeconds(1));

        // [23 s, 24 s) is half failed; [24 s, 29 s) all OK.
        assertEquals(Duration.ofSeconds(4), t.faults().getFirst().healToAvailable());
        assertEquals(0.0, t.faults().getFirst().availability());
        assertEquals(Duration.ofSeconds(4), t.byKind().get("partition").meanHealToAvailable());
    }

    @Test
    void aFailureWithinTheFiveSecondsPostponesHealToAvailable() {
        // As above, plus one failure at 26.0 s: [26 s, 27 s) is then 90 % available, so the stretch
        // has to start after it, at 27 s.
        List<Op> ops = steady(40_000, at -> (at >= 10_000 && at < 23_500) || at == 26_000 ? Outcome.FAIL : Outcome.OK);
        Timeline t = Timeline.of(ops, List.of(fault("partition", 10_000, 20_000, "n1")), Duration.ofSeconds(1));

        assertEquals(Duration.ofSeconds(7), t.faults().getFirst().healToAvailable());
    }

    @Test
    void exactlyNinetyNinePercentCountsAsAvailable() {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ops.add(op(i, Type.READ, 1_000 + i * 5, 1_000 + i * 5 + 1, i == 50 ? Outcome.UNKNOWN : Outcome.OK));
        }
        Timeline t = Timeline.of(ops, List.of(fault("pause", 0, 1_000, "n1")), Duration.ofSeconds(1));

        assertEquals(Duration.ZERO, t.faults().getFirst().healToAvailable());
    }

    @Test
    void aSecondWithoutOperationsDoesNotCountAsAvailable() {
        // Nothing was invoked in the 2 s after the heal (the clients were stuck); then all OK.
        List<Op> ops = steady(30_000, at -> Outcome.OK).stream()
                .filter(op -> op.invokedNanos() < 10_000 * MS || op.invokedNanos() >= 12_000 * MS)
                .toList();
        Timeline t = Timeline.of(ops, List.of(fault("kill", 5_000, 10_000, "n1")), Duration.ofSeconds(1));

        assertEquals(Duration.ofSeconds(2), t.faults().getFirst().healToAvailable());
    }

    @Test
    void theNextFaultCutsTheStretchShortOrLeavesTheFaultNotRecovered() {
        // OK from 21 s; the next fault starts at 23 s: two good seconds are enough for the first.
        // The second fault's ops fail until the end of the run: it never recovers.
        List<Op> ops = steady(30_000, at -> (at >= 10_000 && at < 21_000) || at >= 23_000 ? Outcome.FAIL : Outcome.OK);
        Timeline t = Timeline.of(
                ops,
                List.of(fault("partition", 10_000, 20_000, "n1"), fault("partition", 23_000, 25_000, "n2")),
                Duration.ofSeconds(1));

        assertEquals(Duration.ofSeconds(1), t.faults().get(0).healToAvailable());
        assertNull(t.faults().get(1).healToAvailable());
        Timeline.KindSummary partition = t.byKind().get("partition");
        assertEquals(1, partition.notRecovered());
        assertEquals(Duration.ofSeconds(1), partition.meanHealToAvailable());
        assertEquals(Duration.ofSeconds(1), partition.maxHealToAvailable());
    }

    @Test
    void meanAndMaxOverTheFaultsOfAKind() {
        List<Op> ops = steady(
                60_000,
                at -> (at >= 10_000 && at < 22_000) || (at >= 30_000 && at < 36_000) ? Outcome.FAIL : Outcome.OK);
        Timeline t = Timeline.of(
                ops,
                List.of(fault("pause", 10_000, 20_000, "n1"), fault("pause", 30_000, 32_000, "n2")),
                Duration.ofSeconds(1));

        Timeline.KindSummary pause = t.byKind().get("pause");
        assertEquals(Duration.ofSeconds(3), pause.meanHealToAvailable()); // (2 + 4) / 2
        assertEquals(Duration.ofSeconds(4), pause.maxHealToAvailable());
        assertEquals(0, pause.notRecovered());
        assertEquals(Duration.ofSeconds(12), pause.underFault());
    }

    @Test
    void adaptiveBucketsAreWholeSecondsAndAtMostSixHundred() {
        Timeline shortRun = Timeline.of(steady(30_000, at -> Outcome.OK), List.of());
        assertEquals(Duration.ofSeconds(1), shortRun.bucket());
        assertEquals(30, shortRun.buckets().size());

        Timeline longRun = Timeline.of(List.of(op(0, Type.READ, 0, 1_000_000, Outcome.OK)), List.of());
        assertEquals(Duration.ofSeconds(2), longRun.bucket());
        assertEquals(500, longRun.buckets().size());
    }

    @Test
    void anEmptyRunHasOneEmptyBucket() {
        Timeline t = Timeline.of(List.of(), List.of());

        assertEquals(1, t.buckets().size());
        assertEquals(0, t.all().total());
        assertNull(t.latency());
    }

    @Test
    void aBucketMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Timeline.of(List.of(), List.of(), Duration.ZERO));
    }

    @Test
    void aDefiniteRefusalCountsAsAnsweredButNotARefusedConnectionOrAnOverloadedNode() {
        Op base = Ops.op(9, Type.CAS, 100, 110, Outcome.FAIL);
        java.util.function.Function<String, Op> failedWith = detail -> new Op(
                base.index(),
                base.process(),
                base.node(),
                base.type(),
                base.key(),
                base.value(),
                base.expected(),
                null,
                base.invokedNanos(),
                base.completedNanos(),
                Outcome.FAIL,
                detail);
        assertTrue(Timeline.answered(failedWith.apply("412 precondition-failed")));
        assertTrue(Timeline.answered(failedWith.apply("400 invalid-json")));
        assertFalse(Timeline.answered(failedWith.apply("429 rate-limited")));
        assertFalse(Timeline.answered(failedWith.apply("408")));
        assertFalse(Timeline.answered(failedWith.apply("not sent: java.net.ConnectException")));
        assertFalse(Timeline.answered(failedWith.apply("4000 nonsense")));

        Timeline t = Timeline.of(
                List.of(failedWith.apply("412 precondition-failed"), failedWith.apply("not sent: refused")),
                List.of(),
                java.time.Duration.ofSeconds(1));
        assertEquals(new Timeline.Counts(1, 1, 0), t.all());
    }
}
