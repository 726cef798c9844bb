package io.lumadb.client.boundaries;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

/**
 * The Java client's row of the module table in docs/architecture.md: it talks to servers over HTTP only,
 * so its main classes use no server module and no storage, index or metrics library. (The
 * server modules' rules are node/'s ModuleBoundariesTest; the client is on no class path there.)
 */
@AnalyzeClasses(packages = "io.lumadb.client", importOptions = ImportOption.DoNotIncludeTests.class)
class ClientBoundariesTest {

    private static final String FIXTURE = "io.lumadb.client.boundaries.fixture";

    @ArchTest
    static final ArchRule clientTalksHttpOnly = talksHttpOnly("io.lumadb.client..");

    static ArchRule talksHttpOnly(String clientPackage) {
        return noClasses()
                .that()
                .resideInAPackage(clientPackage)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.lumadb.persistence..",
                        "io.lumadb.shards..",
                        "io.lumadb.streams..",
                        "io.lumadb.cdc..",
                        "io.lumadb.security..",
                        "io.lumadb.vector..",
                        "io.lumadb.tiering..",
                        "io.lumadb.sql..",
                        "io.lumadb.timeseries..",
                        "io.lumadb.http..",
                        "io.lumadb.node..",
                        "org.rocksdb..",
                        "org.apache.lucene..",
                        "kamon..")
                .because("the Java client talks to servers over HTTP only: applications embed it"
                        + " without the server's code, storage or metrics");
    }

    @Test
    void theRuleCatchesAClientClassThatUsesAServerModule() {
        EvaluationResult result =
                talksHttpOnly(FIXTURE + "..").evaluate(new ClassFileImporter().importPackages(FIXTURE));

        String report = result.getFailureReport().toString();
        assertTrue(result.hasViolation(), report);
        assertTrue(report.contains("<" + FIXTURE + ".UsesShards.shards> has type <io.lumadb.shards.Shards>"), report);
        assertTrue(report.contains(", because the Java client talks to servers over HTTP only"), report);
    }
}
