package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Checks that each node's live query, once the run is over and the updates have settled, holds
 * exactly what the same query answers when asked afresh: the same document ids at the same
 * versions. A live query that drifted (missed an update, kept a deleted match, applied one twice
 * at the wrong version) ends somewhere else.
 */
public final class LiveQueryChecker {

    /** The name of the check in its {@link Verdict}. */
    public static final String CHECK = "live queries end at the query's answer";

    /**
     * Compares each node's final live state with the answer.
     *
     * @param liveFinal per node, the live query's final state: document id to version
     * @param answer the query's answer after the run: document id to version
     */
    public Verdict check(Map<String, Map<String, Long>> liveFinal, Map<String, Long> answer) {
        List<String> anomalies = new ArrayList<>();
        if (liveFinal.isEmpty()) {
            anomalies.add("no live query state from any node: nothing could be checked");
        }
        int missing = 0;
        int extra = 0;
        int mismatched = 0;
        Map<String, Long> expected = new TreeMap<>(answer);
        for (Map.Entry<String, Map<String, Long>> node : new TreeMap<>(liveFinal).entrySet()) {
            Map<String, Long> live = new TreeMap<>(node.getValue());
            for (Map.Entry<String, Long> e : expected.entrySet()) {
                if (!live.containsKey(e.getKey())) {
                    missing++;
                    anomalies.add(
                            "missing: " + node.getKey() + "'s live query lacks " + e.getKey() + "@" + e.getValue());
                } else if (!Objects.equals(live.get(e.getKey()), e.getValue())) {
                    mismatched++;
                    anomalies.add("version mismatch: " + node.getKey() + "'s live query has " + e.getKey() + "@"
                            + live.get(e.getKey()) + ", the query answers " + e.getKey() + "@" + e.getValue());
                }
            }
            for (Map.Entry<String, Long> e : live.entrySet()) {
                if (!expected.containsKey(e.getKey())) {
                    extra++;
                    anomalies.add("extra: " + node.getKey() + "'s live query has " + e.getKey() + "@" + e.getValue()
                            + ", which the query does not answer");
                }
            }
        }
        String summary = liveFinal.size() + " live queries against an answer of " + answer.size() + " documents: "
                + missing + " missing, " + extra + " extra, " + mismatched + " at another version";
        return new Verdict(CHECK, anomalies.isEmpty(), summary, anomalies, List.of());
    }
}
