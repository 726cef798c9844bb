package io.lumadb.node.boundaries;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The module table of docs/architecture.md as ArchUnit rules, for the modules below a root package:
 * {@code io.lumadb} for the real code, a fixture package for the test that breaks each rule on
 * purpose. Library packages (RocksDB, Lucene, Calcite, Kamon, Pekko) are the real ones either
 * way.
 */
public final class ModuleRules {

    private final String root;

    public ModuleRules(String root) {
        this.root = root;
    }

    /** The module's package pattern, e.g. {@code io.lumadb.shards..}. */
    private String module(String name) {
        return root + "." + name + "..";
    }

    /** The modules built today, in table order. */
    private static final List<String> BUILT = List.of(
            "persistence",
            "shards",
            "streams",
            "cdc",
            "security",
            "vector",
            "tiering",
            "sql",
            "timeseries",
            "http",
            "node");

    /** Every module of the table that has Java code, built or still to come. */
    private static final List<String> ALL = List.of(
            "persistence",
            "shards",
            "streams",
            "cdc",
            "security",
            "vector",
            "tiering",
            "sql",
            "timeseries",
            "http",
            "node");

    private String[] built() {
        return BUILT.stream().map(this::module).toArray(String[]::new);
    }

    /** Every module but {@code module} and those it may depend on. */
    private String[] othersThan(String module, String... allowed) {
        List<String> out = new ArrayList<>();
        for (String other : ALL) {
            if (!other.equals(module) && !List.of(allowed).contains(other)) {
                out.add(module(other));
            }
        }
        return out.toArray(String[]::new);
    }

    /**
     * The node's composition root for storage, the one class allowed to touch RocksDB and other
     * modules' internals outside the storage internals (nested classes included).
     */
    private DescribedPredicate<JavaClass> compositionRoot() {
        String name = root + ".node.StorageWiring";
        return DescribedPredicate.describe(
                "the composition root " + name,
                c -> c.getName().equals(name) || c.getName().startsWith(name + "$"));
    }

    /** Why the composition root may do what no other class may. */
    private static final String COMPOSITION_ROOT_REASON = "; the one exception is node's composition root"
            + " (StorageWiring): a node has one RocksDB, opened by persistence-plugins and shared by the journal"
            + " and the shards' state stores, and shards must not depend on persistence-plugins, so exactly one"
            + " class takes the database from persistence-plugins' internals and builds shards' stores on it";

    public ArchRule persistencePluginsDependOnNoOtherModule() {
        return noModuleBut(
                "persistence",
                List.of(),
                List.of(),
                "persistence-plugins is the bottom of the module table: generic Pekko Persistence"
                        + " plugins on RocksDB that know nothing about documents");
    }

    public ArchRule shardsDependOnNoOtherModule() {
        return noModuleBut(
                "shards",
                List.of(),
                List.of(),
                "shards may depend on Pekko only: it reads persistence-plugins' configuration,"
                        + " never its code, and every other module builds on shards");
    }

    public ArchRule streamsIsPekkoStreamsPlumbingOnly() {
        return noModuleBut(
                "streams",
                List.of(),
                List.of("org.apache.pekko.persistence..", "org.apache.pekko.cluster.."),
                "streams is the Pekko Streams plumbing that CDC, pub/sub and live queries share;"
                        + " it may depend on Pekko Streams only, not on persistence, the cluster or our modules");
    }

    public ArchRule cdcDependsOnlyOnShardsAndStreams() {
        return noModuleBut(
                "cdc",
                List.of("shards", "streams"),
                List.of(),
                "the change stream is built from shard events with the streams plumbing;"
                        + " dependencies point down the module table, never up");
    }

    public ArchRule securityDependsOnlyOnShards() {
        return noModuleBut(
                "security",
                List.of("shards"),
                List.of(),
                "security decides who a caller is and what it may do from the data model's names;"
                        + " every module that serves data asks it, so it can depend on none of them");
    }

    public ArchRule vectorDependsOnlyOnShardsAndStreams() {
        return noModuleBut(
                "vector",
                List.of("shards", "streams"),
                List.of(),
                "search indexes are kept from shard events and the shards' stores;"
                        + " dependencies point down the module table, never up");
    }

    public ArchRule tieringDependsOnlyOnShards() {
        return noModuleBut(
                "tiering",
                List.of("shards"),
                List.of(),
                "the cold tier moves the shards' documents and serves them back through the shards' stores;"
                        + " dependencies point down the module table, never up");
    }

    public ArchRule sqlDependsOnlyOnShardsAndSecurity() {
        return noModuleBut(
                "sql",
                List.of("shards", "security"),
                List.of(),
                "SQL is one more way to read the shards, with the same permissions as every other;"
                        + " dependencies point down the module table, never up");
    }

    public ArchRule timeseriesDependsOnlyOnShardsAndStreams() {
        return noModuleBut(
                "timeseries",
                List.of("shards", "streams"),
                List.of(),
                "time-series collections are shards whose appends are point batches, followed by projections;"
                        + " dependencies point down the module table, never up");
    }

    public ArchRule httpApiDependsOnlyOnTheModulesItServes() {
        return noModuleBut(
                "http",
                List.of("shards", "cdc", "security", "vector", "tiering", "sql", "timeseries"),
                List.of(),
                "http-api is thin: it translates HTTP to commands and queries of the modules"
                        + " below it, and knows neither the storage plugins nor the node that wires it");
    }

    /** {@code module} uses no module of ours but {@code allowed}, and none of {@code libraries}. */
    private ArchRule noModuleBut(String module, List<String> allowed, List<String> libraries, String reason) {
        List<String> forbidden = new ArrayList<>(List.of(othersThan(module, allowed.toArray(String[]::new))));
        forbidden.addAll(libraries);
        return noClasses()
                .that()
                .resideInAPackage(module(module))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(forbidden.toArray(String[]::new))
                .because(reason);
    }

    public ArchRule onlyStorageInternalsUseRocksDb() {
        return noClasses()
                .that()
                .resideInAnyPackage(built())
                .and()
                .resideOutsideOfPackages(
                        root + ".persistence..internal..",
                        root + ".shards.store.internal..",
                        root + ".timeseries.store.internal..")
                .and(not(compositionRoot()))
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.rocksdb..")
                .because("only the storage internals (the internal packages of persistence-plugins,"
                        + " shards' store.internal and timeseries' store.internal) touch RocksDB, so its native objects, their closing"
                        + " order and its exceptions stay behind our own interfaces"
                        + COMPOSITION_ROOT_REASON);
    }

    public ArchRule noModuleReachesIntoAnotherModulesInternals() {
        return classes()
                .that()
                .resideInAnyPackage(built())
                .and(not(compositionRoot()))
                .should(notDependOnAnotherModulesInternals())
                .because("an internal package is its own module's business: node/ wires the modules through"
                        + " their public interfaces, never through their internal packages"
                        + COMPOSITION_ROOT_REASON);
    }

    private ArchCondition<JavaClass> notDependOnAnotherModulesInternals() {
        return new ArchCondition<>("not depend on another module's internal packages") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    String target = dependency.getTargetClass().getPackageName();
                    boolean internal = target.contains(".internal.") || target.endsWith(".internal");
                    String module = moduleOf(target);
                    if (internal && module != null && !module.equals(moduleOf(origin.getPackageName()))) {
                        events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                    }
                }
            }
        };
    }

    /** The module a package belongs to, or null for a package of no module of ours. */
    private String moduleOf(String pkg) {
        for (String module : ALL) {
            String prefix = root + "." + module;
            if (pkg.equals(prefix) || pkg.startsWith(prefix + ".")) {
                return module;
            }
        }
        return null;
    }

    public ArchRule onlyNodeUsesKamon() {
        return onlyModuleUses(
                "node",
                "kamon..",
                "metrics are the node's concern: the other modules expose numbers, node/ reports them");
    }

    public ArchRule onlyVectorUsesLucene() {
        return onlyModuleUses(
                "vector",
                "org.apache.lucene..",
                "vector and full-text indexes are vector/'s; Lucene stays out of every other module");
    }

    public ArchRule onlySqlUsesCalcite() {
        return onlyModuleUses(
                "sql", "org.apache.calcite..", "SQL planning is sql/'s; Calcite stays out of every other module");
    }

    private ArchRule onlyModuleUses(String owner, String library, String reason) {
        return noClasses()
                .that()
                .resideInAnyPackage(othersThan(owner))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(library)
                .because(reason);
    }
}
