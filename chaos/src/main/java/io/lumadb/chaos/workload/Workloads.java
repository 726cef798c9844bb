package io.lumadb.chaos.workload;

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
}
