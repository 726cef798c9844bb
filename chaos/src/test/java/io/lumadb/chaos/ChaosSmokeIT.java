package io.lumadb.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.Verdict;
import io.lumadb.chaos.hosts.Sh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bounded chaos smoke of the test suite: a 3-node cluster in network namespaces goes through
 * one majority/minority partition, one pause longer than the failure detector allows and one
 * {@code kill -9}, under the register, set, change-stream and live-query workloads, and every
 * check must pass. The long runs, one fault kind at a time, are {@code bin/chaos}'s.
 */
@Tag("services")
class ChaosSmokeIT {

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void partitionPauseAndKillLeaveAConsistentHistory() throws Exception {
        Assumptions.assumeTrue(Sh.root(), "the chaos smoke makes network namespaces and packet filters: run as root");
        Assumptions.assumeTrue(
                Sh.attempt("nft", "--version").ok(), "the chaos smoke needs nft (apt-get install nftables)");
        long seed = Long.getLong("lumadb.chaos.seed", 20261203L);
        ChaosRun run = new ChaosRun(
                Chaos.settings(
                        Path.of(System.getProperty("lumadb.jar")),
                        3,
                        Path.of(System.getProperty("lumadb.chaos.reports", "target/chaos-reports"))),
                line -> System.out.println("[chaos] " + line));
        ChaosRun.Result result = run.run(Scenario.SMOKE, seed, Duration.ZERO);
        System.out.println(result.text());
        StringBuilder failed = new StringBuilder();
        for (Verdict v : result.verdicts()) {
            if (!v.valid() && !v.check().startsWith(ChaosRun.OBSERVED)) {
                failed.append("\n").append(v.check()).append(": ").append(v.summary());
                v.anomalies().stream().limit(10).forEach(a -> failed.append("\n  ")
                        .append(a));
            }
        }
        assertTrue(!result.verdicts().isEmpty(), "the run produced no verdicts");
        assertTrue(result.valid(), "seed " + seed + ", report " + result.report() + ":" + failed);
    }
}
