package io.lumadb.bench.tiering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.erasure.IsalCoder;
import io.lumadb.tiering.erasure.JavaVectorCoder;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Reed-Solomon 6+3 throughput on one thread: LumaDB's Java coder ({@link JavaVectorCoder}), its
 * ISA-L coder ({@link IsalCoder}, ISA-L through the FFM API) and, as the reference, ISA-L called
 * from a small C program ({@code ec_reference.c}, shipped in this jar, compiled here with gcc and
 * linked to {@code libisal.so.2} by file name). Each encodes 6 data fragments into 3 parity
 * fragments, and rebuilds 3 lost fragments (2 data, 1 parity: {@value #LOST} by default) from 6,
 * with the same fragment sizes, the same number of calls per round and the same rounds, taking
 * turns round by round; the figure of each is the median over the rounds, in GB (10^9 bytes) of
 * data (6 fragments' worth per call) per second of wall-clock time and per second of the coding
 * thread's CPU time. Every fragment is native memory, aligned to 64 bytes.
 *
 * <p>Checked, not assumed: the Java and the ISA-L coder's parity are equal, both rebuild the lost
 * fragments to their original bytes, and the C program checks its own parity against a per-byte
 * loop and its rebuilt fragments against the originals. Run by the suite pinned like a server,
 * with {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED}; writes its
 * {@link Result} as JSON.
 */
@Command(
        name = "CoderBenchmark",
        mixinStandardHelpOptions = true,
        description = "Reed-Solomon 6+3 encode and rebuild throughput, one thread: the Java coder, the ISA-L"
                + " coder (FFM) and ISA-L from C.")
public final class CoderBenchmark implements Callable<Integer> {

    /** The fragments lost in the rebuild: data fragments 1 and 4, parity fragment 7 (the second parity). */
    public static final String LOST = "1,4,7";

    public static final String JAVA = JavaVectorCoder.NAME;
    public static final String ISAL = IsalCoder.NAME;
    /** ISA-L from C, the reference. */
    public static final String C = "isa-l-c";

    public static final String ENCODE = "encode";
    public static final String REBUILD = "rebuild";

    @Option(names = "--json", required = true, description = "where the result goes")
    Path json;

    @Option(
            names = "--sizes",
            split = ",",
            description = "fragment sizes in KiB (default 64,1024: 6 x 64 KiB and 6 x 1 MiB of data per call)")
    List<Integer> sizesKib = List.of(64, 1024);

    @Option(names = "--rounds", description = "measured rounds, taking turns (default 5)")
    int rounds = 5;

    @Option(
            names = "--bytes-per-round",
            description = "data bytes each coder codes per operation per round (default 2000000000), rounded to"
                    + " whole calls")
    long bytesPerRound = 2_000_000_000L;

    @Option(names = "--lost", description = "the fragments lost in the rebuild (default " + LOST + ")")
    String lost = LOST;

    @Option(names = "--work", description = "where the C program is compiled (default: a temporary directory)")
    Path work;

    @Option(names = "--cc", description = "the C compiler (default gcc)")
    String cc = "gcc";

    /**
     * One coder doing one operation on one fragment size.
     *
     * @param coder {@link #JAVA}, {@link #ISAL} or {@link #C}
     * @param operation {@link #ENCODE} or {@link #REBUILD}
     * @param fragmentBytes bytes of each fragment
     * @param calls calls per round
     * @param gbPerSecond each round's GB of data per second
     * @param gbPerCpuSecond each round's GB of data per CPU-second of the coding thread
     */
    public record Measurement(
            String coder,
            String operation,
            int fragmentBytes,
            int calls,
            List<Double> gbPerSecond,
            List<Double> gbPerCpuSecond) {
        public double medianGbPerSecond() {
            return Stats.median(gbPerSecond);
        }

        public double medianGbPerCpuSecond() {
            return Stats.median(gbPerCpuSecond);
        }
    }

    /**
     * What the benchmark measured.
     *
     * @param measurements every coder, operation and size measured
     * @param isalUnavailable why the ISA-L coder could not be loaded, or null
     * @param cUnavailable why the C reference could not be built or run, or null
     * @param failures wrong bytes: any makes the figures worthless
     * @param checks what was checked and held
     */
    public record Result(
            List<Measurement> measurements,
            String isalUnavailable,
            String cUnavailable,
            Map<String, String> settings,
            List<String> failures,
            List<String> checks) {

        public Optional<Measurement> find(String coder, String operation, int fragmentBytes) {
            return measurements.stream()
                    .filter(m -> m.coder().equals(coder)
                            && m.operation().equals(operation)
                            && m.fragmentBytes() == fragmentBytes)
                    .findFirst();
        }
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        Cli.exit(new CoderBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || bytesPerRound < 1 || sizesKib.stream().anyMatch(s -> s < 1 || s > 256 * 1024)) {
            throw new IllegalArgumentException("rounds, bytes per round and sizes (1 KiB to 256 MiB) must be positive");
        }
        int[] lostFragments =
                Arrays.stream(lost.split(",")).mapToInt(Integer::parseInt).toArray();
        List<String> failures = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        List<Measurement> measurements = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        JavaVectorCoder java = new JavaVectorCoder();
        Optional<ErasureCoder> isal = IsalCoder.load();
        String isalUnavailable = IsalCoder.unavailableReason().orElse(null);
        Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("lumadb-ec-reference");
        String cUnavailable = null;
        Path reference = null;
        try {
            reference = compile(dir);
        } catch (IOException e) {
            cUnavailable = e.getMessage();
        }
        settings.put(
                "Java coder",
                "JavaVectorCoder, Vector API, 128-bit byte vectors; " + Runtime.version() + ", "
                        + System.getProperty("java.vm.name"));
        settings.put(
                "ISA-L coder",
                isal.map(c -> "IsalCoder: " + ((IsalCoder) c).location() + " through the FFM API")
                        .orElse("unavailable: " + isalUnavailable));
        settings.put(
                "C reference",
                reference == null
                        ? "unavailable: " + cUnavailable
                        : "ec_reference.c, " + cc + " -O2, linked with -l:libisal.so.2 (" + version(cc) + ")");
        settings.put(
                "work",
                "one thread; per size and operation the same calls per round for every coder (about "
                        + String.format(Locale.ROOT, "%.1f", bytesPerRound / 1e9) + " GB of data), " + rounds
                        + " measured rounds taking turns after an unmeasured one; the median of the rounds");
        settings.put(
                "rebuild",
                "fragments " + lost + " lost (" + describeLost(lostFragments) + "), rebuilt from the first 6 present");

        try (Arena arena = Arena.ofShared()) {
            for (int kib : sizesKib) {
                int size = kib * 1024;
                int calls = (int) Math.max(1, Math.round(bytesPerRound / (6.0 * size)));
                System.out.printf("Fragments of %,d bytes, %,d calls per round%n", size, calls);
                Fixture f = new Fixture(arena, size, lostFragments);
                Map<String, Measurement> rows = new LinkedHashMap<>();
                for (int round = 0; round <= rounds; round++) {
                    boolean measured = round > 0; // round 0 warms up (the JIT, the caches, the C program's pages)
                    record(rows, measured, time(JAVA, ENCODE, size, calls, () -> f.encode(java)));
                    record(rows, measured, time(JAVA, REBUILD, size, calls, () -> f.rebuild(java)));
                    if (isal.isPresent()) {
                        record(rows, measured, time(ISAL, ENCODE, size, calls, () -> f.encode(isal.get())));
                        record(rows, measured, time(ISAL, REBUILD, size, calls, () -> f.rebuild(isal.get())));
                    }
                    if (reference != null && cUnavailable == null) {
                        try {
                            for (Measurement m : runReference(reference, size, calls)) {
                                record(rows, measured, m);
                            }
                        } catch (IOException e) {
                            cUnavailable = e.getMessage();
                            failures.add("the C reference failed: " + e.getMessage());
                        }
                    }
                }
                measurements.addAll(rows.values());
                rows.values()
                        .forEach(m -> System.out.printf(
                                "  %-12s %-8s %6.2f GB/s (%6.2f per CPU-second)%n",
                                m.coder(), m.operation(), m.medianGbPerSecond(), m.medianGbPerCpuSecond()));
                f.check(java, isal, failures, checks);
            }
        } finally {
            if (work == null) {
                deleteQuietly(dir);
            }
        }
        if (reference != null && cUnavailable == null) {
            checks.add("the C reference's parity equals a per-byte loop over GF(2^8) and its rebuilt fragments"
                    + " the originals, every size");
        }
        Result result = new Result(measurements, isalUnavailable, cUnavailable, settings, failures, checks);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
        return failures.isEmpty() ? 0 : 1;
    }

    /** The data, parity and rebuild buffers of one fragment size. */
    private static final class Fixture {
        final int size;
        final int[] lost;
        final MemorySegment[] data = new MemorySegment[6];
        final MemorySegment[] parity = new MemorySegment[3];
        /** The 9 fragments, the lost ones replaced by buffers of their own that the rebuild fills. */
        final MemorySegment[] damaged = new MemorySegment[9];

        final boolean[] present = new boolean[9];

        Fixture(Arena arena, int size, int[] lost) {
            this.size = size;
            this.lost = lost.clone();
            Random random = new Random(20_250_601L + size);
            byte[] bytes = new byte[size];
            for (int i = 0; i < 6; i++) {
                random.nextBytes(bytes);
                data[i] = arena.allocate(size, 64);
                MemorySegment.copy(bytes, 0, data[i], ValueLayout.JAVA_BYTE, 0, size);
            }
            for (int i = 0; i < 3; i++) {
                parity[i] = arena.allocate(size, 64);
            }
            Arrays.fill(present, true);
            for (int i = 0; i < 9; i++) {
                damaged[i] = i < 6 ? data[i] : parity[i - 6];
            }
            for (int f : lost) {
                present[f] = false;
                damaged[f] = arena.allocate(size, 64);
            }
        }

        void encode(ErasureCoder coder) {
            coder.encode(data, parity, size);
        }

        void rebuild(ErasureCoder coder) {
            coder.rebuild(damaged, present, size);
        }

        /** Both coders' parity equal, and the lost fragments rebuilt to the originals by each. */
        void check(JavaVectorCoder java, Optional<ErasureCoder> isal, List<String> failures, List<String> checks) {
            String what = "fragments of " + size + " bytes";
            encode(java);
            byte[][] javaParity = new byte[3][];
            for (int i = 0; i < 3; i++) {
                javaParity[i] = parity[i].toArray(ValueLayout.JAVA_BYTE);
            }
            List<ErasureCoder> coders = new ArrayList<>(List.of(java));
            if (isal.isPresent()) {
                coders.add(isal.get());
                isal.get().encode(data, parity, size);
                for (int i = 0; i < 3; i++) {
                    if (!Arrays.equals(javaParity[i], parity[i].toArray(ValueLayout.JAVA_BYTE))) {
                        failures.add(what + ": the ISA-L coder's parity " + i + " differs from the Java coder's");
                    }
                }
            }
            for (ErasureCoder coder : coders) {
                for (int f : lost) {
                    damaged[f].fill((byte) 0x5a);
                }
                rebuild(coder);
                for (int f : lost) {
                    MemorySegment original = f < 6 ? data[f] : parity[f - 6];
                    if (original.mismatch(damaged[f]) != -1) {
                        failures.add(what + ": " + coder.name() + " rebuilt fragment " + f + " wrong");
                    }
                }
            }
            checks.add(what + ": "
                    + (isal.isPresent() ? "the ISA-L coder's parity equals the Java coder's; both" : "the Java coder")
                    + " rebuilt the lost fragments to their original bytes");
        }
    }

    private interface Work {
        void run();
    }

    private Measurement time(String coder, String operation, int size, int calls, Work work) {
        long cpu = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            work.run();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpu) / 1e9;
        double gb = 6.0 * size * calls / 1e9;
        return new Measurement(coder, operation, size, calls, List.of(gb / seconds), List.of(gb / cpuSeconds));
    }

    /** Adds a round's figures to its row (kept only when {@code measured}). */
    private static void record(Map<String, Measurement> rows, boolean measured, Measurement m) {
        String key = m.coder() + "|" + m.operation();
        Measurement row = rows.getOrDefault(
                key, new Measurement(m.coder(), m.operation(), m.fragmentBytes(), m.calls(), List.of(), List.of()));
        if (measured) {
            List<Double> wall = new ArrayList<>(row.gbPerSecond());
            wall.addAll(m.gbPerSecond());
            List<Double> cpu = new ArrayList<>(row.gbPerCpuSecond());
            cpu.addAll(m.gbPerCpuSecond());
            row = new Measurement(m.coder(), m.operation(), m.fragmentBytes(), m.calls(), wall, cpu);
        }
        rows.put(key, row);
    }

    /** Writes ec_reference.c from this jar into {@code dir} and compiles it; says why when it cannot. */
    private Path compile(Path dir) throws IOException, InterruptedException {
        Path source = dir.resolve("ec_reference.c");
        try (InputStream in = CoderBenchmark.class.getResourceAsStream("ec_reference.c")) {
            if (in == null) {
                throw new IOException("ec_reference.c is missing from the benchmark's jar");
            }
            Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path binary = dir.resolve("ec_reference");
        Path log = dir.resolve("cc.log");
        Process p;
        try {
            p = new ProcessBuilder(cc, "-O2", "-o", binary.toString(), source.toString(), "-l:libisal.so.2")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new IOException("no C compiler (" + cc + "): " + e.getMessage());
        }
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(cc + " could not build the C reference (is libisal2 installed?): "
                    + Files.readString(log).strip().replace('\n', ' '));
        }
        return binary;
    }

    /** One run of the C program: an unmeasured round, then one measured round of each operation. */
    private List<Measurement> runReference(Path binary, int size, int calls) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary.toString(), Integer.toString(size), Integer.toString(calls), "2", lost)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("the C reference did not finish within 10 minutes");
        }
        List<String> lines = out.lines().toList();
        if (p.exitValue() != 0 || !lines.contains("check ok")) {
            throw new IOException("the C reference ended with exit status " + p.exitValue() + ": "
                    + out.strip().replace('\n', ' '));
        }
        List<Measurement> last = new ArrayList<>();
        for (String operation : List.of(ENCODE, REBUILD)) {
            String[] line = lines.stream()
                    .filter(l -> l.startsWith(operation + " "))
                    .reduce((a, b) -> b)
                    .orElseThrow(() -> new IOException("the C reference printed no " + operation + " line: " + out))
                    .split(" ");
            double gb = 6.0 * size * calls / 1e9;
            last.add(new Measurement(
                    C,
                    operation,
                    size,
                    calls,
                    List.of(gb / Double.parseDouble(line[1])),
                    List.of(gb / Double.parseDouble(line[2]))));
        }
        return last;
    }

    private static String describeLost(int[] lost) {
        return Arrays.stream(lost)
                .mapToObj(f -> f < 6 ? "data " + f : "parity " + (f - 6))
                .collect(Collectors.joining(", "));
    }

    private static String version(String cc) {
        try {
            Process p = new ProcessBuilder(cc, "--version")
                    .redirectErrorStream(true)
                    .start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .findFirst()
                    .orElse("?");
            p.waitFor(10, TimeUnit.SECONDS);
            return first;
        } catch (IOException e) {
            return "version unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "version unknown";
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
