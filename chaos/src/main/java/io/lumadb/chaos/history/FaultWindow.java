package io.lumadb.chaos.history;

import java.util.List;

/**
 * A fault the nemesis held for a while: from {@code startNanos} (injected) to {@code endNanos}
 * (healed), in nanoseconds since the run started, on the nodes it touched.
 *
 * @param kind the fault's kind, such as {@code partition} or {@code pause}
 * @param description what exactly was done, for the report
 * @param nodes the nodes it touched
 */
public record FaultWindow(String kind, String description, List<String> nodes, long startNanos, long endNanos) {

    public FaultWindow {
        nodes = List.copyOf(nodes);
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("endNanos " + endNanos + " is before startNanos " + startNanos);
        }
    }
}
