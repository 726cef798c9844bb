package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
