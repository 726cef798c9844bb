package io.lumadb.bench.ycsb;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One YCSB run to perform with {@link YcsbRunner#run}: which system, which workload file, which phase,
 * how many client threads and records/operations, extra YCSB properties ({@code -p key=value}, e.g.
 * {@code lumadb.url}, {@code redis.database}) and a command prefix placed before the child JVM's
 * {@code java} (e.g. {@code ["taskset", "-c", "1"]}).
 *
 * <p>Guarantees a valid, immutable spec: the system is one of {@link #SYSTEMS}, the workload is one
 * letter {@code a}..{@code f}, threads are at least 1, counts are not negative, and the map and list
 * are copies (null becomes empty).
 *
 * @param system "lumadb" | "postgresql" | "redis"
 * @param workload "a".."f"
 * @param load true runs the load phase ({@code -load}) of that workload file, else the transaction
 *     phase ({@code -t})
 */
public record YcsbSpec(
        String system,
        String workload,
        boolean load,
        int threads,
        long recordCount,
        long operationCount,
        Map<String, String> properties,
        List<String> commandPrefix) {

    /** The systems a spec may name, each with a binding in this package. */
    public static final Set<String> SYSTEMS = Set.of("lumadb", "postgresql", "redis");

    public YcsbSpec {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(workload, "workload");
        if (!SYSTEMS.contains(system)) {
            throw new IllegalArgumentException("system must be one of " + SYSTEMS + ", got '" + system + "'");
        }
        if (!workload.matches("[a-f]")) {
            throw new IllegalArgumentException("workload must be one letter a..f, got '" + workload + "'");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (recordCount < 0) {
            throw new IllegalArgumentException("recordCount must not be negative, got " + recordCount);
        }
        if (operationCount < 0) {
            throw new IllegalArgumentException("operationCount must not be negative, got " + operationCount);
        }
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        commandPrefix = commandPrefix == null ? List.of() : List.copyOf(commandPrefix);
    }
}
