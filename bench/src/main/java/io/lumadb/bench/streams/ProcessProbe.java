package io.lumadb.bench.streams;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looks into another JVM on this machine: its heap after a full GC, through {@code jcmd} (the
 * JDK's own tool, beside the running {@code java}), and its CPU time.
 */
public final class ProcessProbe {

    private static final Pattern USED = Pattern.compile("used (\\d+)([KMG])");
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");
    private static final Pattern TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    private ProcessProbe() {}

    /**
     * A JVM's heap right after a full GC.
     *
     * @param usedMb heap in use as the collector reports it ({@code GC.heap_info}; ZGC counts
     *     whole pages, so this moves in steps of 2 MB)
     * @param liveBytes the bytes of all live objects ({@code GC.class_histogram}, exact)
     * @param classes per class: {@code [instances, bytes]}
     */
    public record Heap(double usedMb, long liveBytes, Map<String, long[]> classes) {}

    /** One class's growth between two readings. */
    public record ClassDelta(String name, long instances, long bytes) {}

    /** Forces a full GC in {@code pid} ({@code jcmd GC.run}) and reads its heap; throws if jcmd fails. */
    public static Heap heap(long pid) throws IOException, InterruptedException {
        Path commands = Files.createTempFile("lumadb-bench-jcmd", ".txt");
        try {
            Files.writeString(commands, "GC.run\nGC.heap_info\nGC.class_histogram\n");
            String out = run(List.of(jcmd(), Long.toString(pid), "-f", commands.toString()));
            return parse(out);
        } finally {
            Files.deleteIfExists(commands);
        }
    }

    /** Reads the output of {@code GC.heap_info} followed by {@code GC.class_histogram}. */
    static Heap parse(String out) throws IOException {
        Matcher used = USED.matcher(out);
        if (!used.find()) {
            throw new IOException(
                    "no 'used' figure in jcmd's output: " + out.substring(0, Math.min(500, out.length())));
        }
        double mb = Long.parseLong(used.group(1))
                * switch (used.group(2)) {
                    case "K" -> 1.0 / 1024;
                    case "M" -> 1.0;
                    default -> 1024.0;
                };
        long total = -1;
        Map<String, long[]> classes = new HashMap<>();
        for (String line : out.split("\n")) {
            Matcher row = HISTOGRAM_ROW.matcher(line);
            if (row.matches()) {
                classes.merge(
                        row.group(3), new long[] {Long.parseLong(row.group(1)), Long.parseLong(row.group(2))}, (a, b) ->
                                new long[] {a[0] + b[0], a[1] + b[1]});
                continue;
            }
            Matcher t = TOTAL.matcher(line.strip());
            if (t.matches()) {
                total = Long.parseLong(t.group(2));
            }
        }
        if (total < 0) {
            throw new IOException("no class histogram total in jcmd's output");
        }
        return new Heap(mb, total, classes);
    }

    /** The {@code top} classes that grew most in bytes from {@code before} to {@code after}. */
    public static List<ClassDelta> growth(Heap before, Heap after, int top) {
        List<ClassDelta> out = new ArrayList<>();
        after.classes().forEach((name, a) -> {
            long[] b = before.classes().getOrDefault(name, new long[2]);
            if (a[1] - b[1] > 0) {
                out.add(new ClassDelta(name, a[0] - b[0], a[1] - b[1]));
            }
        });
        out.sort(Comparator.comparingLong(ClassDelta::bytes).reversed());
        return List.copyOf(out.subList(0, Math.min(top, out.size())));
    }

    /** CPU seconds (user + system) {@code pid} has used, or NaN if the OS cannot tell. */
    public static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(p -> p.info().totalCpuDuration())
                .map(d -> d.toNanos() / 1e9)
                .orElse(Double.NaN);
    }

    /** The soft limit of open files of this process, or -1 if unknown. */
    public static long openFilesLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os
                ? os.getMaxFileDescriptorCount()
                : -1;
    }

    private static String jcmd() {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path sibling = Path.of(java).resolveSibling("jcmd");
        return Files.isExecutable(sibling) ? sibling.toString() : "jcmd";
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text);
        }
        return text;
    }
}
