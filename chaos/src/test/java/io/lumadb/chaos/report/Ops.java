package io.lumadb.chaos.report;

import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.Op;
import java.util.List;

/** Hand-made operations and faults for the tests, with times in milliseconds. */
final class Ops {

    private Ops() {}

    static Op op(long index, Op.Type type, long invokedMs, long completedMs, Op.Outcome outcome) {
        return new Op(
                index,
                (int) (index % 5),
                "n" + (index % 3 + 1),
                type,
                "k" + (index % 2),
                type == Op.Type.READ ? null : index,
                type == Op.Type.CAS ? index - 1 : null,
                outcome == Op.Outcome.OK ? index : null,
                invokedMs * 1_000_000,
                completedMs * 1_000_000,
                outcome,
                outcome == Op.Outcome.OK ? "200" : "timeout");
    }

    static FaultWindow fault(String kind, long startMs, long endMs, String... nodes) {
        return new FaultWindow(
                kind, kind + " of " + String.join(",", nodes), List.of(nodes), startMs * 1_000_000, endMs * 1_000_000);
    }
}
