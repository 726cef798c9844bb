package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.cdc.ResumeToken;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ChangeStreamCheckerTest {

    private static final long INCARNATION = 7;
    private static final int SHARDS = 2;

    private final ChangeStreamChecker checker = new ChangeStreamChecker();

    /**
     * Shard 0: event 1 (a@1, b@1), event 2 (a@2), event 3 (c@1). Shard 1: event 1 (d@1), event 2
     * (e@1, d@2, f@1).
     */
    private final List<ChangeSeen> reference = List.of(
            ref(0, 1, 0, "a", 1),
            ref(1, 1, 0, "d", 1),
            ref(0, 1, 1, "b", 1),
            ref(0, 2, 0, "a", 2),
            ref(1, 2, 0, "e", 1),
            ref(1, 2, 1, "d", 2),
            ref(1, 2, 2, "f", 1),
            ref(0, 3, 0, "c", 1));

    private static ChangeSeen ref(int shard, long seq, int index, String id, long version) {
        return new ChangeSeen("reference", shard, seq, index, id, version, null, seq * 1_000_000);
    }

    private static Op acknowledged(String id, long version) {
        return new Op(0, 0, "n1", Op.Type.WRITE, id, 1L, null, version, 0, 1, Op.Outcome.OK, "");
    }

    private final List<Op> acknowledged = List.of(
            acknowledged("a", 1),
            acknowledged("b", 1),
            acknowledged("a", 2),
            acknowledged("c", 1),
            acknowledged("d", 1),
            acknowledged("e", 1),
            acknowledged("d", 2),
            acknowledged("f", 1));

    /**
     * What a consumer receives for the reference changes that {@code delivered} selects, with the
     * tokens the server would send: after a change, the last complete event and the changes of the
     * next one already delivered.
     */
    private List<ChangeSeen> consume(String consumer, Predicate<ChangeSeen> delivered) {
        long[] seqs = {ResumeToken.EARLIEST, ResumeToken.EARLIEST};
        int[] skips = new int[SHARDS];
        List<ChangeSeen> out = new ArrayList<>();
        for (ChangeSeen c : reference) {
            long eventSize = reference.stream()
                    .filter(r -> r.shard() == c.shard() && r.seq() == c.seq())
                    .count();
            if (c.index() == eventSize - 1) {
                seqs[c.shard()] = c.seq();
                skips[c.shard()] = 0;
            } else {
                seqs[c.shard()] = c.seq() - 1;
                skips[c.shard()] = c.index() + 1;
            }
            if (delivered.test(c)) {
                String token = new ResumeToken(INCARNATION, seqs, skips).encode();
                out.add(new ChangeSeen(
                        consumer, c.shard(), c.seq(), c.index(), c.id(), c.version(), token, c.atNanos() + 1));
            }
        }
        return out;
    }

    private static ChangeSeen withToken(ChangeSeen c, long[] seqs, int[] skips) {
        return new ChangeSeen(
                c.consumer(),
                c.shard(),
                c.seq(),
                c.index(),
                c.id(),
                c.version(),
                new ResumeToken(INCARNATION, seqs, skips).encode(),
                c.atNanos());
    }

    @Test
    void aCompleteStreamDeliveredWholeIsValid() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        // n2 starts late and stops early: a contiguous run of each shard.
        consumers.addAll(consume("n2", c -> c.seq() == 2 || (c.shard() == 1 && c.seq() == 1)));
        List<Verdict> verdicts = checker.check(consumers, reference, acknowledged);
        assertEquals(
                List.of(ChangeStreamChecker.COMPLETE, ChangeStreamChecker.EXACTLY_ONCE, ChangeStreamChecker.TOKENS),
                verdicts.stream().map(Verdict::check).toList());
        verdicts.forEach(v -> assertTrue(v.valid(), v::toString));
        assertEquals(
                "reference: 8 changes on 2 shards, 0 stream anomalies; 8 acknowledged writes: 0 missing,"
                        + " 0 more than once, 0 sharing a version",
                verdicts.get(0).summary());
        assertEquals(
                "2 consumers received 13 changes: 0 duplicates, 0 gaps (0 changes missed), 0 out of order,"
                        + " 0 mismatches, 0 not in the reference",
                verdicts.get(1).summary());
        assertEquals(
                "2 consumers, 13 tokens: 0 rewinds, 0 malformed",
                verdicts.get(2).summary());
    }

    @Test
    void anAcknowledgedWriteMissingFromTheStreamIsNamed() {
        List<Op> more = new ArrayList<>(acknowledged);
        more.add(acknowledged("g", 3));
        more.add(new Op(9, 0, "n1", Op.Type.WRITE, "h", 1L, null, 4L, 0, 1, Op.Outcome.UNKNOWN, "")); // may be lost
        more.add(new Op(10, 0, "n1", Op.Type.READ, "a", 1L, null, 1L, 0, 1, Op.Outcome.OK, "")); // not a write
        Verdict verdict = checker.complete(reference, more);
        assertFalse(verdict.valid());
        assertEquals(1, verdict.anomalies().size());
        assertTrue(
                verdict.anomalies().getFirst().startsWith("acknowledged write missing from the change stream: g@3"),
                verdict.anomalies()::toString);
    }

    @Test
    void anAcknowledgedWriteTwiceInTheStreamIsNamed() {
        List<ChangeSeen> twice = new ArrayList<>(reference);
        twice.add(ref(0, 4, 0, "c", 1));
        Verdict verdict = checker.complete(twice, acknowledged);
        assertFalse(verdict.valid());
        assertTrue(
                verdict.anomalies().getFirst().startsWith("acknowledged write c@1 is in the change stream 2 times"),
                verdict.anomalies()::toString);
    }

    @Test
    void aGapInTheReferenceIsNamed() {
        List<ChangeSeen> gap = reference.stream()
                .filter(c -> !(c.shard() == 0 && c.seq() == 2))
                .toList();
        Verdict verdict = checker.complete(
                gap,
                acknowledged.stream()
                        .filter(op -> !(op.key().equals("a") && op.version() == 2))
                        .toList());
        assertFalse(verdict.valid());
        assertEquals(
                List.of("gap in the reference on shard 0: (shard 0, seq 3, index 0) right after"
                        + " (shard 0, seq 1, index 1) (missing seqs 2..2)"),
                verdict.anomalies());
    }

    @Test
    void emptyEventsMayLeaveSeqsOutWhenConfiguredSo() {
        List<ChangeSeen> gap = reference.stream()
                .filter(c -> !(c.shard() == 0 && c.seq() == 2))
                .toList();
        ChangeStreamChecker lenient = new ChangeStreamChecker(ChangeStreamChecker.RESUME_TOKENS, true);
        assertTrue(lenient.complete(gap, List.of()).valid());
        List<ChangeSeen> midEvent = reference.stream()
                .filter(c -> !(c.shard() == 1 && c.index() == 1))
                .toList();
        assertFalse(lenient.complete(midEvent, List.of()).valid(), "indexes within an event stay contiguous");
    }

    @Test
    void aDuplicateAndADisorderInTheReferenceAreNamed() {
        List<ChangeSeen> bad = new ArrayList<>(reference);
        bad.add(ref(0, 1, 1, "b", 1));
        bad.add(ref(1, 1, 0, "d", 1));
        Verdict verdict = checker.complete(bad, acknowledged);
        assertEquals(
                List.of(
                        "reference has (shard 0, seq 1, index 1) twice",
                        "reference has (shard 1, seq 1, index 0) twice"),
                verdict.anomalies());
    }

    @Test
    void aConsumerThatSkipsChangesHasAGap() {
        List<ChangeSeen> consumers = consume("n1", c -> !(c.shard() == 1 && c.seq() == 2 && c.index() < 2));
        Verdict verdict = checker.exactlyOnce(consumers, reference);
        assertFalse(verdict.valid());
        assertEquals(
                List.of("gap: n1 received (shard 1, seq 2, index 2) right after (shard 1, seq 1, index 0), missing"
                        + " (shard 1, seq 2, index 0) .. (shard 1, seq 2, index 1) (2 changes)"),
                verdict.anomalies());
        assertTrue(verdict.summary().contains("1 gaps (2 changes missed)"), verdict.summary());
    }

    @Test
    void aChangeDeliveredTwiceIsADuplicate() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        ChangeSeen again = consumers.get(2);
        consumers.add(3, again);
        Verdict verdict = checker.exactlyOnce(consumers, reference);
        assertFalse(verdict.valid());
        assertEquals(1, verdict.anomalies().size());
        assertTrue(
                verdict.anomalies().getFirst().startsWith("duplicate: n1 received (shard 0, seq 1, index 1) twice"),
                verdict.anomalies()::toString);
    }

    @Test
    void aChangeThatReportsAnotherWriteIsAMismatch() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        ChangeSeen c = consumers.get(3);
        consumers.set(
                3, new ChangeSeen(c.consumer(), c.shard(), c.seq(), c.index(), c.id(), 9, c.token(), c.atNanos()));
        Verdict verdict = checker.exactlyOnce(consumers, reference);
        assertEquals(
                List.of("mismatch: n1 received (shard 0, seq 2, index 0) a@9 where the reference has a@2"),
                verdict.anomalies());
    }

    @Test
    void aChangeTheReferenceLacksIsNamed() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        consumers.add(new ChangeSeen("n1", 0, 9, 0, "z", 1, null, 0));
        Verdict verdict = checker.exactlyOnce(consumers, reference);
        assertEquals(List.of("not in the reference: n1 received (shard 0, seq 9, index 0) z@1"), verdict.anomalies());
    }

    @Test
    void aTokenThatGoesBackOnAShardIsARewind() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        // The token with the fourth change claims shard 0 is back inside its first event.
        consumers.set(3, withToken(consumers.get(3), new long[] {0, 1}, new int[] {1, 0}));
        Verdict verdict = checker.tokensNeverRewind(consumers);
        assertFalse(verdict.valid());
        assertEquals(
                List.of("rewind: n1's token went back on shard 0 from (seq 1, skip 0) with (shard 0, seq 1, index 1)"
                        + " to (seq 0, skip 1) with (shard 0, seq 2, index 0)"),
                verdict.anomalies());
        assertTrue(checker.exactlyOnce(consumers, reference).valid(), "the changes themselves are fine");
    }

    @Test
    void aSmallerSkipWithinTheSameEventIsARewind() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        // (shard 1, seq 2, index 1) is followed by index 2; pretend its token is back at skip 1.
        ChangeSeen before = consumers.get(5);
        consumers.set(5, withToken(before, new long[] {2, 1}, new int[] {0, 2}));
        consumers.set(6, withToken(consumers.get(6), new long[] {2, 1}, new int[] {0, 1}));
        Verdict verdict = checker.tokensNeverRewind(consumers);
        assertEquals(1, verdict.anomalies().size(), verdict.anomalies()::toString);
        assertTrue(
                verdict.anomalies().getFirst().contains("shard 1 from (seq 1, skip 2)"), verdict.anomalies()::toString);
    }

    @Test
    void tokensAreComparedPerConsumer() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        consumers.addAll(consume("n2", c -> true)); // n2 starts over: not a rewind of n1's
        assertTrue(checker.tokensNeverRewind(consumers).valid());
    }

    @Test
    void aTokenThatDoesNotDecodeIsNamed() {
        List<ChangeSeen> consumers = new ArrayList<>(consume("n1", c -> true));
        ChangeSeen c = consumers.get(1);
        consumers.set(1, new ChangeSeen(c.consumer(), c.shard(), c.seq(), c.index(), c.id(), c.version(), "!!", 0));
        Verdict verdict = checker.tokensNeverRewind(consumers);
        assertFalse(verdict.valid());
        assertTrue(
                verdict.anomalies().getFirst().startsWith("malformed token: n1 received !!"),
                verdict.anomalies()::toString);
    }

    @Test
    void anotherTokenFormatCanBeDecoded() {
        ChangeStreamChecker plain = new ChangeStreamChecker(
                token -> new ChangeStreamChecker.Positions(new long[] {Long.parseLong(token)}, new int[] {0}), false);
        List<ChangeSeen> consumers =
                List.of(new ChangeSeen("n1", 0, 1, 0, "a", 1, "5", 0), new ChangeSeen("n1", 0, 2, 0, "a", 2, "4", 0));
        Verdict verdict = plain.tokensNeverRewind(consumers);
        assertEquals(1, verdict.anomalies().size(), verdict.anomalies()::toString);
    }
}
