package io.lumadb.chaos.history;

import java.util.List;

/**
 * What one check concluded about a run.
 *
 * @param check the check's name, such as {@code linearizable registers}
 * @param valid whether the history passed it
 * @param summary one line for people: what was checked and how many
 * @param anomalies each anomaly found, one line each (empty when valid)
 * @param smallestFailing for an invalid history, the smallest sub-history that still fails the
 *     check (for registers: the operations on one key), else empty
 */
public record Verdict(String check, boolean valid, String summary, List<String> anomalies, List<Op> smallestFailing) {

    public Verdict {
        anomalies = List.copyOf(anomalies);
        smallestFailing = List.copyOf(smallestFailing);
    }

    public static Verdict valid(String check, String summary) {
        return new Verdict(check, true, summary, List.of(), List.of());
    }
}
