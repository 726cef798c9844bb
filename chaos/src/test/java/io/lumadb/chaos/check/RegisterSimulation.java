package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Histories of a real atomic register, for property tests: concurrent clients run reads, writes
 * and CASes one after another; each operation takes effect at a random instant inside its
 * interval, in that instant's order, on one register. Some outcomes are then turned UNKNOWN: an
 * unknown write or CAS took effect at a random instant after its invocation (possibly after the
 * client gave up), or never. Such a history is linearizable by construction.
 */
final class RegisterSimulation {

    /** An operation while it is being simulated. */
    private static final class Sim {
        int process;
        Op.Type type;
        Long value;
        Long expected;
        long invoked;
        long completed;
        long effectAt; // Long.MAX_VALUE: never takes effect
        Op.Outcome outcome = Op.Outcome.OK;
    }

    /** A history and the values written in it, with when each write was invoked. */
    record Run(List<Op> ops) {

        /**
         * An OK read changed to return a value written only by a write (that may have taken
         * effect) invoked after the read completed: a read from the future. Null if there is no
         * such pair.
         */
        List<Op> withReadFromTheFuture(RandomGenerator random) {
            List<Op> reads = ops.stream()
                    .filter(op -> op.type() == Op.Type.READ && op.outcome() == Op.Outcome.OK)
                    .toList();
            for (int attempt = 0; attempt < 20 && !reads.isEmpty(); attempt++) {
                Op read = reads.get(random.nextInt(reads.size()));
                List<Op> later = ops.stream()
                        .filter(op -> op.mayWrite() && op.invokedNanos() > read.completedNanos())
                        .toList();
                if (!later.isEmpty()) {
                    Op write = later.get(random.nextInt(later.size()));
                    return replace(read, write.value());
                }
            }
            return null;
        }

        /** An OK read changed to return a value nothing writes, or null if there is no OK read. */
        List<Op> withReadOfUnwrittenValue(RandomGenerator random) {
            List<Op> reads = ops.stream()
                    .filter(op -> op.type() == Op.Type.READ && op.outcome() == Op.Outcome.OK)
                    .toList();
            return reads.isEmpty() ? null : replace(reads.get(random.nextInt(reads.size())), -1L);
        }

        private List<Op> replace(Op read, Long value) {
            List<Op> out = new ArrayList<>(ops);
            out.set(
                    out.indexOf(read),
                    new Op(
                            read.index(),
                            read.process(),
                            read.node(),
                            read.type(),
                            read.key(),
                            value,
                            null,
                            null,
                            read.invokedNanos(),
                            read.completedNanos(),
                            read.outcome(),
                            "corrupted"));
            return out;
        }
    }

    private RegisterSimulation() {}

    /**
     * Simulates {@code count} operations by {@code processes} clients on key {@link Ops#KEY};
     * {@code unknownRate} of them end UNKNOWN. Times are in microseconds, so that the intervals
     * of concurrent clients overlap often.
     */
    static Run run(RandomGenerator random, int processes, int count, double unknownRate) {
        long[] clock = new long[processes];
        List<Sim> sims = new ArrayList<>(count);
        long nextValue = 1;
        for (int i = 0; i < count; i++) {
            Sim s = new Sim();
            s.process = random.nextInt(processes);
            s.invoked = clock[s.process] + random.nextLong(0, 5_000);
            s.completed = s.invoked + random.nextLong(1, 20_000);
            clock[s.process] = s.completed;
            int kind = random.nextInt(10);
            s.type = kind < 5 ? Op.Type.READ : kind < 8 ? Op.Type.WRITE : Op.Type.CAS;
            if (s.type != Op.Type.READ) {
                s.value = nextValue++;
            }
            s.effectAt = random.nextLong(s.invoked, s.completed + 1);
            if (random.nextDouble() < unknownRate) {
                s.outcome = Op.Outcome.UNKNOWN;
                boolean tookEffect = random.nextBoolean();
                s.effectAt = tookEffect ? random.nextLong(s.invoked, s.completed + 100_000) : Long.MAX_VALUE;
            }
            sims.add(s);
        }
        // Apply the effects in their instants' order, to one register.
        List<Sim> byEffect = new ArrayList<>(sims);
        byEffect.sort(Comparator.comparingLong(s -> s.effectAt));
        Long register = null;
        for (Sim s : byEffect) {
            boolean happens = s.effectAt != Long.MAX_VALUE;
            switch (s.type) {
                case READ -> s.value = happens ? register : Long.valueOf(random.nextLong(1, nextValue + 1));
                case WRITE -> register = happens ? s.value : register;
                case CAS -> {
                    boolean matches = register != null && random.nextInt(10) < 6;
                    s.expected = matches ? register : Long.valueOf(random.nextLong(1, nextValue + 1));
                    if (happens && Objects.equals(s.expected, register)) {
                        register = s.value;
                    } else if (s.outcome == Op.Outcome.OK) {
                        s.outcome = Op.Outcome.FAIL; // refused: the register held something else
                    }
                }
                case INSERT -> throw new IllegalStateException();
            }
        }
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < sims.size(); i++) {
            Sim s = sims.get(i);
            ops.add(new Op(
                    i,
                    s.process,
                    "n" + (s.process % 3 + 1),
                    s.type,
                    Ops.KEY,
                    s.value,
                    s.expected,
                    null,
                    s.invoked * 1_000,
                    s.completed * 1_000,
                    s.outcome,
                    ""));
        }
        return new Run(ops);
    }
}
