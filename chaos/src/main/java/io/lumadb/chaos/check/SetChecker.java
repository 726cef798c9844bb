package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks the set workload: every acknowledged insert survives, and nothing else appears. Each
 * {@link Op.Type#INSERT} creates the document {@code key}; after the run the documents' ids are
 * read back from every node.
 *
 * <ul>
 *   <li>An id with an {@link Op.Outcome#OK} insert must be in every node's final read, else it
 *       is <em>lost</em> (one anomaly per id, naming the nodes it is missing from).
 *   <li>An id in a final read that no insert ever attempted is <em>unexpected</em>.
 *   <li>An id whose inserts all {@link Op.Outcome#FAIL}ed must be in no final read, else the
 *       <em>failed insert took effect</em>.
 *   <li>An id whose inserts are {@link Op.Outcome#UNKNOWN} (and none OK) may be present or
 *       absent; both are counted. The final reads must still agree on it: present on some nodes
 *       and absent on others is an anomaly (<em>final reads disagree</em>), since reads taken after
 *       the cluster healed see the same committed data.
 * </ul>
 *
 * An id inserted several times (a retry) is judged by its best outcome: OK over UNKNOWN over FAIL.
 */
public final class SetChecker {

    /** The name of the check in its {@link Verdict}. */
    public static final String CHECK = "no lost inserts";

    /**
     * Checks the inserts of {@code history} (other operations are ignored) against the ids each
     * node read back at the end ({@code finalReads}: node name to ids). With no final read at
     * all the verdict is invalid: nothing could be checked.
     */
    public Verdict check(List<Op> history, Map<String, Set<String>> finalReads) {
        Map<String, List<Op>> insertsById = new TreeMap<>();
        int ok = 0;
        int failed = 0;
        int unknown = 0;
        for (Op op : history) {
            if (op.type() != Op.Type.INSERT) {
                continue;
            }
            insertsById.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            switch (op.outcome()) {
                case OK -> ok++;
                case FAIL -> failed++;
                case UNKNOWN -> unknown++;
            }
        }
        Map<String, Set<String>> reads = new TreeMap<>(finalReads);
        List<String> anomalies = new ArrayList<>();
        if (reads.isEmpty()) {
            anomalies.add("no final read of the set from any node: nothing could be checked");
        }
        int lost = 0;
        int failedPresent = 0;
        int unknownPresent = 0;
        int unknownAbsent = 0;
        int disagreements = 0;
        for (Map.Entry<String, List<Op>> e : insertsById.entrySet()) {
            String id = e.getKey();
            List<Op> inserts = e.getValue();
            Set<String> hasIt = new TreeSet<>();
            Set<String> lacksIt = new TreeSet<>();
            reads.forEach((node, ids) -> (ids.contains(id) ? hasIt : lacksIt).add(node));
            Op.Outcome best = best(inserts);
            switch (best) {
                case OK -> {
                    if (!lacksIt.isEmpty()) {
                        lost++;
                        anomalies.add("lost: " + id + " (" + describe(inserts, Op.Outcome.OK)
                                + ") is missing from the final read of " + String.join(", ", lacksIt));
                    }
                }
                case FAIL -> {
                    if (!hasIt.isEmpty()) {
                        failedPresent++;
                        anomalies.add("failed insert took effect: " + id + " (" + describe(inserts, Op.Outcome.FAIL)
                                + ") is in the final read of " + String.join(", ", hasIt));
                    }
                }
                case UNKNOWN -> {
                    if (hasIt.isEmpty()) {
                        unknownAbsent++;
                    } else {
                        unknownPresent++;
                        if (!lacksIt.isEmpty()) {
                            disagreements++;
                            anomalies.add("final reads disagree: " + id + " (" + describe(inserts, Op.Outcome.UNKNOWN)
                                    + ") is in the final read of " + String.join(", ", hasIt) + " but not of "
                                    + String.join(", ", lacksIt));
                        }
                    }
                }
            }
        }
        int unexpected = 0;
        for (Map.Entry<String, Set<String>> read : reads.entrySet()) {
            for (String id : new TreeSet<>(read.getValue())) {
                if (!insertsById.containsKey(id)) {
                    unexpected++;
                    anomalies.add("unexpected: " + id + " is in the final read of " + read.getKey()
                            + " but was never inserted");
                }
            }
        }
        String summary = (ok + failed + unknown) + " inserts of " + insertsById.size() + " ids read back from "
                + reads.size() + " nodes: " + ok + " ok, " + failed + " failed, " + unknown + " unknown (ids "
                + unknownPresent + " present, " + unknownAbsent + " absent); " + lost + " lost, " + unexpected
                + " unexpected, " + failedPresent + " failed but present, " + disagreements + " disagreeing";
        return new Verdict(CHECK, anomalies.isEmpty(), summary, anomalies, List.of());
    }

    private static Op.Outcome best(List<Op> inserts) {
        Op.Outcome best = Op.Outcome.FAIL;
        for (Op op : inserts) {
            if (op.outcome() == Op.Outcome.OK) {
                return Op.Outcome.OK;
            }
            if (op.outcome() == Op.Outcome.UNKNOWN) {
                best = Op.Outcome.UNKNOWN;
            }
        }
        return best;
    }

    private static String describe(List<Op> inserts, Op.Outcome outcome) {
        return inserts.stream()
                .filter(op -> op.outcome() == outcome)
                .map(Op::toString)
                .collect(Collectors.joining(", "));
    }
}
