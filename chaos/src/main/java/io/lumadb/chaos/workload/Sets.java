package io.lumadb.chaos.workload;

import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * The set workload: every client inserts documents with ids of its own, each once, with {@code
 * If-None-Match: *} (a create). At the end every node's copy of the collection is read back, and
 * every acknowledged insert must be there. While {@code ballast} says so (a node's disk is full),
 * each document carries {@value #BALLAST_CHARS} characters of padding, so that the writes that
 * reach the full node's shards need more than the space its store set aside beforehand and the
 * full disk really makes its writes fail.
 */
public final class Sets {

    /** The {@code kind} field of set documents. */
    public static final String KIND = "s";

    /** Padding per document while {@code ballast} holds. */
    public static final int BALLAST_CHARS = 16 * 1024;

    private static final String PAD = "x".repeat(BALLAST_CHARS);

    private final Target target;
    private final History history;
    private final BooleanSupplier ballast;

    public Sets(Target target, History history, BooleanSupplier ballast) {
        this.target = target;
        this.history = history;
        this.ballast = ballast;
    }

    /** One client: inserts into {@code node} until {@code stop} says so. */
    public Runnable client(int process, String node, SplittableRandom random, BooleanSupplier stop) {
        return () -> {
            long n = 0;
            while (!stop.getAsBoolean()) {
                long element = (long) process * 100_000_000L + ++n;
                String id = "s" + element;
                long index = history.nextIndex();
                long invoked = history.now();
                NodeApi.Outcome o = target.api()
                        .put(
                                target.docUrl(node, id),
                                "{\"kind\":\"" + KIND + "\",\"e\":" + element
                                        + (ballast.getAsBoolean() ? ",\"pad\":\"" + PAD + "\"" : "") + "}",
                                "If-None-Match",
                                "*");
                Op.Outcome outcome = Workloads.recordWrite(
                        history, index, process, node, Op.Type.INSERT, id, element, null, invoked, o);
                Workloads.pause(random, outcome);
            }
        };
    }
}
