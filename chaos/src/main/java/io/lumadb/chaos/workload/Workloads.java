package io.lumadb.chaos.workload;

import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/** What the workloads share: how a write's answer maps to an outcome, and the pacing of clients. */
final class Workloads {

    private Workloads() {}

    /**
     * A write's outcome: 2xx happened; 4xx (a failed precondition, a refused body) and a request
     * that never reached the node certainly did not; 5xx and lost requests may have, because the
     * node may have durably written it and failed only to answer in time.
     */
    static Op.Outcome writeOutcome(NodeApi.Outcome o) {
        return switch (o) {
            case NodeApi.Answered a when a.status() >= 200 && a.status() < 300 -> Op.Outcome.OK;
            case NodeApi.Answered a when a.status() >= 400 && a.status() < 500 -> Op.Outcome.FAIL;
            case NodeApi.Answered a -> Op.Outcome.UNKNOWN;
            case NodeApi.NotSent n -> Op.Outcome.FAIL;
            case NodeApi.Lost l -> Op.Outcome.UNKNOWN;
        };
    }

    /**
     * A short, random think time between a client's operations (5-15 ms), so clients interleave;
     * after an operation that did not succeed, 200-300 ms, as a client backs off from a node that
     * is down instead of counting thousands of refusals.
     */
    static void pause(SplittableRandom random, Op.Outcome last) {
        boolean ok = last == Op.Outcome.OK;
        LockSupport.parkNanos(
                ok ? 5_000_000L + random.nextLong(10_000_000L) : 200_000_000L + random.nextLong(100_000_000L));
    }

    /**
     * Records a write that ended with {@code o}: its outcome by {@link #writeOutcome}, and the
     * version the node acknowledged it at.
     */
    static Op.Outcome recordWrite(
            History history,
            long index,
            int process,
            String node,
            Op.Type type,
            String key,
            long value,
            Long expected,
            long invoked,
            NodeApi.Outcome o) {
        Op.Outcome outcome = writeOutcome(o);
        Long version = outcome == Op.Outcome.OK
                ? ((NodeApi.Answered) o).json().path("_version").asLong()
                : null;
        record(
                history,
                new Op(index, process, node, type, key, value, expected, version, invoked, invoked, outcome, ""),
                o);
        return outcome;
    }

    /** Records {@code op}, completed now, with what the request came to as its detail. */
    static void record(History history, Op op, NodeApi.Outcome o) {
        history.add(new Op(
                op.index(),
                op.process(),
                op.node(),
                op.type(),
                op.key(),
                op.value(),
                op.expected(),
                op.version(),
                op.invokedNanos(),
                history.now(),
                op.outcome(),
                NodeApi.describe(o)));
    }
}
