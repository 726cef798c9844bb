package io.lumadb.chaos.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything a chaos run recorded, in one place and on one clock: the clients' operations, the
 * faults the nemesis held, and the changes the change-stream consumers received. Safe to record
 * into from many threads; the lists it hands out are copies in time order.
 */
public final class History {

    private final long startNanos;
    private final AtomicLong nextIndex = new AtomicLong();
    private final List<Op> ops = new ArrayList<>();
    private final List<FaultWindow> faults = new ArrayList<>();
    private final List<ChangeSeen> changes = new ArrayList<>();

    /** A history whose clock starts now. */
    public History() {
        this(System.nanoTime());
    }

    /** A history whose clock starts at {@code startNanos} of {@link System#nanoTime()}. */
    public History(long startNanos) {
        this.startNanos = startNanos;
    }

    /** Nanoseconds since the run started. */
    public long now() {
        return System.nanoTime() - startNanos;
    }

    /** The next operation index (operations are numbered in the order they are invoked). */
    public long nextIndex() {
        return nextIndex.getAndIncrement();
    }

    public synchronized void add(Op op) {
        ops.add(op);
    }

    public synchronized void add(FaultWindow fault) {
        faults.add(fault);
    }

    public synchronized void add(ChangeSeen change) {
        changes.add(change);
    }

    /** The operations, by index. */
    public synchronized List<Op> ops() {
        List<Op> out = new ArrayList<>(ops);
        out.sort(Comparator.comparingLong(Op::index));
        return out;
    }

    /** The faults, by start. */
    public synchronized List<FaultWindow> faults() {
        List<FaultWindow> out = new ArrayList<>(faults);
        out.sort(Comparator.comparingLong(FaultWindow::startNanos));
        return out;
    }

    /** The changes, in the order they were received. */
    public synchronized List<ChangeSeen> changes() {
        return List.copyOf(changes);
    }
}
