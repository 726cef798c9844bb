package io.lumadb.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/chaos}: runs chaos scenarios against a fresh cluster on test hosts of its own and
 * prints each run's verdicts and where its report is. Exit status 0 when every check passed, 1
 * when a check found an anomaly, 2 when a run could not be carried out.
 */
@Command(
        name = "bin/chaos",
        mixinStandardHelpOptions = true,
        description = "Runs a LumaDB cluster in network namespaces, injects faults on a seeded plan while clients"
                + " drive registers, sets, change streams and live queries through every node's HTTP API, and"
                + " checks the history (linearizable registers, no lost inserts, change streams without gaps or"
                + " duplicates, tokens that never rewind, live queries that end at the query's answer). Needs"
                + " root (network namespaces, packet filter, mounts) and PostgreSQL's initdb.")
public final class Chaos implements Callable<Integer> {

    @Parameters(
            index = "0",
            defaultValue = "smoke",
            description = "Scenario: kill, pause, partition, slow, journal, disk (one fault kind each), mixed (all"
                    + " kinds in turn), smoke (one partition, one pause, one kill), all (every single-kind scenario"
                    + " in turn). Default: ${DEFAULT-VALUE}.")
    String scenario;

    @Option(
            names = "--time",
            defaultValue = "PT10M",
            description = "How long each scenario's plan lasts, as an ISO-8601 duration or in minutes (10m), seconds"
                    + " (90s). Default: 10m. The smoke plan has its own fixed length.")
    String time;

    @Option(names = "--seed", description = "The plan's seed (default: a random one, printed).")
    Long seed;

    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size, 3 or 5. Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(
            names = "--out",
            defaultValue = "chaos/reports",
            description = "Where report directories go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--jar", defaultValue = "node/target/lumadb.jar", description = "The node jar.")
    Path jar;

    @Option(
            names = "--recheck",
            description = "Runs nothing: checks the saved history of an earlier run's report directory again and"
                    + " prints its figures per fault kind.")
    Path recheck;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Chaos()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (recheck != null) {
            System.out.print(Recheck.of(recheck));
            return 0;
        }
        if (nodes != 3 && nodes != 5) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--nodes must be 3 or 5, not " + nodes);
        }
        Duration length = duration(time);
        long s = seed != null ? seed : new java.util.Random().nextLong(1, 1_000_000);
        List<Scenario> scenarios = Scenario.named(scenario);
        ChaosRun run = new ChaosRun(settings(jar, nodes, out), Chaos::log);
        List<ChaosRun.Result> results = new ArrayList<>();
        int status = 0;
        for (Scenario sc : scenarios) {
            try {
                ChaosRun.Result r = run.run(sc, s, length);
                results.add(r);
                System.out.println(r.text());
                if (!r.valid()) {
                    status = Math.max(status, 1);
                }
            } catch (Exception e) {
                log("scenario " + sc.name() + " could not be run: " + e);
                e.printStackTrace(System.err);
                status = 2;
            }
        }
        if (results.size() > 1) {
            System.out.println("---- all scenarios");
            for (ChaosRun.Result r : results) {
                System.out.println(
                        (r.valid() ? "PASS " : "FAIL ") + r.scenario() + " seed " + r.seed() + ": " + r.report());
            }
        }
        return status;
    }

    /** The settings every run of {@code bin/chaos} and of the smoke test uses. */
    public static ChaosRun.Settings settings(Path jar, int nodes, Path reports) {
        return new ChaosRun.Settings(
                jar.toAbsolutePath(), nodes, 2 * nodes, 2, 6, 150, Duration.ofSeconds(20), reports.toAbsolutePath());
    }

    /** {@code PT10M}, {@code 10m}, {@code 90s} or {@code 1h}. */
    static Duration duration(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (t.startsWith("pt")) {
            return Duration.parse(t.toUpperCase(java.util.Locale.ROOT));
        }
        ChronoUnit unit =
                switch (t.charAt(t.length() - 1)) {
                    case 's' -> ChronoUnit.SECONDS;
                    case 'm' -> ChronoUnit.MINUTES;
                    case 'h' -> ChronoUnit.HOURS;
                    default ->
                        throw new IllegalArgumentException(
                                "a duration is like 10m, 90s, 1h or PT10M, not '" + text + "'");
                };
        return Duration.of(Long.parseLong(t.substring(0, t.length() - 1)), unit);
    }

    static void log(String line) {
        System.err.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + line);
    }
}
