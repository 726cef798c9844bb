package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;

/**
 * The suite's timeseries section (issue 22): TSBS cpu-only data ({@link CpuData}) ingested as
 * InfluxDB line protocol over HTTP by QuestDB, the reference, and by LumaDB, one after the other
 * on the server CPU, each driven by {@link TimeSeriesLoad} in a JVM of its own on the client CPU:
 * rows/s until the last row is queryable, then a window aggregate (mean and max of {@code
 * usage_user} per host and hour) timed over several runs, then the bytes on disk per row after a
 * clean stop. Both systems' counts must equal the rows generated and both answers must equal the
 * one computed while generating (and so each other), means within 1e-9 relative.
 *
 * <p>While LumaDB has no time-series collections or {@code /api/v2/write} (they are being built),
 * its half reports why it is unavailable and the section still reports QuestDB's figures; a wrong
 * answer or a failed request of either system fails the section.
 */
public final class TimeSeriesBenchmark {

    /** The collection LumaDB's half creates, as the issue specifies it. */
    static final String COLLECTION_BODY =
            "{\"kind\": \"timeseries\", \"shards\": 4, \"timeseries\": {\"tags\": [\"hostname\"], \"precision\": \"ns\"}}";

    /** The same collection with continuous downsampling into minutes and hours. */
    static final String DOWNSAMPLED_BODY = "{\"kind\": \"timeseries\", \"shards\": 4, \"timeseries\": {\"tags\":"
            + " [\"hostname\"], \"precision\": \"ns\", \"downsampling\": [{\"every\": \"1m\"}, {\"every\": \"1h\"}]}}";

    /** The relative tolerance of the aggregate's means (sums in another order differ in the last bits). */
    static final double TOLERANCE = Window.TOLERANCE;

    static final long HOUR = TimeUnit.HOURS.toNanos(1);

    /**
     * How much the section does.
     *
     * @param hosts simulated hosts (series)
     * @param rowsPerHost rows per host, one every 10 s
     * @param linesPerBatch lines per write request
     * @param connections write requests in flight
     * @param warmupRuns unmeasured runs of the aggregate
     * @param runs measured runs of the aggregate
     * @param cleanBaseline whether LumaDB's baseline size is taken after a clean stop (and a restart
     *     before the ingest), as the end state is; smoke mode saves the restart and takes it on the
     *     running node, so its bytes figure is only roughly comparable
     * @param ingestRounds how many times each system ingests the data on a fresh server, QuestDB
     *     then LumaDB in each round: the first round is the run whose aggregate and bytes are
     *     measured, the others only ingest (with one aggregate run, whose answer is checked too);
     *     the ingest ratio is the median of the rounds' ratios, since this machine's speed drifts
     *     between runs by more than the difference being measured
     */
    public record Settings(
            int hosts,
            int rowsPerHost,
            int linesPerBatch,
            int connections,
            int warmupRuns,
            int runs,
            boolean cleanBaseline,
            int ingestRounds) {
        /** Full: a TSBS day of 100 hosts; quick: 4 hours of them; smoke: 2 hours of 10 hosts. */
        public static Settings defaults(boolean quick, boolean smoke) {
            if (smoke) {
                return new Settings(10, 720, 1_000, 2, 0, 2, false, 1);
            }
            return quick
                    ? new Settings(100, 1_440, 5_000, 4, 1, 5, true, 3)
                    : new Settings(100, 8_640, 5_000, 4, 1, 5, true, 3);
        }
    }

    private final Supplier<NodeProcess.Builder> node;
    private final String nodeDescription;
    private final List<String> serverPrefix;
    private final List<String> clientPrefix;
    private final Path out;
    private final Path questDbJar;
    private final Path questDbJava;
    private final Path questDbRuns;
    private final Settings settings;

    /**
     * @param node a fresh LumaDB node's builder (the suite's options, the server CPU's prefix, a
     *     fresh data directory deleted on close)
     * @param nodeDescription how the report describes that node
     * @param questDbJar QuestDB's server jar
     * @param questDbJava the java that runs it
     * @param questDbRuns where QuestDB's root directories go (one per run, deleted after it)
     */
    public TimeSeriesBenchmark(
            Supplier<NodeProcess.Builder> node,
            String nodeDescription,
            List<String> serverPrefix,
            List<String> clientPrefix,
            Path out,
            Path questDbJar,
            Path questDbJava,
            Path questDbRuns,
            Settings settings) {
        this.node = node;
        this.nodeDescription = nodeDescription;
        this.serverPrefix = List.copyOf(serverPrefix);
        this.clientPrefix = List.copyOf(clientPrefix);
        this.out = out;
        this.questDbJar = questDbJar;
        this.questDbJava = questDbJava;
        this.questDbRuns = questDbRuns;
        this.settings = settings;
    }

    /** The JVM of {@link TimeSeriesLoad}: like the suite's other load generators. */
    static List<String> loadJvmOptions() {
        return List.of("-Xms1g", "-Xmx1g", "-XX:+UseSerialGC");
    }

    /** Runs the section; a failure is reported in the result, never thrown (but an interrupt is). */
    public TimeSeriesResults run() throws InterruptedException {
        List<String> failures = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, String> s = new LinkedHashMap<>();
        CpuData.Settings data = new CpuData.Settings(
                22, settings.hosts(), settings.rowsPerHost(), CpuData.TSBS_START, CpuData.TEN_SECONDS, HOUR);
        CpuData cpu = new CpuData(data);
        Path file = out.resolve("timeseries-cpu.lp");
        System.out.printf(
                "Time series: TSBS cpu-only, %,d hosts x %,d rows (%,d rows), QuestDB against LumaDB%n",
                data.hosts(), data.rowsPerHost(), data.rows());
        long fileBytes;
        try {
            fileBytes = cpu.writeTo(file);
        } catch (IOException e) {
            failures.add("could not write the data: " + e);
            return new TimeSeriesResults("failed", failures, null, null, null, null, null, List.of(), checks, s, notes);
        }
        List<Window> expected = cpu.expectedWindows();
        TimeSeriesResults.Data described = new TimeSeriesResults.Data(
                data.seed(),
                data.hosts(),
                data.rowsPerHost(),
                data.rows(),
                data.start(),
                data.end(),
                "10s",
                fileBytes,
                "1h",
                expected.size());
        s.put(
                "data",
                String.format(
                        Locale.ROOT,
                        "TSBS cpu-only shape, generated (seed %d): measurement cpu, 10 tags, 10 float fields (one"
                                + " decimal; each a random walk of N(0,1) steps clamped to [0, 100]), %,d hosts, a row"
                                + " per host every 10 s from 2016-01-01T00:00Z, %,d rows, %.1f MB of line protocol"
                                + " (%.0f bytes a row), timestamps in ns",
                        data.seed(),
                        data.hosts(),
                        data.rows(),
                        fileBytes / 1e6,
                        (double) fileBytes / data.rows()));
        s.put(
                "ingest",
                String.format(
                        Locale.ROOT,
                        "%,d lines a request, %d requests in flight (HTTP/1.1), from one client JVM on the client CPU;"
                                + " clock from the first request sent to the first count over the whole range that"
                                + " returns every row (counts polled every 10 ms once the last request was"
                                + " acknowledged)",
                        settings.linesPerBatch(),
                        settings.connections()));
        s.put(
                "window aggregate",
                String.format(
                        Locale.ROOT,
                        "mean and max of usage_user per host and hour over the whole range (%,d windows); %d"
                                + " unmeasured run(s), then the median of %d, send to whole answer read",
                        expected.size(),
                        settings.warmupRuns(),
                        settings.runs()));
        s.put(
                "durability",
                "QuestDB: its default (cairo.commit.mode=nosync: a write is answered once in its WAL, not fsynced);"
                        + " LumaDB: answered after its journal's fsync");
        s.put(
                "pinning",
                serverPrefix.isEmpty()
                        ? "none"
                        : "servers " + String.join(" ", serverPrefix) + ", load generator "
                                + String.join(" ", clientPrefix));
        try {
            TimeSeriesResults.Measured questdb = questDb(data, file, expected, failures, checks, notes, s);
            TimeSeriesResults.Measured lumadb = null;
            String unavailable = null;
            LumaDbPart part = lumaDb(data, file, expected, failures, checks, notes, s);
            if (part != null) {
                lumadb = part.measured();
                unavailable = part.unavailable();
            }
            List<TimeSeriesResults.Round> rounds = new ArrayList<>();
            if (questdb != null && lumadb != null) {
                rounds.add(TimeSeriesResults.Round.of(questdb, lumadb));
                for (int round = 2; round <= settings.ingestRounds() && failures.isEmpty(); round++) {
                    System.out.printf(
                            "  round %d of %d: QuestDB, then LumaDB, ingest only%n", round, settings.ingestRounds());
                    TimeSeriesLoad.Result q = questDbIngest(data, file, expected, round, failures, notes);
                    TimeSeriesLoad.Result l = q == null ? null : lumaDbIngest(data, file, expected, round, failures);
                    if (q != null && l != null) {
                        rounds.add(TimeSeriesResults.Round.of(q, l));
                    }
                }
                if (settings.ingestRounds() > 1) {
                    s.put(
                            "rounds",
                            settings.ingestRounds() + " rounds, each QuestDB then LumaDB ingesting the data on a fresh"
                                    + " server; the first is the run measured in full, the others ingest and count"
                                    + " (and run the aggregate once, checked); the ingest ratio is the median of the"
                                    + " rounds' ratios");
                }
            }
            TimeSeriesResults.Measured downsampled =
                    lumadb == null ? null : lumaDbDownsampled(data, file, expected, failures, checks, s);
            if (questdb != null && lumadb != null) {
                // Each already matched the generator's answer; this says so for the pair.
                checks.add("the window aggregate's answers of LumaDB and QuestDB agree (" + expected.size()
                        + " windows, means within " + TOLERANCE + " relative)");
            }
            TimeSeriesResults r = new TimeSeriesResults(
                    failures.isEmpty() ? "ok" : "failed",
                    failures,
                    described,
                    questdb,
                    lumadb,
                    downsampled,
                    unavailable,
                    rounds,
                    checks,
                    s,
                    notes);
            print(r);
            return r;
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                notes.add("could not delete " + file + ": " + e.getMessage());
            }
        }
    }

    private static void print(TimeSeriesResults r) {
        for (TimeSeriesResults.Measured m : java.util.Arrays.asList(r.questdb(), r.lumadb(), r.lumadbDownsampled())) {
            if (m != null) {
                System.out.printf(
                        Locale.ROOT,
                        "  %-8s %,10.0f rows/s until queryable, aggregate median %.1f ms, %s bytes/row on disk%s%n",
                        m == r.lumadbDownsampled() ? "lumadb, downsampled" : m.system(),
                        m.rowsPerSecond(),
                        m.aggregateMedianMs(),
                        m.disk() == null
                                ? "?"
                                : String.format(Locale.ROOT, "%.1f", m.disk().bytesPerRow()),
                        m.rolledUpSeconds() == null
                                ? ""
                                : String.format(
                                        Locale.ROOT,
                                        "; rolled up after %.2f s, aggregate answered from the %s windows",
                                        m.rolledUpSeconds(),
                                        m.answeredFrom()));
            }
        }
        if (r.rounds().size() > 1) {
            System.out.println("  ingest rounds, LumaDB / QuestDB rows/s: "
                    + String.join(
                            ", ",
                            r.rounds().stream()
                                    .map(x -> String.format(
                                            Locale.ROOT,
                                            "%.2fx (%,.0f / %,.0f)",
                                            x.ingestRatio(),
                                            x.lumadbRowsPerSecond(),
                                            x.questdbRowsPerSecond()))
                                    .toList())
                    + "; the ratio below is their median");
        }
        if (r.lumadbUnavailable() != null) {
            System.out.println("  LumaDB unavailable: " + r.lumadbUnavailable());
        }
        r.failures().forEach(f -> System.out.println("  FAILED: " + f));
        for (TimeSeriesResults.Target t : r.targets()) {
            System.out.printf(
                    Locale.ROOT, "  %s: %.2f%s (%s)%n", t.name(), t.measured(), t.unit(), t.met() ? "met" : "missed");
        }
    }

    // ---- QuestDB

    private TimeSeriesResults.Measured questDb(
            CpuData.Settings data,
            Path file,
            List<Window> expected,
            List<String> failures,
            List<String> checks,
            List<String> notes,
            Map<String, String> s)
            throws InterruptedException {
        Path root = questDbRuns.resolve("run-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
        Path log = out.resolve("timeseries-questdb.log");
        s.put(
                "questdb",
                "QuestDB " + version(questDbJar) + " (" + questDbJar.getFileName() + " from Maven Central), run by "
                        + questDbJava + " " + String.join(" ", QuestDbServer.JVM_OPTIONS)
                        + (serverPrefix.isEmpty() ? "" : " behind " + String.join(" ", serverPrefix))
                        + "; a fresh root under " + questDbRuns + ", HTTP on a free loopback port, PostgreSQL wire,"
                        + " ILP over TCP/UDP, the min HTTP server and telemetry off; the table made by the first"
                        + " write (symbols for tags, doubles for fields, partitioned by day, WAL)");
        System.out.println("  QuestDB: ingest, count, window aggregate");
        try (QuestDbServer q =
                QuestDbServer.start(questDbJar, questDbJava, serverPrefix, root, log, Duration.ofSeconds(60))) {
            TimeSeriesLoad.Result r = load("questdb", q.url(), q.pid(), data, file);
            if (r == null || !r.status().equals("ok")) {
                failures.add("QuestDB: " + (r == null ? "no result" : String.join("; ", r.failures())) + "; see "
                        + out.resolve("timeseries-load-questdb.log"));
                return null;
            }
            checks.add(String.format(Locale.ROOT, "QuestDB counts %,d rows, as generated", r.rows()));
            compare("QuestDB", r.windows(), expected, failures, checks);
            Path table = q.tableDirectory("cpu");
            boolean applied = Answers.questDbWalApplied(q.exec("SELECT * FROM wal_tables() WHERE name = 'cpu'"));
            if (applied) {
                checks.add("QuestDB applied every WAL transaction to the table before it was stopped (wal_tables())");
            } else {
                notes.add("QuestDB had not applied every WAL transaction when stopped: its WAL segments count");
            }
            boolean clean = q.stop();
            if (!clean) {
                notes.add("QuestDB did not stop within 30 s of SIGTERM and was killed: its files were measured as"
                        + " they were left");
            }
            TimeSeriesResults.Disk disk = questDbDisk(table, data.rows(), applied);
            return measured(r, disk);
        } catch (IOException | RuntimeException e) {
            failures.add("QuestDB: " + e.getMessage() + " (see " + log + ")");
            return null;
        } finally {
            deleteRoot(root, notes);
        }
    }

    /** Deletes a QuestDB run's root directory; a failure is a note. */
    private static void deleteRoot(Path root, List<String> notes) {
        try {
            TestFiles.deleteRecursively(root);
        } catch (IOException e) {
            notes.add("could not delete QuestDB's root " + root + ": " + e.getMessage());
        }
    }

    /**
     * The table's directory after a clean stop (which truncates the column files QuestDB had
     * extended ahead), split into its parts: partitions (column files), symbol tables and
     * metadata at the table's top, the sequencer's transaction log, and the WAL segments. When
     * every WAL transaction was applied to the table ({@code walApplied}), the segments are a
     * second copy of rows the partitions hold, which QuestDB's purge job deletes on its own: the
     * headline leaves them out (and says how much they were); otherwise it counts them.
     */
    static TimeSeriesResults.Disk questDbDisk(Path table, long rows, boolean walApplied) {
        DiskUsage total = DiskUsage.of(table);
        DiskUsage segments = DiskUsage.of(table, p -> top(table, p).startsWith("wal"));
        DiskUsage sequencer = DiskUsage.of(table, p -> top(table, p).equals("txn_seq"));
        DiskUsage partitions = DiskUsage.of(table, p -> {
            String top = top(table, p);
            return table.relativize(p).getNameCount() > 1 && !top.startsWith("wal") && !top.equals("txn_seq");
        });
        DiskUsage headline = walApplied ? total.minus(segments) : total;
        Map<String, Long> parts = new LinkedHashMap<>();
        parts.put("partitions (column files)", partitions.bytes());
        parts.put(
                "symbol tables and metadata",
                total.minus(segments).minus(sequencer).minus(partitions).bytes());
        parts.put("sequencer (txn_seq)", sequencer.bytes());
        parts.put(
                walApplied
                        ? "WAL segments, every transaction applied, not yet purged (left out of the headline)"
                        : "WAL segments, NOT every transaction applied (counted in the headline)",
                segments.bytes());
        return new TimeSeriesResults.Disk(
                headline.bytes(),
                (double) headline.bytes() / rows,
                parts,
                "the table's directory (db/" + table.getFileName() + ") after QuestDB stopped cleanly"
                        + (walApplied ? ", less the WAL segments already applied" : "") + ", bytes allocated (du);"
                        + " apparent size " + headline.apparentBytes() + " bytes; with every WAL segment "
                        + String.format(Locale.ROOT, "%.1f", (double) total.bytes() / rows) + " bytes a row");
    }

    private static String top(Path dir, Path file) {
        return dir.relativize(file).getName(0).toString();
    }

    // ---- LumaDB

    private record LumaDbPart(TimeSeriesResults.Measured measured, String unavailable) {}

    private LumaDbPart lumaDb(
            CpuData.Settings data,
            Path file,
            List<Window> expected,
            List<String> failures,
            List<String> checks,
            List<String> notes,
            Map<String, String> s)
            throws InterruptedException {
        s.put("lumadb", nodeDescription + "; database bench, collection cpu: " + COLLECTION_BODY);
        System.out.println("  LumaDB: ingest, count, window aggregate");
        try (NodeProcess n = node.get().build()) {
            launch(n);
            TestHttp http = new TestHttp(n.port());
            TestHttp.Response db = http.put("/api/v1/bench", "");
            if (db.status() != 200 && db.status() != 201) {
                failures.add("LumaDB: PUT /api/v1/bench answered " + db.status() + ": " + db.body());
                return null;
            }
            TestHttp.Response collection = http.put("/api/v1/bench/cpu", COLLECTION_BODY);
            if (collection.status() != 200 && collection.status() != 201) {
                String reason = "PUT /api/v1/bench/cpu " + COLLECTION_BODY + " answered " + collection.status() + ": "
                        + collection.body() + " (this node has no time-series collections yet)";
                System.out.println("  LumaDB unavailable: " + reason);
                return new LumaDbPart(null, reason);
            }
            // The baseline: the node's data directory with the database and the empty collection,
            // after a clean stop, as the end state is measured.
            DiskUsage before;
            if (settings.cleanBaseline()) {
                n.terminate();
                before = DiskUsage.of(n.dataDir(), NODE_DATA);
                launch(n);
            } else {
                before = DiskUsage.of(n.dataDir(), NODE_DATA);
                notes.add("Smoke mode: LumaDB's baseline size was taken on the running node (no restart), so its"
                        + " bytes on disk are only roughly comparable");
            }
            TimeSeriesLoad.Result r = load("lumadb", n.url(""), n.pid(), data, file);
            if (r == null) {
                failures.add("LumaDB: no result; see " + out.resolve("timeseries-load-lumadb.log"));
                return null;
            }
            if (r.status().equals("unavailable")) {
                return new LumaDbPart(null, r.unavailable());
            }
            if (!r.status().equals("ok")) {
                failures.add("LumaDB: " + String.join("; ", r.failures()) + "; see "
                        + out.resolve("timeseries-load-lumadb.log") + " and " + n.log());
                return null;
            }
            checks.add(String.format(Locale.ROOT, "LumaDB counts %,d rows, as generated", r.rows()));
            compare("LumaDB", r.windows(), expected, failures, checks);
            n.terminate();
            TimeSeriesResults.Disk disk = lumaDbDisk(n.dataDir(), before, data.rows(), notes);
            return new LumaDbPart(measured(r, disk), null);
        } catch (IOException | RuntimeException e) {
            failures.add("LumaDB: " + e.getMessage());
            return null;
        }
    }

    /**
     * LumaDB again on a fresh node, into a collection with downsampling rules (1m and 1h): the
     * ingest with the projections running, the time until the hourly rolled-up windows answer the
     * aggregate, and the aggregate then; its answer must equal the generator's too.
     */
    private TimeSeriesResults.Measured lumaDbDownsampled(
            CpuData.Settings data,
            Path file,
            List<Window> expected,
            List<String> failures,
            List<String> checks,
            Map<String, String> s)
            throws InterruptedException {
        s.put("lumadb, downsampled", "another node; database bench, collection cpu: " + DOWNSAMPLED_BODY);
        System.out.println("  LumaDB with downsampling: ingest, count, rolled up, window aggregate");
        try (NodeProcess n = node.get().build()) {
            launch(n);
            if (!created(n, DOWNSAMPLED_BODY, "LumaDB (downsampled)", failures)) {
                return null;
            }
            TimeSeriesLoad.Result r = load(
                    TimeSeriesLoad.LUMADB,
                    "lumadb-downsampled",
                    n.url(""),
                    n.pid(),
                    data,
                    file,
                    settings.warmupRuns(),
                    settings.runs(),
                    List.of("--await-downsampled"));
            if (r == null || !r.status().equals("ok")) {
                failures.add("LumaDB (downsampled): "
                        + (r == null ? "no result" : String.join("; ", r.failures())) + "; see "
                        + out.resolve("timeseries-load-lumadb-downsampled.log") + " and " + n.log());
                return null;
            }
            if (!"1h".equals(r.answeredFrom())) {
                failures.add("LumaDB (downsampled): the measured aggregate was answered from "
                        + (r.answeredFrom() == null ? "the points" : "the " + r.answeredFrom() + " windows")
                        + ", not the hourly ones");
            }
            checks.add(String.format(Locale.ROOT, "LumaDB (downsampled) counts %,d rows, as generated", r.rows()));
            compare("LumaDB (downsampled)", r.windows(), expected, failures, checks);
            return measured(r, null);
        } catch (IOException | RuntimeException e) {
            failures.add("LumaDB (downsampled): " + e.getMessage());
            return null;
        }
    }

    /**
     * Round {@code round}'s QuestDB ingest on a fresh root: the count until queryable and one
     * aggregate run, whose answer is checked. Null (with the failure recorded) when it failed.
     */
    private TimeSeriesLoad.Result questDbIngest(
            CpuData.Settings data,
            Path file,
            List<Window> expected,
            int round,
            List<String> failures,
            List<String> notes)
            throws InterruptedException {
        Path root = questDbRuns.resolve("run-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
        String label = "questdb-round" + round;
        try (QuestDbServer q = QuestDbServer.start(
                questDbJar,
                questDbJava,
                serverPrefix,
                root,
                out.resolve("timeseries-" + label + ".log"),
                Duration.ofSeconds(60))) {
            TimeSeriesLoad.Result r =
                    load(TimeSeriesLoad.QUESTDB, label, q.url(), q.pid(), data, file, 0, 1, List.of());
            return roundResult("QuestDB (round " + round + ")", label, r, expected, failures);
        } catch (IOException | RuntimeException e) {
            failures.add("QuestDB (round " + round + "): " + e.getMessage());
            return null;
        } finally {
            deleteRoot(root, notes);
        }
    }

    /** Round {@code round}'s LumaDB ingest on a fresh node, as {@link #questDbIngest} does QuestDB's. */
    private TimeSeriesLoad.Result lumaDbIngest(
            CpuData.Settings data, Path file, List<Window> expected, int round, List<String> failures)
            throws InterruptedException {
        String label = "lumadb-round" + round;
        try (NodeProcess n = node.get().build()) {
            launch(n);
            if (!created(n, COLLECTION_BODY, "LumaDB (round " + round + ")", failures)) {
                return null;
            }
            TimeSeriesLoad.Result r =
                    load(TimeSeriesLoad.LUMADB, label, n.url(""), n.pid(), data, file, 0, 1, List.of());
            return roundResult("LumaDB (round " + round + ")", label, r, expected, failures);
        } catch (IOException | RuntimeException e) {
            failures.add("LumaDB (round " + round + "): " + e.getMessage());
            return null;
        }
    }

    /**
     * Whether the database bench and its collection cpu, made with {@code body}, were created on
     * the fresh node {@code n}; if not, why is in {@code failures}, named by {@code name}.
     */
    private static boolean created(NodeProcess n, String body, String name, List<String> failures) {
        TestHttp http = new TestHttp(n.port());
        TestHttp.Response db = http.put("/api/v1/bench", "");
        TestHttp.Response collection = http.put("/api/v1/bench/cpu", body);
        if (collection.status() != 201) {
            failures.add(name + ": PUT /api/v1/bench/cpu answered " + collection.status() + ": " + collection.body()
                    + " (database: " + db.status() + ")");
            return false;
        }
        return true;
    }

    /** {@code r} when it is ok and its aggregate's answer equals the generator's; else null, with why in {@code failures}. */
    private TimeSeriesLoad.Result roundResult(
            String name, String label, TimeSeriesLoad.Result r, List<Window> expected, List<String> failures) {
        if (r == null || !r.status().equals("ok")) {
            failures.add(name + ": " + (r == null ? "no result" : String.join("; ", r.failures())) + "; see "
                    + out.resolve("timeseries-load-" + label + ".log"));
            return null;
        }
        int before = failures.size();
        compare(name, r.windows(), expected, failures, new ArrayList<>());
        return failures.size() == before ? r : null;
    }

    /** Starts {@code n} (again) and waits until it is healthy and ready. */
    private static void launch(NodeProcess n) throws IOException, InterruptedException {
        n.launch(List.of());
        n.awaitHealthy(Duration.ofSeconds(60));
        TestHttp http = new TestHttp(n.port());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (http.get("/ready").status() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IOException(n.name() + " was not ready within 60 s; see " + n.log());
            }
            Thread.sleep(100);
        }
    }

    /** Files of a node's data directory that hold data: all but RocksDB's info logs (LOG, LOG.old.*). */
    static final Predicate<Path> NODE_DATA = p -> !p.getFileName().toString().startsWith("LOG");

    /**
     * The growth of the node's data files ({@link #NODE_DATA}) over the ingest, both ends after a
     * clean stop, measured once the memtables were flushed: a clean stop syncs RocksDB's WAL but
     * leaves the memtables in it, so RocksDB is opened here with the node's own options and flushed
     * (the WAL's bytes become SST files). With it, the live SST bytes of the journal's and the
     * state's column families, after the flush and again after a full compaction, and the growth
     * as the stop left it. {@code before} is {@link #NODE_DATA} of the baseline.
     */
    static TimeSeriesResults.Disk lumaDbDisk(Path dataDir, DiskUsage before, long rows, List<String> notes) {
        DiskUsage stopped = DiskUsage.of(dataDir, NODE_DATA).minus(before);
        Map<String, Long> parts = new LinkedHashMap<>();
        Path rocks = dataDir.resolve("rocksdb");
        parts.put("growth as the clean stop left it (RocksDB's WAL still holding the memtables)", stopped.bytes());
        parts.put(
                "of which RocksDB WAL files",
                DiskUsage.of(rocks, p -> p.getFileName().toString().endsWith(".log"))
                        .bytes());
        parts.put(
                "RocksDB info logs (LOG*, not counted)",
                DiskUsage.of(rocks, NODE_DATA.negate()).bytes());
        DiskUsage headline = stopped;
        boolean flushed = false;
        try {
            columnFamilies(rocks, false).forEach((k, v) -> parts.put(k + ", memtables flushed", v));
            headline = DiskUsage.of(dataDir, NODE_DATA).minus(before);
            flushed = true;
            columnFamilies(rocks, true).forEach((k, v) -> parts.put(k + ", after a full compaction", v));
            parts.put(
                    "growth after a full compaction",
                    DiskUsage.of(dataDir, NODE_DATA).minus(before).bytes());
        } catch (RuntimeException | RocksDBException e) {
            notes.add("LumaDB's memtables could not be flushed here, so its bytes on disk are as the clean stop left"
                    + " them: " + e);
        }
        return new TimeSeriesResults.Disk(
                headline.bytes(),
                (double) headline.bytes() / rows,
                parts,
                "the growth of the node's data directory over the ingest (journal, state, RocksDB's WAL, manifest"
                        + " and everything else the node keeps, but RocksDB's info logs), both ends after a clean"
                        + " stop"
                        + (flushed
                                ? ", the end once the memtables were flushed (a clean stop syncs RocksDB's WAL but"
                                        + " does not flush them; the bench opened RocksDB with the node's options"
                                        + " and flushed)"
                                : "")
                        + ", bytes allocated (du); apparent growth " + headline.apparentBytes() + " bytes");
    }

    /**
     * Live SST bytes of the journal's column families (journal, journal-meta, journal-tags), the
     * state's (shard-state, which holds the time-series blocks) and the others, in the RocksDB at
     * {@code dir} opened with the node's options after its memtables were flushed (and compacted).
     */
    static Map<String, Long> columnFamilies(Path dir, boolean compact) throws RocksDBException {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("journal column families (SST)", 0L);
        sizes.put("state column family shard-state (SST)", 0L);
        sizes.put("other column families (SST)", 0L);
        RocksDbNode rocks = RocksDbNode.open(ConfigFactory.parseMap(Map.of("dir", dir.toString()))
                .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb")));
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            List<String> names = rocks.columnFamilyNames();
            for (String name : names) {
                ColumnFamilyHandle cf = rocks.columnFamily(name);
                rocks.db().flush(flush, cf);
                if (compact) {
                    rocks.db().compactRange(cf);
                }
            }
            for (String name : names) {
                long bytes = rocks.db()
                        .getColumnFamilyMetaData(rocks.columnFamily(name))
                        .size();
                String part = name.startsWith("journal")
                        ? "journal column families (SST)"
                        : name.equals("shard-state")
                                ? "state column family shard-state (SST)"
                                : "other column families (SST)";
                sizes.merge(part, bytes, Long::sum);
            }
        } finally {
            rocks.close();
        }
        return sizes;
    }

    // ---- both

    private TimeSeriesLoad.Result load(String system, String url, long serverPid, CpuData.Settings data, Path file)
            throws IOException, InterruptedException {
        return load(system, system, url, serverPid, data, file, settings.warmupRuns(), settings.runs(), List.of());
    }

    /**
     * Runs the load generator against {@code system}, its files named by {@code label}, with
     * {@code warmupRuns} and {@code runs} of the aggregate and {@code extra} options.
     */
    private TimeSeriesLoad.Result load(
            String system,
            String label,
            String url,
            long serverPid,
            CpuData.Settings data,
            Path file,
            int warmupRuns,
            int runs,
            List<String> extra)
            throws IOException, InterruptedException {
        Path json = out.resolve("timeseries-load-" + label + ".json");
        Files.deleteIfExists(json);
        List<String> command = new ArrayList<>(clientPrefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(loadJvmOptions());
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                TimeSeriesLoad.class.getName(),
                "--system",
                system,
                "--url",
                url,
                "--data",
                file.toString(),
                "--rows",
                Long.toString(data.rows()),
                "--from",
                Long.toString(data.start()),
                "--to",
                Long.toString(data.end()),
                "--window",
                "1h",
                "--lines-per-batch",
                Integer.toString(settings.linesPerBatch()),
                "--connections",
                Integer.toString(settings.connections()),
                "--warmup-runs",
                Integer.toString(warmupRuns),
                "--runs",
                Integer.toString(runs),
                "--server-pid",
                Long.toString(serverPid),
                "--json",
                json.toString()));
        command.addAll(extra);
        Path log = out.resolve("timeseries-load-" + label + ".log");
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                throw new IOException("the load generator did not finish within 30 minutes; see " + log);
            }
        } finally {
            p.destroyForcibly();
        }
        return Files.exists(json) ? new ObjectMapper().readValue(json.toFile(), TimeSeriesLoad.Result.class) : null;
    }

    private static void compare(
            String name, List<Window> actual, List<Window> expected, List<String> failures, List<String> checks) {
        List<String> problems = Window.compare(name, actual, "the generator", expected, TOLERANCE, 5);
        if (problems.isEmpty()) {
            checks.add(String.format(
                    Locale.ROOT,
                    "%s's window aggregate equals the generator's: %,d windows (host x hour), means and maxima within"
                            + " %s relative",
                    name,
                    expected.size(),
                    TOLERANCE));
        } else {
            failures.add(name + "'s window aggregate differs from the generator's: " + String.join("; ", problems));
        }
    }

    private static TimeSeriesResults.Measured measured(TimeSeriesLoad.Result r, TimeSeriesResults.Disk disk) {
        return new TimeSeriesResults.Measured(
                r.system(),
                r.rows(),
                r.rowsPerSecond(),
                r.queryableSeconds(),
                r.acknowledgedSeconds(),
                r.countPolls(),
                r.serverCpuSeconds(),
                r.clientCpuSeconds(),
                r.requestBytes(),
                r.batches(),
                r.linesPerBatch(),
                r.connections(),
                r.aggregateMs(),
                r.aggregateMedianMs(),
                disk,
                r.requests(),
                r.rolledUpSeconds(),
                r.answeredFrom());
    }

    /** QuestDB's version from its jar's Maven metadata, or "(version unknown)". */
    static String version(Path jar) {
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            var entry = j.getEntry("META-INF/maven/org.questdb/questdb/pom.properties");
            if (entry != null) {
                java.util.Properties p = new java.util.Properties();
                try (var in = j.getInputStream(entry)) {
                    p.load(in);
                }
                return p.getProperty("version", "(version unknown)");
            }
        } catch (IOException e) {
            // Reported as unknown.
        }
        return "(version unknown)";
    }
}
