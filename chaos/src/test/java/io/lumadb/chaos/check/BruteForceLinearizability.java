package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Linearizability of a tiny register history by exhaustion, written without anything of the
 * checker: every subset of the unknown writes and CASes (with all OK operations), in every order
 * that respects real time, run on a register. Exponential; for a handful of operations only.
 */
final class BruteForceLinearizability {

    private BruteForceLinearizability() {}

    static boolean linearizable(List<Op> history) {
        List<Op> must = new ArrayList<>();
        List<Op> may = new ArrayList<>();
        for (Op op : history) {
            if (op.outcome() == Op.Outcome.OK) {
                must.add(op);
            } else if (op.outcome() == Op.Outcome.UNKNOWN && op.type() != Op.Type.READ) {
                may.add(op);
            }
        }
        for (int subset = 0; subset < 1 << may.size(); subset++) {
            List<Op> ops = new ArrayList<>(must);
            for (int i = 0; i < may.size(); i++) {
                if ((subset & 1 << i) != 0) {
                    ops.add(may.get(i));
                }
            }
            if (someOrderWorks(ops, new boolean[ops.size()], new ArrayList<>())) {
                return true;
            }
        }
        return false;
    }

    private static boolean someOrderWorks(List<Op> ops, boolean[] used, List<Op> order) {
        if (order.size() == ops.size()) {
            return runs(order);
        }
        for (int i = 0; i < ops.size(); i++) {
            if (!used[i] && nothingUnusedMustPrecede(ops, used, i)) {
                used[i] = true;
                order.add(ops.get(i));
                boolean works = someOrderWorks(ops, used, order);
                order.removeLast();
                used[i] = false;
                if (works) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Real time: an OK operation that completed before {@code i} was invoked must come first. */
    private static boolean nothingUnusedMustPrecede(List<Op> ops, boolean[] used, int i) {
        for (int j = 0; j < ops.size(); j++) {
            Op other = ops.get(j);
            if (!used[j]
                    && j != i
                    && other.outcome() == Op.Outcome.OK
                    && other.completedNanos() < ops.get(i).invokedNanos()) {
                return false;
            }
        }
        return true;
    }

    private static boolean runs(List<Op> order) {
        Long register = null;
        for (Op op : order) {
            switch (op.type()) {
                case READ -> {
                    if (!Objects.equals(register, op.value())) {
                        return false;
                    }
                }
                case WRITE -> register = op.value();
                case CAS -> {
                    if (!Objects.equals(register, op.expected())) {
                        return false;
                    }
                    register = op.value();
                }
                case INSERT -> throw new IllegalArgumentException("not a register operation");
            }
        }
        return true;
    }
}
