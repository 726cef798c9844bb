package io.lumadb.node;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.lumadb.node.boundaries.ModuleRules;

/**
 * Enforces the module table of docs/architecture.md on the main classes of every server module (node's
 * test class path holds them all): dependencies point down the table, only the storage internals
 * touch RocksDB, no module reaches into another's internal packages, only node/ touches Kamon,
 * only vector/ Lucene, only sql/ Calcite. ModuleRulesCatchViolationsTest breaks each rule on
 * purpose; the Java client's rule lives in client/.
 */
@AnalyzeClasses(packages = "io.lumadb", importOptions = ImportOption.DoNotIncludeTests.class)
class ModuleBoundariesTest {

    private static final ModuleRules RULES = new ModuleRules("io.lumadb");

    @ArchTest
    static final ArchRule persistencePluginsDependOnNoOtherModule = RULES.persistencePluginsDependOnNoOtherModule();

    @ArchTest
    static final ArchRule shardsDependOnNoOtherModule = RULES.shardsDependOnNoOtherModule();

    @ArchTest
    static final ArchRule streamsIsPekkoStreamsPlumbingOnly = RULES.streamsIsPekkoStreamsPlumbingOnly();

    @ArchTest
    static final ArchRule cdcDependsOnlyOnShardsAndStreams = RULES.cdcDependsOnlyOnShardsAndStreams();

    @ArchTest
    static final ArchRule vectorDependsOnlyOnShardsAndStreams = RULES.vectorDependsOnlyOnShardsAndStreams();

    @ArchTest
    static final ArchRule tieringDependsOnlyOnShards = RULES.tieringDependsOnlyOnShards();

    @ArchTest
    static final ArchRule securityDependsOnlyOnShards = RULES.securityDependsOnlyOnShards();

    @ArchTest
    static final ArchRule sqlDependsOnlyOnShardsAndSecurity = RULES.sqlDependsOnlyOnShardsAndSecurity();

    @ArchTest
    static final ArchRule timeseriesDependsOnlyOnShardsAndStreams = RULES.timeseriesDependsOnlyOnShardsAndStreams();

    @ArchTest
    static final ArchRule httpApiDependsOnlyOnTheModulesItServes = RULES.httpApiDependsOnlyOnTheModulesItServes();

    @ArchTest
    static final ArchRule onlyStorageInternalsUseRocksDb = RULES.onlyStorageInternalsUseRocksDb();

    @ArchTest
    static final ArchRule noModuleReachesIntoAnotherModulesInternals =
            RULES.noModuleReachesIntoAnotherModulesInternals();

    @ArchTest
    static final ArchRule onlyNodeUsesKamon = RULES.onlyNodeUsesKamon();

    @ArchTest
    static final ArchRule onlyVectorUsesLucene = RULES.onlyVectorUsesLucene();

    @ArchTest
    static final ArchRule onlySqlUsesCalcite = RULES.onlySqlUsesCalcite();
}
