package io.lumadb.tiering;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.erasure.ErasureCoders;
import io.lumadb.tiering.fragment.FragmentStore;
import io.lumadb.tiering.fragment.LocalFragmentStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cold tier of a node: hot (a cache of cold bodies read recently), warm (the shard stores)
 * and cold (Reed-Solomon 6+3 segments). Started before the shards ({@link #start}) so that their
 * stores resolve cold pointers through it ({@link TieredStores}), then given the shards' catalog
 * and documents ({@link #attach}), which starts the migration singleton. What the API asks of
 * the tier goes through here.
 */
public final class Tiering {

    private static final Logger log = LoggerFactory.getLogger(Tiering.class);

    /** The extension request that seals a shard's selected documents into segments. */
    public static final String SEAL = "tiering.seal";
    /** The extension request that counts a shard's warm and cold documents and bytes. */
    public static final String USAGE = "tiering.usage";

    private final ActorSystem<?> system;
    private final TieringSettings settings;
    private final ColdStorage storage;
    private volatile ActorRef<TieringCoordinator.Command> coordinator;
    /** Set by {@link #attach}, before the API serves requests. */
    private volatile Catalog catalog;

    private volatile Documents documents;

    private Tiering(ActorSystem<?> system, TieringSettings settings, ColdStorage storage) {
        this.system = system;
        this.settings = settings;
        this.storage = storage;
    }

    /** Opens this node's fragment stores and serves them to the cluster. */
    public static Tiering start(ActorSystem<?> system, TieringSettings settings) {
        Executor executor = system.dispatchers().lookup(DispatcherSelector.fromConfig("lumadb-tiering-dispatcher"));
        ErasureCoder coder =
                switch (settings.coder()) {
                    case "java" -> ErasureCoders.java();
                    case "isa-l" ->
                        ErasureCoders.isal()
                                .orElseThrow(
                                        () -> new IllegalStateException(
                                                "lumadb.tiering.coder = isa-l, but libisal.so.2 cannot be loaded (install libisal2)"));
                    default -> ErasureCoders.best();
                };
        String nodeId = nodeId(Path.of(system.settings().config().getString("lumadb.data-dir")));
        List<FragmentStore> local = new ArrayList<>();
        for (int i = 0; i < settings.fragmentDirectories().size(); i++) {
            local.add(new LocalFragmentStore(
                    FragmentStores.name(nodeId, i),
                    settings.fragmentDirectories().get(i)));
        }
        FragmentStores stores = new FragmentStores(system, nodeId, local, settings.fragmentTimeout());
        ColdStorage storage =
                new ColdStorage(system, coder, stores, executor, settings.hotCacheBytes(), settings.stepTimeout());
        system.systemActorOf(FragmentHost.create(nodeId, local, executor), FragmentHost.NAME, Props.empty());
        system.systemActorOf(
                Behaviors.<Receptionist.Listing>setup(ctx -> {
                    ctx.getSystem().receptionist().tell(Receptionist.subscribe(FragmentHost.KEY, ctx.getSelf()));
                    return Behaviors.receiveMessage(listing -> {
                        stores.hostsListed(listing.getServiceInstances(FragmentHost.KEY));
                        return Behaviors.same();
                    });
                }),
                "lumadb-fragment-hosts",
                Props.empty());
        log.info(
                "Cold tier: erasure coder {}, fragments in {} (node {})",
                coder.name(),
                settings.fragmentDirectories().getFirst().getParent(),
                nodeId);
        return new Tiering(system, settings, storage);
    }

    /** This node's id for fragment placement, made once and kept in the data directory. */
    private static String nodeId(Path dataDir) {
        Path file = dataDir.resolve("cold-node-id");
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            }
            Files.createDirectories(dataDir);
            String id = UUID.randomUUID().toString().substring(0, 8);
            Path tmp = dataDir.resolve("cold-node-id.tmp");
            Files.writeString(tmp, id, StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the cold tier's node id in " + file, e);
        }
    }

    /** Starts the migration singleton (on one node of the cluster) with the shards it moves data of. */
    public void attach(Catalog catalog, Documents documents) {
        Migrations migrations = new Migrations(system, catalog, documents, settings, storage);
        this.catalog = catalog;
        this.documents = documents;
        ActorRef<TieringCoordinator.Command> proxy = ClusterSingleton.get(system)
                .init(SingletonActor.of(
                        Behaviors.supervise(TieringCoordinator.create(migrations, settings))
                                .onFailure(SupervisorStrategy.restartWithBackoff(
                                        Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2)),
                        "lumadb-tiering"));
        coordinator = proxy;
        storage.coordinator(proxy);
    }

    ColdTier reader() {
        return storage;
    }

    Executor executor() {
        return storage.executor();
    }

    /** The erasure coder this node uses. */
    public String coderName() {
        return storage.coderName();
    }

    /** Answers a shard-side request ({@link #SEAL}, {@link #USAGE}) over the shard's store. */
    byte[] answer(ShardStore store, String kind, byte[] request) {
        if (kind.equals(SEAL)) {
            Sealer.Request seal = Migrations.read(request, Sealer.Request.class);
            return Migrations.json(storage.sealer().seal(store, seal));
        }
        return Migrations.json(usage(store));
    }

    /** A shard's documents by tier: warm ones with their JSON bytes, cold ones with the bytes of their pointers. */
    public record Usage(long warmDocuments, long warmBytes, long coldDocuments, long pointerBytes) {
        Usage plus(Usage o) {
            return new Usage(
                    warmDocuments + o.warmDocuments,
                    warmBytes + o.warmBytes,
                    coldDocuments + o.coldDocuments,
                    pointerBytes + o.pointerBytes);
        }
    }

    private static Usage usage(ShardStore store) {
        long warm = 0;
        long warmBytes = 0;
        long cold = 0;
        long pointerBytes = 0;
        String after = null;
        for (List<StoredDocument> page; !(page = store.scan(after, 1024)).isEmpty(); ) {
            for (StoredDocument d : page) {
                if (ColdTier.isPointer(d.json())) {
                    cold++;
                    pointerBytes += d.json().length;
                } else {
                    warm++;
                    warmBytes += d.json().length;
                }
            }
            after = page.getLast().id();
        }
        return new Usage(warm, warmBytes, cold, pointerBytes);
    }

    void shardDropped(String shard) {
        ActorRef<TieringCoordinator.Command> to = coordinator;
        if (to != null) {
            to.tell(new TieringCoordinator.ShardDropped(shard));
        }
    }

    // ---- the API

    /** A collection's tiers: its policy, its documents by tier, its segments and this node's hot cache. */
    public record Overview(
            Policy policy,
            Usage usage,
            int segments,
            long segmentBytes,
            long storedBytes,
            List<String> damaged,
            long hotDocuments,
            long hotBytes,
            String coder) {}

    public CompletionStage<Overview> describe(String database, String collection) {
        return catalog.resolve(database, collection, false).thenCompose(info -> {
            CompletionStage<Usage> usage = usage(info);
            return ask(r -> new TieringCoordinator.Describe(key(info), r), settings.stepTimeout())
                    .thenCombine(usage, (reply, u) -> {
                        TieringCoordinator.Described d = (TieringCoordinator.Described) reply;
                        return new Overview(
                                d.policy(),
                                u,
                                d.totals().segments(),
                                d.totals().segmentBytes(),
                                d.totals().storedBytes(),
                                d.damaged(),
                                storage.hot().documents(),
                                storage.hot().bytes(),
                                storage.coderName());
                    });
        });
    }

    private CompletionStage<Usage> usage(CollectionInfo info) {
        CompletionStage<Usage> total = CompletableFuture.completedFuture(new Usage(0, 0, 0, 0));
        for (int shard = 0; shard < info.shards(); shard++) {
            int n = shard;
            CompletionStage<Usage> one = documents
                    .ask(
                            info,
                            n,
                            r -> new ShardEntity.Extension(
                                    USAGE, new byte[0], info.indexesVersion(), info.indexes(), r),
                            settings.stepTimeout())
                    .thenApply(reply -> switch (reply) {
                        case ShardEntity.ExtensionAnswered a -> Migrations.read(a.answer(), Usage.class);
                        case ShardEntity.QueryFailed f -> throw Queries.failure(f);
                        default -> throw new IllegalStateException("unexpected answer " + reply);
                    });
            total = total.thenCombine(one, Usage::plus);
        }
        return total;
    }

    /** Sets the collection's policy; null removes it (documents already cold stay cold). */
    public CompletionStage<Void> setPolicy(String database, String collection, Policy policy) {
        return catalog.resolve(database, collection, false)
                .thenCompose(info ->
                        ask(r -> new TieringCoordinator.SetPolicy(key(info), policy, r), settings.stepTimeout()))
                .thenApply(reply -> null);
    }

    /** How a move went. */
    public record MoveOutcome(long documents, int segments, long segmentBytes) {}

    /**
     * Moves the collection's warm documents (only a filter's matches, with one) to the cold tier
     * now; completes when they are cold.
     *
     * @throws io.lumadb.shards.query.QueryException (in the stage) for a filter that is not valid JQL
     */
    public CompletionStage<MoveOutcome> move(String database, String collection, JsonNode filter, Duration timeout) {
        String filterJson = null;
        if (filter != null && !filter.isNull()) {
            QuerySpec.ofFilter(filter, QueryLimits.DEFAULTS);
            filterJson = filter.toString();
        }
        String f = filterJson;
        return catalog.resolve(database, collection, false)
                .thenCompose(info -> ask(r -> new TieringCoordinator.Move(key(info), f, r), timeout))
                .thenApply(reply -> {
                    TieringCoordinator.Moved m = (TieringCoordinator.Moved) reply;
                    return new MoveOutcome(m.documents(), m.segments(), m.segmentBytes());
                });
    }

    /** How a scrub went. */
    public record ScrubOutcome(int segments, int repairedFragments, List<String> damaged, int orphansDeleted) {}

    /** Verifies every fragment of the tier now and repairs what it can. */
    public CompletionStage<ScrubOutcome> scrub(Duration timeout) {
        return ask(TieringCoordinator.Scrub::new, timeout).thenApply(reply -> {
            TieringCoordinator.ScrubDone s = (TieringCoordinator.ScrubDone) reply;
            return new ScrubOutcome(s.segments(), s.repairedFragments(), s.damaged(), s.orphansDeleted());
        });
    }

    /** This node's counters of the cold tier, for metrics. */
    public record Counters(long hotDocuments, long hotBytes, long coldReads, long degradedReads, long failedReads) {}

    public Counters counters() {
        return new Counters(
                storage.hot().documents(),
                storage.hot().bytes(),
                storage.coldReads.get(),
                storage.degradedReads.get(),
                storage.failedReads.get());
    }

    /** The whole tier's committed segments (cluster-wide, from the manifest). */
    public CompletionStage<TieringCoordinator.Totals> totals() {
        return ask(TieringCoordinator.GetTotals::new, settings.stepTimeout())
                .thenApply(reply -> (TieringCoordinator.Totals) reply);
    }

    private static String key(CollectionInfo info) {
        return info.database() + "/" + info.name();
    }

    private CompletionStage<TieringCoordinator.Reply> ask(
            java.util.function.Function<ActorRef<TieringCoordinator.Reply>, TieringCoordinator.Command> message,
            Duration timeout) {
        ActorRef<TieringCoordinator.Command> to = coordinator;
        if (to == null) {
            return CompletableFuture.failedFuture(
                    new io.lumadb.shards.ShardUnavailableException("the cold tier is starting; retry", null));
        }
        return AskPattern.<TieringCoordinator.Command, TieringCoordinator.Reply>ask(
                        to, message::apply, timeout, system.scheduler())
                .handle((reply, failure) -> {
                    if (failure != null) {
                        throw new io.lumadb.shards.ShardUnavailableException(
                                "the cold tier's coordinator did not answer in time", failure);
                    }
                    if (reply instanceof TieringCoordinator.Failed f) {
                        throw new io.lumadb.shards.ShardUnavailableException("the cold tier: " + f.message(), null);
                    }
                    return reply;
                });
    }
}
