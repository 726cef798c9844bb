package io.lumadb.chaos.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded schedule of faults: the same seed, kinds, length and cluster size always give the same
 * plan, so a run that found something can be run again. Faults never overlap: each is followed
 * by a quiet period long enough for the cluster to heal (a downed node restarts, its shards
 * recover), in which the time from heal to full availability is measured.
 *
 * @param seed the seed it was drawn with
 * @param faults the faults, in time order
 * @param endMillis when the run ends: after the last fault's quiet period
 */
public record Plan(long seed, List<PlannedFault> faults, long endMillis) {

    /** Before the first fault: the workloads warm up and every consumer is connected. */
    static final long LEAD_MILLIS = 15_000;

    /**
     * The smoke's quiet period after each fault: enough for a downed node to restart and rejoin
     * (about 20 s on two cores), shorter than the long runs' 30-40 s to keep the suite short.
     */
    static final long SMOKE_QUIET_MILLIS = 20_000;

    public Plan {
        faults = List.copyOf(faults);
    }

    /** A plan of {@code kinds} (drawn in turn, in a seeded order) over {@code length} on {@code nodes} nodes. */
    public static Plan generate(long seed, List<FaultKind> kinds, Duration length, int nodes, int smallDiskNode) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one fault kind");
        }
        Random random = new Random(seed);
        List<PlannedFault> faults = new ArrayList<>();
        long t = LEAD_MILLIS;
        int turn = random.nextInt(kinds.size());
        while (true) {
            FaultKind kind = kinds.get(turn++ % kinds.size());
            PlannedFault f = draw(kind, random, t, nodes, smallDiskNode);
            long quiet = 30_000 + random.nextInt(10_000);
            if (f.atMillis() + f.holdMillis() + quiet > length.toMillis()) {
                break;
            }
            faults.add(f);
            t = f.atMillis() + f.holdMillis() + quiet;
        }
        return new Plan(seed, faults, Math.max(t, Math.min(length.toMillis(), t + 30_000)));
    }

    /**
     * The plan the bounded smoke of the test suite runs: one majority/minority partition, one
     * pause, one kill, about two minutes in all.
     */
    public static Plan smoke(long seed, int nodes) {
        Random random = new Random(seed);
        List<PlannedFault> faults = new ArrayList<>();
        long t = LEAD_MILLIS;
        for (FaultKind kind : List.of(FaultKind.PARTITION, FaultKind.PAUSE, FaultKind.KILL)) {
            PlannedFault f = draw(kind, random, t, nodes, -1);
            if (kind == FaultKind.PARTITION) {
                f = new PlannedFault(kind, "majority", minority(random, nodes), t, 15_000);
            }
            faults.add(f);
            t = f.atMillis() + f.holdMillis() + SMOKE_QUIET_MILLIS;
        }
        return new Plan(seed, faults, t);
    }

    private static PlannedFault draw(FaultKind kind, Random random, long at, int nodes, int smallDiskNode) {
        int one = random.nextInt(nodes);
        return switch (kind) {
            case KILL -> new PlannedFault(kind, "one", List.of(one), at, 5_000 + random.nextInt(15_000));
            case PAUSE -> new PlannedFault(kind, "one", List.of(one), at, 12_000 + random.nextInt(10_000));
            case PARTITION -> {
                String flavour = List.of("majority", "bridge", "one-way").get(random.nextInt(3));
                List<Integer> touched =
                        switch (flavour) {
                            case "majority" -> minority(random, nodes);
                            case "bridge" -> List.of(one); // the node that still sees both sides
                            default -> List.of(one); // the node that stops hearing the others
                        };
                yield new PlannedFault(kind, flavour, touched, at, 15_000 + random.nextInt(15_000));
            }
            case SLOW ->
                new PlannedFault(
                        kind,
                        random.nextBoolean() ? "delay" : "loss",
                        range(nodes),
                        at,
                        20_000 + random.nextInt(20_000));
            case JOURNAL -> new PlannedFault(kind, "crash", List.of(), at, 8_000 + random.nextInt(12_000));
            case DISK -> {
                if (smallDiskNode < 0) {
                    throw new IllegalArgumentException("a disk fault needs a node with a small disk");
                }
                // Long enough for the writes that reach the node to use up the space its store had set
                // aside before the disk filled (about 10-20 s with the set workload's ballast).
                yield new PlannedFault(kind, "full", List.of(smallDiskNode), at, 30_000 + random.nextInt(20_000));
            }
        };
    }

    /** A random minority: fewer than half of the nodes, at least one. */
    private static List<Integer> minority(Random random, int nodes) {
        List<Integer> all = new ArrayList<>(range(nodes));
        java.util.Collections.shuffle(all, random);
        return List.copyOf(all.subList(0, Math.max(1, (nodes - 1) / 2)));
    }

    private static List<Integer> range(int nodes) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            out.add(i);
        }
        return out;
    }
}
