package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.topics.TopicSettings;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.http.ApiContext;
import io.lumadb.http.ApiHandler;
import io.lumadb.http.HttpSettings;
import io.lumadb.http.WebSocketSettings;
import io.lumadb.persistence.journal.JournalChanges;
import io.lumadb.persistence.rocksdb.StorageHealth;
import io.lumadb.security.Security;
import io.lumadb.security.SecuritySettings;
import io.lumadb.shards.Shards;
import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.StorageCondition;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.sql.SqlEngine;
import io.lumadb.sql.SqlSettings;
import io.lumadb.sql.pgwire.PgServer;
import io.lumadb.sql.pgwire.PgSettings;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.tiering.TieredStores;
import io.lumadb.tiering.Tiering;
import io.lumadb.tiering.TieringSettings;
import io.lumadb.timeseries.downsample.ProjectionDownsampler;
import io.lumadb.timeseries.shard.TimeSeriesStores;
import io.lumadb.vector.Search;
import io.lumadb.vector.SearchNode;
import io.lumadb.vector.SearchSettings;
import io.lumadb.vector.SearchStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LumaDB node: the actor system (a cluster that, with no seed nodes configured, joins
 * itself), the node's RocksDB, the data layer and the HTTP API. In cluster mode the journal is
 * the shared one in PostgreSQL and Pekko Management serves health checks. {@code SIGTERM} runs Pekko's
 * coordinated shutdown: the API unbinds, shards stop, and RocksDB is flushed and closed.
 */
public final class LumaDbServer {

    private static final Logger log = LoggerFactory.getLogger(LumaDbServer.class);

    private final ActorSystem<Void> system;
    private final HttpEdge binding;
    private final Optional<PgServer> postgres;

    private LumaDbServer(ActorSystem<Void> system, HttpEdge binding, Optional<PgServer> postgres) {
        this.system = system;
        this.binding = binding;
        this.postgres = postgres;
    }

    /** What {@code java -jar lumadb.jar --help} prints: the node takes settings, never arguments. */
    static final String USAGE = """
            Usage: java --add-modules jdk.incubator.vector -jar lumadb.jar

            Starts a LumaDB node (bin/server does this with the right JVM options). The node takes
            no arguments: settings come from -D<setting>=<value> JVM options (README.md,
            "Configuration") and the environment (LUMADB_HTTP_PORT, LUMADB_DATA_DIR, LUMADB_MODE,
            LUMADB_CLUSTER_*). Without any: HTTP on http://127.0.0.1:8080, data in ./data.
            """;

    public static void main(String[] args) {
        if (args.length > 0) {
            boolean help = args.length == 1 && List.of("-h", "--help", "help").contains(args[0]);
            (help ? System.out : System.err)
                    .print((help ? "" : "LumaDB takes no arguments (got: " + String.join(" ", args) + ")\n\n") + USAGE);
            System.exit(help ? 0 : 64);
            return;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            // Checked before anything opens: the cold tier's erasure coder needs the Vector API.
            System.err.println("LumaDB failed to start: the JVM needs --add-modules jdk.incubator.vector"
                    + " (bin/server adds it): java --add-modules jdk.incubator.vector -jar lumadb.jar");
            System.exit(1);
            return;
        }
        LumaDbServer server;
        try {
            server = start(ConfigFactory.empty());
        } catch (RuntimeException e) {
            // One line says what to fix; the stack trace is for debugging LumaDB itself.
            log.debug("LumaDB failed to start", e);
            System.err.println("LumaDB failed to start: "
                    + (e instanceof StartupChecks.StartupException ? e.getMessage() : StartupChecks.describe(e)));
            System.exit(1);
            return;
        }
        server.system.getWhenTerminated().toCompletableFuture().join();
        // Kamon's threads would keep the JVM alive after the node has stopped.
        System.exit(0);
    }

    /**
     * The configuration of a node: {@code overrides}, then (in cluster mode) what {@link
     * ClusterMode} derives, then application.conf and the defaults. System properties win over all.
     */
    public static Config config(Config overrides) {
        Config application = overrides.withFallback(ConfigFactory.defaultApplication());
        Config plain = ConfigFactory.load(application);
        if (!ClusterMode.enabled(plain)) {
            return plain;
        }
        return ConfigFactory.load(
                overrides.withFallback(ClusterMode.layer(plain)).withFallback(ConfigFactory.defaultApplication()));
    }

    /** Starts a node; blocks until the API listens. Fails if the port or data directory cannot be had. */
    public static LumaDbServer start(Config overrides) {
        Config checked = config(overrides);
        boolean cluster = ClusterMode.enabled(checked);
        StartupChecks.check(checked, cluster);
        Optional<HttpTls> tls = HttpTls.from(checked);
        Config config = OpenFileBudget.fit(checked);
        ClusterFormation formation = null;
        if (cluster) {
            ClusterMode.ensureJournal(config);
            formation = ClusterFormation.prepare(config);
            if (formation != null) {
                config = formation.config();
            }
        }
        NodeMetrics metrics = NodeMetrics.start(config);
        ActorSystem<Void> system = ActorSystem.create(
                guardian(formation != null && formation.joinOnly()),
                config.getString("lumadb.cluster.system-name"),
                config);
        if (formation != null) {
            formation.start(system);
        }
        HeapTarget.start(system, config);
        try {
            StorageWiring wiring = StorageWiring.open(system);
            SearchNode search = SearchNode.start(system, SearchSettings.from(config));
            Tiering tiering = Tiering.start(system, TieringSettings.from(config));
            TimeSeriesStores timeSeries = new TimeSeriesStores(
                    wiring.shardStores(),
                    wiring.timeSeries(),
                    config.getDuration("lumadb.timeseries.retention-sweep").toMillis(),
                    () -> System.currentTimeMillis() * 1_000_000L,
                    config.getInt("lumadb.timeseries.query-threads"));
            timeSeries.downsampler(
                    new ProjectionDownsampler(system, config.getString("lumadb.timeseries.read-journal")));
            Shards shards = Shards.start(system, new SearchStores(new TieredStores(timeSeries, tiering), search));
            system.getWhenTerminated().thenRun(timeSeries::close);
            tiering.attach(shards.catalog(), shards.documents());
            TimeSeriesUpkeep.start(
                    system,
                    shards.catalog(),
                    new io.lumadb.timeseries.shard.TimeSeriesQueries(shards.documents()),
                    config.getDuration("lumadb.timeseries.open-every"));
            JournalChanges.get(Adapter.toClassic(system)).setMetrics(metrics::recordJournalWrite);
            shards.localShards().onRecovered(metrics::recordShardRecovery);
            watchStorage(system, wiring.health(), metrics);
            watchEncryption(system, wiring, metrics);
            watchShards(system, metrics);

            HttpSettings http = HttpSettings.from(config);
            Security security = Security.start(system, SecuritySettings.from(config));
            system.getWhenTerminated().thenRun(security::close);
            AuditWiring.start(system, config, security, shards, metrics, cluster);
            if (security.enabled()) {
                InitialAdmin.create(security, Path.of(config.getString("lumadb.data-dir")), cluster);
            }
            ChangeStreams changeStreams = ChangeStreams.create(system, shards.catalog(), shards.queries());
            Topics topics = Topics.create(system, TopicSettings.fromConfig(config));
            Duration sample = config.getDuration("lumadb.metrics.shard-sample-interval");
            system.scheduler()
                    .scheduleAtFixedRate(
                            sample, sample, () -> metrics.streams(changeStreams, topics), system.executionContext());
            system.scheduler()
                    .scheduleAtFixedRate(
                            sample,
                            sample,
                            () -> {
                                metrics.downsampling(timeSeries.downsamplingLag());
                                metrics.tiering(tiering.counters());
                                tiering.totals().thenAccept(metrics::tieringTotals);
                            },
                            system.executionContext());
            SqlEngine sql = new SqlEngine(SqlBackend.of(shards), SqlSettings.from(config));
            system.getWhenTerminated().thenRun(sql::close);
            String version = Optional.ofNullable(LumaDbServer.class.getPackage().getImplementationVersion())
                    .orElse("dev");
            NodeBackups backups = new NodeBackups(
                    Path.of(config.getString("lumadb.data-dir")),
                    wiring.checkpoint(),
                    shards.catalog(),
                    cluster,
                    wiring.cipher().enabled(),
                    TieringSettings.from(config).fragmentDirectories(),
                    SearchSettings.from(config).directory(),
                    version);
            system.getWhenTerminated().thenRun(backups::close);
            ApiHandler handler = new ApiHandler(
                    new ApiContext(
                            system,
                            shards.catalog(),
                            shards.documents(),
                            shards.queries(),
                            changeStreams,
                            topics,
                            http,
                            WebSocketSettings.from(config),
                            metrics::scrape,
                            security,
                            new Search(
                                    shards.catalog(),
                                    shards.documents(),
                                    SearchSettings.from(config),
                                    ShardsSettings.from(config)),
                            tiering,
                            sql,
                            backups),
                    metrics);
            HttpEdge binding = HttpEdge.bind(system, http.host(), http.port(), tls, handler)
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
            Optional<PgServer> postgres = PgServer.start(
                            system,
                            PgSettings.from(config, http.host()),
                            sql,
                            security,
                            Optional.ofNullable(LumaDbServer.class.getPackage().getImplementationVersion())
                                    .orElse("dev"))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            postgres.ifPresent(pg -> org.apache.pekko.actor.CoordinatedShutdown.get(system)
                    .addTask(
                            org.apache.pekko.actor.CoordinatedShutdown.PhaseServiceUnbind(),
                            "lumadb-postgres-unbind",
                            pg::unbind));
            if (cluster) {
                StorageCondition storage = StorageCondition.get(system);
                ApiReadinessCheck.register(Adapter.toClassic(system), () -> shards.catalog()
                        .refresh()
                        .toCompletableFuture()
                        .orTimeout(2, TimeUnit.SECONDS)
                        .handle((snapshot, failure) ->
                                failure == null && storage.current().isEmpty()));
                PekkoManagement.get(Adapter.toClassic(system))
                        .start()
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
            }
            log.info(
                    "LumaDB listening on {}://{}:{} with data in {} ({}, {})",
                    tls.isPresent() ? "https" : "http",
                    http.host(),
                    binding.localAddress().getPort(),
                    wiring.dataDir(),
                    cluster
                            ? "cluster mode, journal " + config.getString("lumadb.cluster.postgres.url")
                                    + ", management on port " + config.getInt("pekko.management.http.port")
                            : "embedded",
                    security.enabled() ? "security on" : "SECURITY OFF: anyone reaching the port may do everything");
            return new LumaDbServer(system, binding, postgres);
        } catch (Exception e) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            Throwable cause =
                    e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /**
     * The guardian: joins the cluster (itself, when no seed nodes are configured, unless {@code
     * joinOnly}: then the formation lease decides when it may, see {@link ClusterFormation}).
     */
    private static Behavior<Void> guardian(boolean joinOnly) {
        return Behaviors.setup(ctx -> {
            Cluster cluster = Cluster.get(ctx.getSystem());
            if (!joinOnly
                    && ctx.getSystem()
                            .settings()
                            .config()
                            .getStringList("pekko.cluster.seed-nodes")
                            .isEmpty()) {
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            return Behaviors.empty();
        });
    }

    /**
     * Passes the storage's condition on to the data layer and the API ({@link StorageCondition}:
     * shards refuse writes, {@code /ready} answers 503) and to the metrics.
     */
    private static void watchStorage(ActorSystem<Void> system, StorageHealth health, NodeMetrics metrics) {
        StorageCondition condition = StorageCondition.get(system);
        health.addListener(new StorageHealth.Listener() {
            @Override
            public void changed(java.util.Optional<StorageHealth.Condition> now) {
                condition.set(
                        now.map(c -> new StorageCondition.Unwritable(c.kind().slug(), c.reason(), c.since())));
                metrics.storageWritable(now.isEmpty());
            }

            @Override
            public void noSpaceError() {
                metrics.storageNoSpaceError();
            }
        });
    }

    /** Starts the background re-encryption and samples its progress into the metrics. */
    private static void watchEncryption(ActorSystem<Void> system, StorageWiring wiring, NodeMetrics metrics) {
        Reencryption reencryption = wiring.reencryption();
        int keyId = wiring.cipher().activeKeyId();
        metrics.encryption(keyId, 0, false);
        reencryption.start();
        Duration every = system.settings().config().getDuration("lumadb.metrics.shard-sample-interval");
        system.scheduler()
                .scheduleAtFixedRate(
                        every,
                        every,
                        () -> metrics.encryption(keyId, reencryption.rewritten(), reencryption.running()),
                        system.executionContext());
    }

    /** Samples the shards hosted by this node into the metrics every few seconds. */
    private static void watchShards(ActorSystem<Void> system, NodeMetrics metrics) {
        Duration every = system.settings().config().getDuration("lumadb.metrics.shard-sample-interval");
        system.scheduler()
                .scheduleAtFixedRate(
                        every,
                        every,
                        () -> {
                            CompletionStage<ShardRegion.CurrentShardRegionState> state = AskPattern.ask(
                                    ClusterSharding.get(system).shardState(),
                                    replyTo -> new GetShardRegionState(ShardEntity.TYPE_KEY, replyTo),
                                    Duration.ofSeconds(5),
                                    system.scheduler());
                            state.thenAccept(s -> metrics.shards(
                                    s.getShards().stream()
                                            .mapToInt(shard ->
                                                    shard.getEntityIds().size())
                                            .sum(),
                                    s.getShards().size()));
                        },
                        system.executionContext());
    }

    /** The port the PostgreSQL protocol listens on, if it does. */
    public Optional<Integer> postgresPort() {
        return postgres.map(PgServer::port);
    }

    /** The port the API listens on. */
    public int port() {
        return binding.localAddress().getPort();
    }

    public ActorSystem<Void> system() {
        return system;
    }

    /** Stops the node as SIGTERM does and waits until RocksDB is closed. */
    public void stop() {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().join();
    }
}
