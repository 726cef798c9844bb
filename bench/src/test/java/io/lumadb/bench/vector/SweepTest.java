package io.lumadb.bench.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Speed at a required recall, from sweep points. */
class SweepTest {

    private static Sweep.Point p(int setting, double qps, double recall) {
        return new Sweep.Point(setting, qps, qps / 2, recall, 100, 1);
    }

    @Test
    void interpolatesBetweenThePointsAroundTheRecall() {
        List<Sweep.Point> points = List.of(p(10, 1000, 0.80), p(20, 800, 0.90), p(40, 400, 1.0));
        Sweep.AtRecall at = Sweep.at(points, 0.95);
        assertEquals(600, at.qps(), 1e-9);
        assertEquals(40, at.cheapestSetting());
        assertEquals(400, at.cheapestQps());
        assertEquals(1.0, at.cheapestRecall());
        assertEquals(300, Sweep.at(points, 0.95, Sweep.Point::cpuQps).qps(), 1e-9);
    }

    @Test
    void takesTheFirstPointWhenItReachesTheRecallAlready() {
        Sweep.AtRecall at = Sweep.at(List.of(p(16, 900, 0.97), p(10, 1000, 0.96)), 0.95);
        assertEquals(1000, at.qps(), "points are ordered by setting first");
        assertEquals(10, at.cheapestSetting());
    }

    @Test
    void anExactHitIsThatPointsSpeed() {
        Sweep.AtRecall at = Sweep.at(List.of(p(10, 1000, 0.90), p(20, 700, 0.95)), 0.95);
        assertEquals(700, at.qps(), 1e-9);
    }

    @Test
    void noPointReachingTheRecallIsNaN() {
        Sweep.AtRecall at = Sweep.at(List.of(p(10, 1000, 0.90), p(20, 700, 0.94)), 0.95);
        assertFalse(at.reached());
        assertTrue(Double.isNaN(at.qps()));
        assertEquals(-1, at.cheapestSetting());
    }

    @Test
    void aMeasurementAnswersEveryQueryAndTimesItself() {
        VectorData d = VectorData.generate(1, 200, 10, 8, 2, 0.5, 10);
        int[] calls = new int[1];
        Sweep.Point point = Sweep.measure(
                7,
                d,
                q -> {
                    calls[0]++;
                    return java.util.Arrays.copyOfRange(d.truth(), q * 10, q * 10 + 10);
                },
                0.01);
        assertEquals(7, point.setting());
        assertEquals(1.0, point.recall());
        assertTrue(point.queries() >= 10 && point.queries() % 10 == 0, point.toString());
        assertEquals(point.queries() + 10, calls[0], "plus one unmeasured pass");
        assertTrue(point.qps() > 0 && point.seconds() >= 0.01, point.toString());
    }
}
