package io.lumadb.chaos.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who stops hearing whom in each partition shape (entry i: the nodes node i no longer hears). */
class PartitionShapesTest {

    private static PlannedFault partition(String flavour, Integer... nodes) {
        return new PlannedFault(FaultKind.PARTITION, flavour, List.of(nodes), 0, 1_000);
    }

    @Test
    void aMajorityPartitionCutsBothWaysBetweenTheSides() {
        assertEquals(
                List.of(Set.of(2, 3, 4), Set.of(2, 3, 4), Set.of(0, 1), Set.of(0, 1), Set.of(0, 1)),
                Nemesis.deafness(partition("majority", 0, 1), 5));
    }

    @Test
    void aBridgeNodeHearsAndIsHeardByBothSides() {
        List<Set<Integer>> deaf = Nemesis.deafness(partition("bridge", 2), 5);
        assertEquals(Set.of(), deaf.get(2));
        assertEquals(List.of(Set.of(1, 4), Set.of(0, 3), Set.of(), Set.of(1, 4), Set.of(0, 3)), deaf);
        assertEquals(List.of(Set.of(2), Set.of(), Set.of(0)), Nemesis.deafness(partition("bridge", 1), 3));
    }

    @Test
    void oneWayLossSilencesOnlyWhatOneNodeReceives() {
        assertEquals(List.of(Set.of(), Set.of(0, 2), Set.of()), Nemesis.deafness(partition("one-way", 1), 3));
    }
}
