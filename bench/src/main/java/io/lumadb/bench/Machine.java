package io.lumadb.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a benchmark ran on, the same for every report: the date, the machine's CPUs (and how many
 * this JVM may use: a pinned load generator sees one), CPU model, memory, OS, JDK and this JVM's
 * options, and the load average, since other work on the machine disturbs a benchmark.
 */
public final class Machine {
    private Machine() {}

    /** The machine and this JVM, in report order. */
    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now(ZoneOffset.UTC).toString());
        m.put("cpus", onlineCpus());
        m.put("cpusAvailable", Runtime.getRuntime().availableProcessors());
        m.put(
                "cpuModel",
                firstLine("/proc/cpuinfo", "model name")
                        .map(Machine::afterColon)
                        .orElse("unknown"));
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            m.put("memory", String.format(Locale.ROOT, "%.1f GiB", os.getTotalMemorySize() / (double) (1L << 30)));
        }
        String kernel = System.getProperty("os.name") + " " + System.getProperty("os.version") + ", "
                + System.getProperty("os.arch");
        m.put(
                "os",
                firstLine("/etc/os-release", "PRETTY_NAME=")
                        .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "") + " (" + kernel + ")")
                        .orElse(kernel));
        m.put(
                "jdk",
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.runtime.version"));
        m.put("jvmArgs", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return m;
    }

    /** The CPUs of the machine, not {@code availableProcessors()}: this JVM may be pinned to one. */
    public static long onlineCpus() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("processor"))
                    .count();
        } catch (Exception e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** The 1, 5 and 15 minute load averages, e.g. {@code 0.52 0.40 0.31}. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return String.format(
                    Locale.ROOT,
                    "%.2f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static Optional<String> firstLine(String file, String prefix) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(l -> l.startsWith(prefix))
                    .findFirst();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static String afterColon(String line) {
        return line.substring(line.indexOf(':') + 1).trim();
    }
}
