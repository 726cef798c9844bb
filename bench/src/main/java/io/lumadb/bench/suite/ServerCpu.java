package io.lumadb.bench.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU time a server's processes have used, read from {@code /proc} (Linux), so that a
 * benchmark phase can report server CPU seconds per operation beside its throughput: on a
 * machine with few CPUs, throughput alone hides what each system spends on an operation.
 *
 * <p>What counts as a system's server:
 *
 * <ul>
 *   <li>LumaDB: the node's JVM, all of its threads (request handling, the journal writer,
 *       garbage collection and the JIT compiler alike);
 *   <li>PostgreSQL: every {@code postgres} process (the postmaster, the background writers and
 *       the backends) plus the CPU of backends that have already exited, which the postmaster
 *       collected ({@code cutime}, {@code cstime}), since a client's backend ends with its
 *       connection, often before the phase is measured;
 *   <li>Redis: the {@code redis-server} process.
 * </ul>
 *
 * Readings are in seconds; a phase's cost is the difference of two readings.
 */
public final class ServerCpu {

    /** Clock ticks per second of {@code /proc/<pid>/stat}: 100 on every Linux this runs on. */
    private static final double TICKS = 100.0;

    private ServerCpu() {}

    /** The CPU seconds {@code system}'s server has used so far ({@code lumadbPid} for LumaDB), or NaN. */
    public static double read(String system, long lumadbPid) {
        try {
            return switch (system) {
                case "lumadb" -> {
                    long[] t = times(lumadbPid);
                    yield t == null ? Double.NaN : (t[0] + t[1]) / TICKS;
                }
                case "postgresql" -> named("postgres");
                case "redis" -> named("redis-server");
                default -> Double.NaN;
            };
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** Own and collected children's CPU of every process named {@code comm}, children not counted twice. */
    static double named(String comm) throws IOException {
        Map<Long, long[]> processes = new HashMap<>();
        Map<Long, Long> parents = new HashMap<>();
        try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
            for (Path dir : dirs.toList()) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                String[] f = stat(pid);
                if (f != null && f[0].equals(comm)) {
                    processes.put(pid, new long[] {field(f, 14), field(f, 15), field(f, 16), field(f, 17)});
                    parents.put(pid, field(f, 4));
                }
            }
        }
        if (processes.isEmpty()) {
            return Double.NaN;
        }
        long total = 0;
        for (Map.Entry<Long, long[]> e : processes.entrySet()) {
            long[] t = e.getValue();
            total += t[0] + t[1];
            // Exited children are collected by their parent: count them at the top of the tree only
            // (a postmaster), whose children are all this server's.
            if (!processes.containsKey(parents.get(e.getKey()))) {
                total += t[2] + t[3];
            }
        }
        return total / TICKS;
    }

    /** utime and stime of {@code pid}, or null once it is gone. */
    private static long[] times(long pid) throws IOException {
        String[] f = stat(pid);
        return f == null ? null : new long[] {field(f, 14), field(f, 15)};
    }

    /**
     * The fields of {@code /proc/<pid>/stat} from the command name on, the name without its
     * parentheses (it may hold spaces): index {@code i} holds field {@code i + 2} of proc(5). Null
     * if the process is gone.
     */
    private static String[] stat(long pid) throws IOException {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException gone) {
            return null;
        }
        int open = s.indexOf('(');
        int close = s.lastIndexOf(')');
        List<String> fields = new ArrayList<>();
        fields.add(s.substring(open + 1, close));
        for (String part : s.substring(close + 2).split(" ")) {
            fields.add(part);
        }
        return fields.toArray(String[]::new);
    }

    /** Field {@code n} of proc(5)'s stat, numbered as there (4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime). */
    private static long field(String[] f, int n) {
        return Long.parseLong(f[n - 2]);
    }
}
