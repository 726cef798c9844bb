package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeapTargetTest {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void aQuarterOfTheLimitAndNeverLessThanTheFloor() {
        assertEquals(512 * MIB, HeapTarget.target(2 * GIB, 0, 0.25));
        assertEquals(4 * GIB, HeapTarget.target(16 * GIB, 100 * MIB, 0.25));
        assertEquals(512 * MIB, HeapTarget.target(1 * GIB, 0, 0.25), "the floor over a quarter of a small heap");
    }

    @Test
    void followsTheLiveDataUpAndBackDown() {
        // Twice the live data once that is more than the quarter: the collector has room to work.
        assertEquals(1200 * MIB, HeapTarget.target(2 * GIB, 600 * MIB, 0.25));
        assertEquals(512 * MIB, HeapTarget.target(2 * GIB, 100 * MIB, 0.25));
    }

    @Test
    void neverAboveTheLimit() {
        assertEquals(2 * GIB, HeapTarget.target(2 * GIB, 1536 * MIB, 0.25));
        assertEquals(256 * MIB, HeapTarget.target(256 * MIB, 0, 0.25), "a heap below the floor is its own target");
        assertEquals(2 * GIB, HeapTarget.target(2 * GIB, 0, 1.0));
    }

    @Test
    void setsTheTargetWhenItChangesOnly() {
        List<Long> set = new ArrayList<>();
        AtomicLong live = new AtomicLong(0);
        HeapTarget target = new HeapTarget(set::add, live::get, 2 * GIB, 0.25);
        assertEquals(512 * MIB, target.check());
        live.set(200 * MIB);
        assertEquals(512 * MIB, target.check(), "twice 200 MiB is below the quarter");
        live.set(700 * MIB);
        assertEquals(1400 * MIB, target.check());
        live.set(100 * MIB);
        assertEquals(512 * MIB, target.check());
        assertEquals(List.of(512 * MIB, 1400 * MIB, 512 * MIB), set);
    }

    @Test
    void aTargetTheJvmRefusesStopsTheChecks() {
        List<Long> tried = new ArrayList<>();
        HeapTarget target = new HeapTarget(
                bytes -> {
                    tried.add(bytes);
                    throw new IllegalArgumentException("SoftMaxHeapSize error: value violates its flag's constraint.");
                },
                () -> 0,
                2 * GIB,
                0.25);
        assertEquals(-1, target.check());
        assertEquals(-1, target.check());
        assertEquals(List.of(512 * MIB), tried);
    }
}
