package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds hand-made histories for the checkers' tests: operations on one key (or on ids of the
 * set), numbered in the order they are added, with times given in milliseconds.
 */
final class Ops {

    static final String KEY = "r1";

    private final List<Op> ops = new ArrayList<>();

    List<Op> list() {
        return List.copyOf(ops);
    }

    Op read(int process, Long value, long fromMs, long toMs) {
        return add(process, Op.Type.READ, KEY, value, null, fromMs, toMs, Op.Outcome.OK);
    }

    Op write(int process, long value, long fromMs, long toMs) {
        return write(process, value, fromMs, toMs, Op.Outcome.OK);
    }

    Op write(int process, long value, long fromMs, long toMs, Op.Outcome outcome) {
        return add(process, Op.Type.WRITE, KEY, value, null, fromMs, toMs, outcome);
    }

    Op cas(int process, long expected, long value, long fromMs, long toMs, Op.Outcome outcome) {
        return add(process, Op.Type.CAS, KEY, value, expected, fromMs, toMs, outcome);
    }

    Op insert(String id, Op.Outcome outcome, Long version) {
        long at = ops.size() * 10L;
        return add(new Op(
                ops.size(),
                0,
                "n1",
                Op.Type.INSERT,
                id,
                (long) ops.size(),
                null,
                version,
                ms(at),
                ms(at + 5),
                outcome,
                ""));
    }

    Op add(
            int process,
            Op.Type type,
            String key,
            Long value,
            Long expected,
            long fromMs,
            long toMs,
            Op.Outcome outcome) {
        return add(new Op(
                ops.size(),
                process,
                "n" + (process % 3 + 1),
                type,
                key,
                value,
                expected,
                null,
                ms(fromMs),
                ms(toMs),
                outcome,
                ""));
    }

    Op add(Op op) {
        ops.add(op);
        return op;
    }

    static long ms(long millis) {
        return millis * 1_000_000;
    }
}
