package io.lumadb.chaos.nemesis;

import java.util.List;

/**
 * One fault of a plan: what, on which nodes, when (milliseconds after the workloads start) and
 * for how long. {@code flavour} refines the kind: for a partition {@code majority}, {@code
 * bridge} or {@code one-way}; for a slow network {@code delay} or {@code loss}.
 */
public record PlannedFault(FaultKind kind, String flavour, List<Integer> nodes, long atMillis, long holdMillis) {

    public PlannedFault {
        nodes = List.copyOf(nodes);
    }
}
