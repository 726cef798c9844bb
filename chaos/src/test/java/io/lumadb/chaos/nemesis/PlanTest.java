package io.lumadb.chaos.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Seeded fault plans: repeatable, never overlapping, each fault followed by time to heal. */
class PlanTest {

    private static final List<FaultKind> ALL = List.of(FaultKind.values());

    @Test
    void theSameSeedGivesTheSamePlanAndAnotherSeedAnotherOne() {
        Plan a = Plan.generate(7, ALL, Duration.ofMinutes(10), 3, 2);
        assertEquals(a, Plan.generate(7, ALL, Duration.ofMinutes(10), 3, 2));
        assertNotEquals(a, Plan.generate(8, ALL, Duration.ofMinutes(10), 3, 2));
    }

    @Test
    void faultsNeverOverlapLeaveTimeToHealAndFitTheLength() {
        for (long seed = 0; seed < 50; seed++) {
            Plan p = Plan.generate(seed, ALL, Duration.ofMinutes(10), 5, 4);
            assertTrue(p.faults().size() >= 6, "10 minutes hold several faults: " + p);
            long end = 0;
            for (PlannedFault f : p.faults()) {
                assertTrue(f.atMillis() >= end + (end == 0 ? Plan.LEAD_MILLIS : 30_000), "quiet before " + f);
                assertTrue(f.holdMillis() >= 5_000, "held long enough to matter: " + f);
                f.nodes().forEach(n -> assertTrue(n >= 0 && n < 5, "a node of the cluster: " + f));
                end = f.atMillis() + f.holdMillis();
            }
            assertTrue(p.endMillis() <= Duration.ofMinutes(10).toMillis(), "ends within the length: " + p);
            assertTrue(p.endMillis() >= end + 30_000, "ends after the last quiet period: " + p);
        }
    }

    @Test
    void kindsAreDrawnInTurnAndPartitionsTakeEveryShape() {
        Plan p = Plan.generate(3, ALL, Duration.ofHours(1), 3, 2);
        Set<FaultKind> kinds = p.faults().stream().map(PlannedFault::kind).collect(Collectors.toSet());
        assertEquals(Set.copyOf(ALL), kinds);
        Set<String> shapes = p.faults().stream()
                .filter(f -> f.kind() == FaultKind.PARTITION)
                .map(PlannedFault::flavour)
                .collect(Collectors.toSet());
        assertEquals(Set.of("majority", "bridge", "one-way"), shapes);
        p.faults().stream()
                .filter(f -> f.kind() == FaultKind.DISK)
                .forEach(f -> assertEquals(List.of(2), f.nodes(), "only the node with the small disk"));
    }

    @Test
    void theSmokePlanIsOnePartitionOnePauseOneKill() {
        Plan p = Plan.smoke(11, 3);
        assertEquals(
                List.of(FaultKind.PARTITION, FaultKind.PAUSE, FaultKind.KILL),
                p.faults().stream().map(PlannedFault::kind).toList());
        assertEquals("majority", p.faults().getFirst().flavour());
        assertEquals(1, p.faults().getFirst().nodes().size(), "a minority of one of three");
        assertTrue(p.endMillis() < 150_000, "a smoke stays short: " + p.endMillis() + " ms");
    }
}
