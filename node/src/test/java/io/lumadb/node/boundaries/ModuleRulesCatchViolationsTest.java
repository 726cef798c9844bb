package io.lumadb.node.boundaries;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.lumadb.node.boundaries.fixture.cdc.ReadsShards;
import io.lumadb.node.boundaries.fixture.node.StorageWiring;
import io.lumadb.node.boundaries.fixture.persistence.journal.internal.Journal;
import io.lumadb.node.boundaries.fixture.shards.store.internal.Store;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Breaks every rule of {@link ModuleRules} on purpose: the rules, applied to the classes of a
 * fixture package laid out like LumaDB's modules, report each deliberate violation with its
 * reason, and leave the allowed dependencies alone (the node's composition root included, and no
 * other node class). A rule that cannot fail would prove nothing.
 */
class ModuleRulesCatchViolationsTest {

    private static final String FIXTURE = "io.lumadb.node.boundaries.fixture";
    private static final ModuleRules RULES = new ModuleRules(FIXTURE);
    private static final JavaClasses CLASSES = new ClassFileImporter().importPackages(FIXTURE);

    static Stream<Arguments> violations() {
        return Stream.of(
                broken(ModuleRules::persistencePluginsDependOnNoOtherModule, "persistence.ReachesUp"),
                broken(ModuleRules::shardsDependOnNoOtherModule, "shards.ReachesUp"),
                broken(ModuleRules::streamsIsPekkoStreamsPlumbingOnly, "streams.UsesCluster"),
                broken(ModuleRules::cdcDependsOnlyOnShardsAndStreams, "cdc.ReachesUp"),
                broken(ModuleRules::securityDependsOnlyOnShards, "security.ReachesUp"),
                broken(ModuleRules::vectorDependsOnlyOnShardsAndStreams, "vector.ReachesUp"),
                broken(ModuleRules::sqlDependsOnlyOnShardsAndSecurity, "sql.ReachesUp"),
                broken(ModuleRules::timeseriesDependsOnlyOnShardsAndStreams, "timeseries.ReachesUp"),
                broken(ModuleRules::httpApiDependsOnlyOnTheModulesItServes, "http.ReachesUp"),
                broken(ModuleRules::onlyStorageInternalsUseRocksDb, "persistence.journal.PublicRocks"),
                broken(ModuleRules::onlyStorageInternalsUseRocksDb, "shards.shard.UsesRocks"),
                broken(ModuleRules::onlyStorageInternalsUseRocksDb, "node.UsesRocks"),
                broken(ModuleRules::noModuleReachesIntoAnotherModulesInternals, "node.ReachesIntoShardStore"),
                broken(ModuleRules::noModuleReachesIntoAnotherModulesInternals, "node.ReachesIntoJournal"),
                broken(ModuleRules::onlyNodeUsesKamon, "http.UsesKamon"),
                broken(ModuleRules::onlyVectorUsesLucene, "node.UsesLucene"),
                broken(ModuleRules::onlySqlUsesCalcite, "node.UsesCalcite"));
    }

    private static Arguments broken(Function<ModuleRules, ArchRule> rule, String violator) {
        return Arguments.of(rule.apply(RULES), FIXTURE + "." + violator);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("violations")
    void eachRuleReportsItsViolationWithItsReason(ArchRule rule, String violator) {
        EvaluationResult result = rule.evaluate(CLASSES);

        assertTrue(result.hasViolation(), rule.getDescription() + " found nothing");
        String report = result.getFailureReport().toString();
        assertTrue(report.contains("<" + violator + "."), report);
        assertTrue(report.contains(", because "), report);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allowed")
    void allowedDependenciesPass(String allowed) {
        String report = Stream.of(
                        RULES.cdcDependsOnlyOnShardsAndStreams(),
                        RULES.onlyStorageInternalsUseRocksDb(),
                        RULES.noModuleReachesIntoAnotherModulesInternals())
                .map(rule -> rule.evaluate(CLASSES).getFailureReport().toString())
                .reduce("", String::concat);

        assertFalse(report.contains("<" + allowed + "."), report);
    }

    static List<String> allowed() {
        return Stream.of(ReadsShards.class, Store.class, Journal.class, StorageWiring.class)
                .map(Class::getName)
                .toList();
    }
}
