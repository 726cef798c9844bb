package io.lumadb.chaos;

import io.lumadb.chaos.nemesis.FaultKind;
import io.lumadb.chaos.nemesis.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A named chaos scenario: which faults its plan draws from. {@code bin/chaos <name>} runs one;
 * {@code all} runs every single-fault scenario in turn.
 *
 * @param name as given on the command line
 * @param kinds the faults its plan draws from (empty for the fixed smoke plan)
 */
public record Scenario(String name, List<FaultKind> kinds) {

    public Scenario {
        kinds = List.copyOf(kinds);
    }

    /** The scenario of the test suite's smoke: one partition, one pause, one kill, about two minutes. */
    public static final Scenario SMOKE = new Scenario("smoke", List.of());

    /** Every fault kind, drawn in turn. */
    public static final Scenario MIXED = new Scenario("mixed", Arrays.asList(FaultKind.values()));

    /** The scenarios {@code all} runs: one per fault kind. */
    public static List<Scenario> singles() {
        List<Scenario> out = new ArrayList<>();
        for (FaultKind k : FaultKind.values()) {
            out.add(new Scenario(k.label(), List.of(k)));
        }
        return out;
    }

    /** The scenarios a name stands for: a fault kind, {@code mixed}, {@code smoke} or {@code all}. */
    public static List<Scenario> named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "all" -> singles();
            case "smoke" -> List.of(SMOKE);
            case "mixed" -> List.of(MIXED);
            default -> {
                try {
                    yield List.of(new Scenario(n, List.of(FaultKind.of(n))));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("no scenario '" + name + "'; choose one of: " + names());
                }
            }
        };
    }

    public static String names() {
        List<String> out = new ArrayList<>();
        singles().forEach(s -> out.add(s.name()));
        out.addAll(List.of("mixed", "smoke", "all"));
        return String.join(", ", out);
    }

    /** Whether one node needs a small disk of its own (its plan may fill it). */
    public boolean needsSmallDisk() {
        return kinds.contains(FaultKind.DISK);
    }

    /** Whether the plan may slow the network. */
    public boolean needsSlowNetwork() {
        return kinds.contains(FaultKind.SLOW);
    }

    /** The plan of this scenario for {@code seed}, {@code length} and {@code nodes} nodes. */
    public Plan plan(long seed, Duration length, int nodes) {
        if (kinds.isEmpty()) {
            return Plan.smoke(seed, nodes);
        }
        return Plan.generate(seed, kinds, length, nodes, needsSmallDisk() ? nodes - 1 : -1);
    }
}
