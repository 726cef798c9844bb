package io.lumadb.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.cdc.ResumeToken;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChecksTest {

    private final History history = new History(0);

    ChecksTest() {
        history.add(new Op(0, 0, "n1", Op.Type.WRITE, "r", 1L, null, 1L, 0, 10, Op.Outcome.OK, ""));
        history.add(new Op(1, 1, "n2", Op.Type.READ, "r", 1L, null, 1L, 20, 30, Op.Outcome.OK, ""));
        history.add(new Op(2, 2, "n3", Op.Type.INSERT, "s1", 1L, null, 1L, 0, 10, Op.Outcome.OK, ""));
        String first = ResumeToken.at(1, new long[] {1, ResumeToken.EARLIEST}).encode();
        String second = ResumeToken.at(1, new long[] {1, 1}).encode();
        history.add(new ChangeSeen("n1", 0, 1, 0, "r", 1, first, 11));
        history.add(new ChangeSeen("n1", 1, 1, 0, "s1", 1, second, 12));
    }

    private final List<ChangeSeen> reference = List.of(
            new ChangeSeen("reference", 0, 1, 0, "r", 1, null, 100),
            new ChangeSeen("reference", 1, 1, 0, "s1", 1, null, 101));

    @Test
    void aGoodRunPassesEveryCheckInOrder() {
        List<Verdict> verdicts = new Checks()
                .all(history, Map.of("n1", Set.of("s1")), reference, Map.of("n1", Map.of("r", 1L)), Map.of("r", 1L));
        assertEquals(
                List.of(
                        LinearizabilityChecker.CHECK,
                        SetChecker.CHECK,
                        ChangeStreamChecker.COMPLETE,
                        ChangeStreamChecker.EXACTLY_ONCE,
                        ChangeStreamChecker.TOKENS,
                        LiveQueryChecker.CHECK),
                verdicts.stream().map(Verdict::check).toList());
        assertTrue(Checks.allValid(verdicts), verdicts::toString);
    }

    @Test
    void workloadsWithoutFinalReadsAreLeftOut() {
        List<Verdict> verdicts = new Checks().all(history, null, null, null, null);
        assertEquals(
                List.of(LinearizabilityChecker.CHECK),
                verdicts.stream().map(Verdict::check).toList());
    }

    @Test
    void aLostInsertFailsTheRun() {
        List<Verdict> verdicts = new Checks().all(history, Map.of("n1", Set.of()), reference, null, null);
        assertFalse(Checks.allValid(verdicts));
        assertFalse(verdicts.get(1).valid());
    }
}
