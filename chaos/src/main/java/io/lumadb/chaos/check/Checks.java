package io.lumadb.chaos.check;

import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Every check of a chaos run in one call: a run's {@link History} and what was read back after
 * it go in, one {@link Verdict} per check comes out, in a fixed order:
 *
 * <ol>
 *   <li>{@value LinearizabilityChecker#CHECK} (always; READ, WRITE and CAS operations),
 *   <li>{@value SetChecker#CHECK} (when final set reads are given; INSERT operations),
 *   <li>{@value ChangeStreamChecker#COMPLETE}, {@value ChangeStreamChecker#EXACTLY_ONCE}, {@value
 *       ChangeStreamChecker#TOKENS} (when a reference stream is given; the history's changes are
 *       the consumers', its OK writes, CASes and inserts the acknowledged writes),
 *   <li>{@value LiveQueryChecker#CHECK} (when both live states and the answer are given).
 * </ol>
 *
 * A workload the run did not have is left out by passing null for what it would have read back.
 * A run passes when every verdict is valid; note that a register key whose search ran out of
 * budget does not invalidate its verdict but is named in its summary (see {@link
 * LinearizabilityChecker}).
 */
public final class Checks {

    private final LinearizabilityChecker registers;
    private final SetChecker sets = new SetChecker();
    private final ChangeStreamChecker changeStreams;
    private final LiveQueryChecker liveQueries = new LiveQueryChecker();

    /** The checks with their defaults (LumaDB's resume tokens, default search budgets). */
    public Checks() {
        this(new LinearizabilityChecker(), new ChangeStreamChecker());
    }

    /** The checks with the given register and change stream checkers. */
    public Checks(LinearizabilityChecker registers, ChangeStreamChecker changeStreams) {
        this.registers = Objects.requireNonNull(registers, "registers");
        this.changeStreams = Objects.requireNonNull(changeStreams, "changeStreams");
    }

    /**
     * Runs the checks that apply.
     *
     * @param history the run's operations and the changes its consumers received
     * @param finalSets per node, the ids of the set workload's documents read back; null if none
     * @param reference the whole change stream read from the beginning after the run; null if
     *     the run had no change stream consumers
     * @param liveFinal per node, the final state of its live query (id to version); null if none
     * @param queryAnswer the same query's answer after the run (id to version); null if none
     * @return the verdicts, in the order of the class comment
     */
    public List<Verdict> all(
            History history,
            Map<String, Set<String>> finalSets,
            List<ChangeSeen> reference,
            Map<String, Map<String, Long>> liveFinal,
            Map<String, Long> queryAnswer) {
        List<Op> ops = history.ops();
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(registers.check(ops));
        if (finalSets != null) {
            verdicts.add(sets.check(ops, finalSets));
        }
        if (reference != null) {
            verdicts.addAll(changeStreams.check(history.changes(), reference, ops));
        }
        if (liveFinal != null && queryAnswer != null) {
            verdicts.add(liveQueries.check(liveFinal, queryAnswer));
        }
        return verdicts;
    }

    /** Whether every verdict is valid. */
    public static boolean allValid(List<Verdict> verdicts) {
        return verdicts.stream().allMatch(Verdict::valid);
    }
}
