package io.lumadb.shards.shard;

import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.StorageCondition;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.QueryTimeoutException;
import io.lumadb.shards.query.plan.QueryCursor;
import io.lumadb.shards.query.plan.ShardQueryExecutor;
import io.lumadb.shards.query.plan.ShardQueryResult;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One data shard: a cluster-sharded entity that owns the shard's state store. Reads are served
 * from the store at once, so they never wait behind writes. Writes are group-committed: while
 * the shard's {@link ShardWriter} persists one batch, new writes queue here and go to the
 * journal together as the next batch.
 *
 * <p>Queries run on the query dispatcher over a consistent snapshot of the store, so they delay
 * neither writes nor point reads. Secondary indexes follow the catalog: every query and index
 * request carries the collection's index set, which the shard adopts when it is newer than its
 * own, and new indexes are built in the background in steps that interleave with writes.
 *
 * <p>Before it serves anything, the shard checks with the catalog that its collection
 * incarnation is live, so a dropped collection's shard is never brought back by a late request.
 */
public final class ShardEntity {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "lumadb-shard");

    // ---- commands

    /** What a shard is asked to do. */
    public sealed interface Command extends CborSerializable {}

    /**
     * Writes to documents of this shard; executed in order, in one journal event. A Write sent
     * again with the same {@code requestId} (null: none) is answered with the first one's
     * outcomes instead of being applied again, so a sender may resend when an answer is late.
     * {@code schema} is the collection's declared schema at catalog version {@code schemaVersion}
     * (0: the sender does not know), adopted first if it is newer than the shard's.
     */
    public record Write(
            List<DocumentWrite> writes, String requestId, long schemaVersion, String schema, ActorRef<Reply> replyTo)
            implements Command {
        public Write {
            writes = List.copyOf(writes);
        }

        /** Writes checked against the schema the shard knows. */
        public Write(List<DocumentWrite> writes, String requestId, ActorRef<Reply> replyTo) {
            this(writes, requestId, 0, null, replyTo);
        }
    }

    /** Reads one document of this shard. */
    public record Get(String id, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Reads one document of this shard linearizably: answered only once the shard's journal is
     * confirmed to hold no event this copy has not applied (see {@link
     * io.lumadb.shards.ShardsSettings#confirmReadJournal}). A copy that a split brain or a long
     * pause left behind another node's writer answers {@link Unavailable} instead of its stale
     * document.
     */
    public record GetConfirmed(String id, ActorRef<Reply> replyTo) implements Command {}

    /** Lists documents after {@code after} (null: from the start) in id order. */
    public record ListDocuments(String after, int limit, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Runs a query on this shard. {@code indexes} is the collection's index set at catalog
     * version {@code indexesVersion}, adopted first if it is newer than the shard's.
     *
     * @param spec the request body (the query is parsed again here)
     * @param afterValues the cursor's sort values, or null for the first page
     * @param timeoutMillis how long the query may run here
     */
    public record Query(
            int shard,
            String spec,
            byte[] afterValues,
            String afterId,
            long timeoutMillis,
            long indexesVersion,
            List<IndexDefinition> indexes,
            ActorRef<Reply> replyTo)
            implements Command {
        public Query {
            indexes = List.copyOf(indexes);
        }
    }

    /** Adopts the index set if newer and answers the shard's index states. */
    public record GetIndexes(long indexesVersion, List<IndexDefinition> indexes, ActorRef<Reply> replyTo)
            implements Command {
        public GetIndexes {
            indexes = List.copyOf(indexes);
        }
    }

    /** Asks for the shard's {@link ShardMeta}. */
    public record GetMeta(ActorRef<Reply> replyTo) implements Command {}

    /**
     * A request for a module layered over the shard's store ({@link ShardStore#extension}), such
     * as a search; {@code indexes} is the collection's index set at catalog version {@code
     * indexesVersion}, adopted first if it is newer than the shard's. Answered with {@link
     * ExtensionAnswered} or {@link QueryFailed}.
     */
    public record Extension(
            String kind, byte[] request, long indexesVersion, List<IndexDefinition> indexes, ActorRef<Reply> replyTo)
            implements Command {
        public Extension {
            indexes = List.copyOf(indexes);
        }
    }

    /**
     * Points documents to the cold tier, where their bodies have been written and verified: a
     * journal event, so it is durable once answered ({@link Cooled}); documents written since
     * they were sealed stay as they are.
     */
    public record Cool(List<ColdTier.Entry> entries, ActorRef<Reply> replyTo) implements Command {
        public Cool {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Appends {@code batch}, in the bytes of the module layered over the shard's store that takes
     * appends of {@code kind} ({@link ShardStore#appendProblem}; the {@code timeseries} module's point
     * batches), to this shard: group-committed with the other appends of that kind waiting here as
     * one journal event, applied by that module and answered with {@link Appended} once durable.
     * A shard whose store takes no such appends, or not these bytes, answers {@link QueryFailed}
     * ({@code invalid}) and
     * writes nothing. Appending the same batch again must be harmless to that module (time-series
     * points merge by series and time), so there is no request id.
     */
    public record Append(String kind, byte[] batch, ActorRef<Reply> replyTo) implements Command {}

    /** Stops the shard and deletes its state store; sent after the catalog dropped the collection. */
    public record Drop(ActorRef<Reply> replyTo) implements Command {}

    /** Sharding's passivation message: finish the batch in flight, then stop. */
    public enum Passivate implements Command {
        INSTANCE
    }

    private record CatalogChecked(CatalogSnapshot snapshot, Throwable failure) implements Command {}

    /**
     * The journal's answer for a linearizable read: whether it holds events after {@code applied}
     * (null with a failure), for the document read at {@code applied}.
     */
    private record ReadChecked(
            GetConfirmed read, long applied, StoredDocument document, Boolean newer, Throwable failure, int attempt)
            implements Command {}

    private record ConfirmAgain(GetConfirmed read, int attempt) implements Command {}

    record WriterReady(long seq) implements Command {}

    enum BatchDone implements Command {
        INSTANCE
    }

    private enum WriterStopped implements Command {
        INSTANCE
    }

    private enum RestartWriter implements Command {
        INSTANCE
    }

    private enum BuildIndexes implements Command {
        INSTANCE
    }

    // ---- replies

    /** Every answer of a shard. */
    public sealed interface Reply extends CborSerializable {}

    /** The document, or null when there is none. */
    public record Found(StoredDocument document) implements Reply {}

    /**
     * A page of documents in id order; {@code cut} when it stopped early at the byte bound of a
     * page ({@code lumadb.query.max-result-bytes}), so the shard may hold more after its last id.
     */
    public record Listed(List<StoredDocument> documents, boolean cut) implements Reply {
        public Listed {
            documents = List.copyOf(documents);
        }
    }

    /** The outcome of each write of a {@link Write}, in its order; successes are durable. */
    public record Written(List<WriteOutcome> outcomes) implements Reply {
        public Written {
            outcomes = List.copyOf(outcomes);
        }
    }

    /** The shard's applied sequence number, last version and document count. */
    public record Meta(ShardMeta meta) implements Reply {}

    /** How many documents of a {@link Cool} now point to the cold tier, as of journal event {@code seq}. */
    public record Cooled(int documents, long seq) implements Reply {}

    /** A query's answer from this shard. */
    public record QueryAnswered(ShardQueryResult result) implements Reply {}

    /** The answer of an {@link Extension}, in the bytes of the module that answered it. */
    public record ExtensionAnswered(byte[] answer) implements Reply {}

    /** An {@link Append} is durable; {@code answer} is the module's own answer to it. */
    public record Appended(byte[] answer) implements Reply {}

    /**
     * Why a query failed here: {@code invalid} (with a pointer), {@code timeout}, {@code unavailable}
     * or {@code internal} (a bug, logged on the shard's node; the message names no Java class).
     */
    public record QueryFailed(String kind, String pointer, String message) implements Reply {}

    /** The shard's secondary indexes and how many documents it holds. */
    /** The shard's indexes, document count and applied sequence number (its change-stream position). */
    public record Indexes(List<IndexState> indexes, long documentCount, long appliedSeq) implements Reply {
        public Indexes {
            indexes = List.copyOf(indexes);
        }
    }

    /** The shard stopped and its state store is deleted. */
    public enum Dropped implements Reply {
        INSTANCE
    }

    /** This shard's collection incarnation no longer exists: refresh the catalog and retry. */
    public enum CollectionGone implements Reply {
        INSTANCE
    }

    /**
     * The shard cannot answer now. {@code untouched}: the request certainly took no effect
     * (the shard was starting, stopping or refusing writes), so it may be sent again; otherwise,
     * for a write, whether it took effect is unknown, unless the reason says nothing was written
     * (a write refused while the node's storage is unwritable: resending it at once is pointless).
     */
    public record Unavailable(String reason, boolean untouched) implements Reply {}

    /**
     * A document this request needs is in the cold tier and cannot be read now ({@link
     * io.lumadb.shards.ColdDataUnavailableException}); nothing was written.
     */
    public record ColdUnavailable(String reason) implements Reply {}

    // ---- creation

    /** Registers the shard entity type with cluster sharding on this node. */
    public static void init(ActorSystem<?> system, ShardStores stores, LocalShards local, ShardsSettings settings) {
        ClusterSharding.get(system)
                .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard(), stores, local, settings))
                        .withStopMessage(Passivate.INSTANCE)
                        .withEntityProps(DispatcherSelector.fromConfig("lumadb.shards.dispatcher")));
    }

    public static EntityRef<Command> ref(ActorSystem<?> system, String entityId) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId);
    }

    /**
     * @param shard the sharding shard hosting this entity, asked to passivate it: an entity must
     *     not stop on its own, or the requests already in its mailbox are lost
     */
    public static Behavior<Command> create(
            String entityId,
            ActorRef<ClusterSharding.ShardCommand> shard,
            ShardStores stores,
            LocalShards local,
            ShardsSettings settings) {
        return Behaviors.withStash(
                settings.stashCapacity(),
                stash -> Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                        new ShardEntity(ctx, stash, timers, shard, entityId, stores, local, settings).checking())));
    }

    /** How often a linearizable read is tried again while the journal is ahead of this copy, and how long apart. */
    private static final int CONFIRM_ATTEMPTS = 5;

    private static final Duration CONFIRM_RETRY = Duration.ofMillis(10);

    /**
     * Most bytes of appends one journal event carries (one larger append goes alone): well inside
     * the cluster's largest message, and a bound on what one group commit holds up.
     */
    private static final long MAX_APPEND_EVENT_BYTES = 4L << 20;

    private final ActorContext<Command> context;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final String entityId;
    private final ShardStores stores;
    private final LocalShards local;
    private final ShardsSettings settings;
    /** Writes and appends waiting for the writer, in arrival order. */
    private final ArrayDeque<Command> pending = new ArrayDeque<>();

    private final List<ActorRef<Reply>> dropRequests = new ArrayList<>();
    private List<? extends Command> inFlight = List.of();
    private ShardStore store;
    private Executor queryExecutor;
    /** The collection's declared schema as this shard last learned it (null: none). */
    private CollectionSchema schema;

    private long schemaVersion;
    // Query failures are logged from the query threads, where the actor's own logger must not be used.
    private static final org.slf4j.Logger QUERY_LOG = org.slf4j.LoggerFactory.getLogger(ShardEntity.class);

    /** The threads shards run their queries on ({@code lumadb.shards.query-dispatcher}). */
    public static final DispatcherSelector QUERY_DISPATCHER =
            DispatcherSelector.fromConfig("lumadb.shards.query-dispatcher");

    private boolean building;
    private ActorRef<ShardWriter.Command> writer;
    private JournalProbe probe;
    private boolean stopping;
    private int writerFailures;
    private final StorageCondition storage;

    private ShardEntity(
            ActorContext<Command> context,
            StashBuffer<Command> stash,
            TimerScheduler<Command> timers,
            ActorRef<ClusterSharding.ShardCommand> shard,
            String entityId,
            ShardStores stores,
            LocalShards local,
            ShardsSettings settings) {
        this.context = context;
        this.local = local;
        this.stash = stash;
        this.timers = timers;
        this.shard = shard;
        this.entityId = entityId;
        this.stores = stores;
        this.settings = settings;
        this.storage = StorageCondition.get(context.getSystem());
    }

    // ---- starting: is our collection incarnation live?

    private Behavior<Command> checking() {
        context.pipeToSelf(
                CatalogEntity.ref(context.getSystem()).ask(CatalogEntity.GetSnapshot::new, settings.askTimeout()),
                CatalogChecked::new);
        return Behaviors.receive(Command.class)
                .onMessage(CatalogChecked.class, this::onCatalogChecked)
                .onMessage(Command.class, this::stashOrReject)
                .build();
    }

    private Behavior<Command> onCatalogChecked(CatalogChecked checked) {
        if (checked.failure() != null) {
            context.getLog()
                    .warn(
                            "Shard {} cannot reach the catalog: {}",
                            entityId,
                            checked.failure().toString());
            return passivateAnswering(
                    new Unavailable("catalog unreachable: " + checked.failure().getMessage(), true));
        }
        String[] parts = entityId.split("/");
        boolean live = parts.length == 4 && checked.snapshot().isLive(parts[0], parts[1], Long.parseLong(parts[2]));
        if (!live) {
            // Left over from a drop that did not finish (a crash): this node owns the shard, so clean up.
            stores.drop(entityId);
            return passivateAnswering(CollectionGone.INSTANCE);
        }
        store = stores.open(entityId);
        CollectionInfo info = checked.snapshot().collection(parts[0], parts[1]).orElseThrow();
        store.syncIndexes(info.indexesVersion(), info.indexes());
        adoptSchema(info.schemaVersion(), info.schema());
        queryExecutor = context.getSystem().dispatchers().lookup(QUERY_DISPATCHER);
        return startWriter();
    }

    private Behavior<Command> startWriter() {
        writer = context.spawn(
                ShardWriter.create(entityId, store, settings, local::recovered, context.getSelf()),
                "writer-" + writerFailures,
                DispatcherSelector.sameAsParent());
        context.watchWith(writer, WriterStopped.INSTANCE);
        return recovering();
    }

    /** Answers everything with {@code reply} (a drop with Dropped) until sharding stops us. */
    private Behavior<Command> passivateAnswering(Reply reply) {
        shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        Behavior<Command> answering = Behaviors.receive(Command.class)
                .onMessageEquals(Passivate.INSTANCE, Behaviors::stopped)
                .onMessage(Command.class, cmd -> answer(cmd, reply))
                .build();
        stash.forEach(cmd -> answer(cmd, reply));
        stash.clear();
        return answering;
    }

    private Behavior<Command> answer(Command cmd, Reply reply) {
        replyTo(cmd)
                .ifPresent(r ->
                        r.tell(cmd instanceof Drop && reply == CollectionGone.INSTANCE ? Dropped.INSTANCE : reply));
        return Behaviors.same();
    }

    private Behavior<Command> stashOrReject(Command cmd) {
        if (stash.isFull()) {
            replyTo(cmd)
                    .ifPresent(r ->
                            r.tell(new Unavailable("shard " + entityId + " is starting and its buffer is full", true)));
        } else {
            stash.stash(cmd);
        }
        return Behaviors.same();
    }

    // ---- recovering: the writer replays what the store has not applied yet

    private Behavior<Command> recovering() {
        return Behaviors.receive(Command.class)
                .onMessage(WriterReady.class, this::onWriterReady)
                .onMessageEquals(WriterStopped.INSTANCE, this::onWriterStopped)
                .onMessage(Command.class, this::stashOrReject)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Behavior<Command> onWriterReady(WriterReady ready) {
        local.register(entityId, store);
        scheduleBuild();
        return stash.unstashAll(running());
    }

    // ---- running

    /**
     * What a shard serves from its store whether or not its writer is up: reads, queries,
     * index states and index build steps (a build step excludes apply, so it is safe while the
     * writer recovers).
     */
    private BehaviorBuilder<Command> servingReads() {
        return Behaviors.receive(Command.class)
                .onMessage(Get.class, this::onGet)
                .onMessage(GetConfirmed.class, cmd -> confirmRead(cmd, 0))
                .onMessage(ConfirmAgain.class, again -> confirmRead(again.read(), again.attempt()))
                .onMessage(ReadChecked.class, this::onReadChecked)
                .onMessage(ListDocuments.class, this::onList)
                .onMessage(GetMeta.class, cmd -> reply(cmd.replyTo(), new Meta(store.meta())))
                .onMessage(Query.class, this::onQuery)
                .onMessage(Extension.class, this::onExtension)
                .onMessage(GetIndexes.class, this::onGetIndexes)
                .onMessageEquals(BuildIndexes.INSTANCE, this::onBuildIndexes);
    }

    private Behavior<Command> running() {
        return servingReads()
                .onMessage(Write.class, this::onWrite)
                .onMessage(Append.class, this::onAppend)
                .onMessage(Cool.class, this::onCool)
                .onMessageEquals(BatchDone.INSTANCE, this::onBatchDone)
                .onMessage(Drop.class, this::onDrop)
                .onMessageEquals(Passivate.INSTANCE, this::onPassivate)
                .onMessageEquals(WriterStopped.INSTANCE, this::onWriterStopped)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Behavior<Command> reply(ActorRef<Reply> replyTo, Reply reply) {
        replyTo.tell(reply);
        return Behaviors.same();
    }

    private Behavior<Command> onGet(Get cmd) {
        try {
            return reply(cmd.replyTo(), new Found(store.get(cmd.id())));
        } catch (io.lumadb.shards.ColdDataUnavailableException e) {
            return reply(cmd.replyTo(), new ColdUnavailable(e.getMessage()));
        }
    }

    /**
     * A linearizable read: the document as this copy holds it at applied sequence number {@code
     * applied}, answered only after the journal confirms it holds nothing after {@code applied}.
     * The answer is then the latest committed state at the moment of the journal's answer, which
     * lies between the request and the reply. Events after {@code applied} are either this
     * shard's own writer's, persisted and about to be applied (the read is tried again shortly),
     * or another node's writer's: this copy is stale and must not answer.
     */
    private Behavior<Command> confirmRead(GetConfirmed cmd, int attempt) {
        if (settings.confirmReadJournal().isEmpty()) {
            return onGet(new Get(cmd.id(), cmd.replyTo()));
        }
        long applied = store.meta().appliedSeq();
        StoredDocument doc;
        try {
            doc = store.get(cmd.id());
        } catch (io.lumadb.shards.ColdDataUnavailableException e) {
            return reply(cmd.replyTo(), new ColdUnavailable(e.getMessage()));
        }
        context.pipeToSelf(
                journalProbe().hasEventsAfter(ShardEvents.persistenceId(entityId), applied),
                (newer, failure) -> new ReadChecked(cmd, applied, doc, newer, failure, attempt));
        return Behaviors.same();
    }

    /** The read journal linearizable reads ask, looked up at the first such read. */
    private JournalProbe journalProbe() {
        if (probe == null) {
            probe = JournalProbe.get(context.getSystem(), settings.confirmReadJournal());
        }
        return probe;
    }

    private Behavior<Command> onReadChecked(ReadChecked checked) {
        ActorRef<Reply> replyTo = checked.read().replyTo();
        if (checked.failure() != null) {
            return reply(
                    replyTo,
                    new Unavailable(
                            "shard " + entityId + " could not confirm a linearizable read with" + " the journal: "
                                    + checked.failure().getMessage(),
                            true));
        }
        if (!checked.newer()) {
            return reply(replyTo, new Found(checked.document()));
        }
        if (checked.attempt() < CONFIRM_ATTEMPTS && !stopping) {
            // Most likely this shard's own writer persisted a batch it has not applied yet.
            timers.startSingleTimer(
                    new ConfirmAgain(checked.read(), checked.attempt() + 1),
                    CONFIRM_RETRY.multipliedBy(checked.attempt() + 1));
            return Behaviors.same();
        }
        // Not "untouched": sending the read here again would only meet the same stale copy.
        return reply(
                replyTo,
                new Unavailable(
                        "this node's copy of shard " + entityId + " is behind the journal (applied "
                                + checked.applied()
                                + "): another node has written the shard since, so a linearizable read cannot be"
                                + " answered here",
                        false));
    }

    /** At least one document, then only as many as fit in a page's byte bound (one message between nodes). */
    private Behavior<Command> onList(ListDocuments cmd) {
        List<StoredDocument> docs;
        try {
            docs = store.list(cmd.after(), cmd.limit());
        } catch (io.lumadb.shards.ColdDataUnavailableException e) {
            return reply(cmd.replyTo(), new ColdUnavailable(e.getMessage()));
        }
        long bytes = 0;
        for (int i = 0; i < docs.size(); i++) {
            bytes += docs.get(i).json().length + docs.get(i).id().length();
            if (bytes > settings.maxResultBytes() && i > 0) {
                return reply(cmd.replyTo(), new Listed(docs.subList(0, i), true));
            }
        }
        return reply(cmd.replyTo(), new Listed(docs, false));
    }

    // ---- queries and indexes

    private void adopt(long indexesVersion, List<IndexDefinition> indexes) {
        if (store.syncIndexes(indexesVersion, indexes)) {
            scheduleBuild();
        }
    }

    /** Starts the background build if some index is building; each step re-schedules the next. */
    private void scheduleBuild() {
        if (!building && store.indexes().stream().anyMatch(i -> i.phase() == IndexState.Phase.BUILDING)) {
            building = true;
            context.getSelf().tell(BuildIndexes.INSTANCE);
        }
    }

    /**
     * One build step, then the next one goes to the back of the mailbox: writes and reads that
     * arrived meanwhile go first, so a build never holds them up longer than one step.
     */
    private Behavior<Command> onBuildIndexes() {
        building = false;
        try {
            if (!stopping && store.buildIndexes(settings.indexBuildChunk())) {
                building = true;
                context.getSelf().tell(BuildIndexes.INSTANCE);
            }
        } catch (io.lumadb.shards.ColdDataUnavailableException e) {
            // A cold document the build must read is unreadable now; the build resumes where it was.
            context.getLog().warn("Shard {}: index build waits for the cold tier: {}", entityId, e.getMessage());
            building = true;
            timers.startSingleTimer(BuildIndexes.INSTANCE, Duration.ofSeconds(5));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onGetIndexes(GetIndexes cmd) {
        adopt(cmd.indexesVersion(), cmd.indexes());
        return reply(
                cmd.replyTo(),
                new Indexes(
                        store.indexes(),
                        store.meta().documentCount(),
                        store.meta().appliedSeq()));
    }

    private Behavior<Command> onQuery(Query cmd) {
        adopt(cmd.indexesVersion(), cmd.indexes());
        ShardStore target = store;
        CompletableFuture.supplyAsync(() -> runQuery(target, cmd), queryExecutor)
                .whenComplete((reply, failure) ->
                        cmd.replyTo().tell(failure == null ? reply : queryCrashed(entityId, failure)));
        return Behaviors.same();
    }

    /**
     * Hands the request to the store's layer, which answers on its own threads: an invalid
     * request ({@link QueryException}) or one that ran out of time is the caller's problem, any
     * other failure is logged here.
     */
    private Behavior<Command> onExtension(Extension cmd) {
        adopt(cmd.indexesVersion(), cmd.indexes());
        CompletionStage<byte[]> answer;
        try {
            answer = store.extension(cmd.kind(), cmd.request());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((bytes, failure) -> cmd.replyTo()
                .tell(failure == null ? new ExtensionAnswered(bytes) : extensionFailed(cmd.kind(), failure)));
        return Behaviors.same();
    }

    private QueryFailed extensionFailed(String kind, Throwable failure) {
        Throwable cause = io.lumadb.shards.Documents.unwrap(failure);
        return switch (cause) {
            case QueryException e -> new QueryFailed("invalid", e.pointer(), e.getMessage());
            case QueryTimeoutException e -> new QueryFailed("timeout", null, e.getMessage());
            case ShardQueryExecutor.ShardClosingException e ->
                new QueryFailed("unavailable", null, "shard " + entityId + " is closing; retry");
            case UnsupportedOperationException e -> new QueryFailed("unavailable", null, e.getMessage());
            case io.lumadb.shards.ShardUnavailableException e -> new QueryFailed("unavailable", null, e.getMessage());
            case io.lumadb.shards.ColdDataUnavailableException e -> new QueryFailed("cold", null, e.getMessage());
            default -> {
                QUERY_LOG.error("A {} on shard {} failed", kind, entityId, cause);
                yield new QueryFailed(
                        "internal", null, "the " + kind + " failed on shard " + entityId + "; see the server log");
            }
        };
    }

    /**
     * A query that failed unexpectedly (a bug, or an Error such as StackOverflowError): logged
     * here, answered as an internal error whose message names no Java class.
     */
    private static QueryFailed queryCrashed(String entityId, Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (cause instanceof StackOverflowError) {
            QUERY_LOG.error("A query on shard {} overflowed the stack", entityId);
        } else {
            QUERY_LOG.error("A query on shard {} failed", entityId, cause);
        }
        return new QueryFailed("internal", null, "the query failed on shard " + entityId + "; see the server log");
    }

    /** Runs on the query dispatcher. */
    private Reply runQuery(ShardStore target, Query cmd) {
        QuerySpec spec;
        try {
            spec = QuerySpec.parse(DocumentJson.mapper().readTree(cmd.spec()), settings.queryLimits());
        } catch (QueryException e) {
            return new QueryFailed("invalid", e.pointer(), e.getMessage());
        } catch (java.io.IOException e) {
            return new QueryFailed("invalid", "", "the query is not valid JSON");
        }
        QueryCursor after = cmd.afterId() == null ? null : new QueryCursor(cmd.afterValues(), cmd.afterId());
        return query(
                entityId,
                target,
                cmd.shard(),
                spec,
                after,
                Deadline.at(System.nanoTime() + cmd.timeoutMillis() * 1_000_000L),
                settings);
    }

    /**
     * Shard {@code shard}'s part of a query over its store, answered as the shard answers a {@link
     * Query}: {@link QueryAnswered}, or {@link QueryFailed} ({@code unavailable} while the store
     * closes; {@code internal} for a bug, which is logged here). Runs on the calling thread, which
     * should be one of {@link #QUERY_DISPATCHER}'s; the node runs its own shards' parts this way
     * without a message through their mailboxes.
     */
    public static Reply query(
            String entityId,
            ShardStore store,
            int shard,
            QuerySpec spec,
            QueryCursor after,
            Deadline deadline,
            ShardsSettings settings) {
        try (ReadView view = store.readView()) {
            if (view == null) {
                return new QueryFailed("unavailable", null, "shard " + entityId + " is closing; retry");
            }
            return new QueryAnswered(ShardQueryExecutor.execute(
                    shard, view, spec, after, deadline, settings.maxResultBytes(), settings.queryLimits()));
        } catch (QueryTimeoutException e) {
            return new QueryFailed("timeout", null, e.getMessage());
        } catch (QueryException e) {
            return new QueryFailed("invalid", e.pointer(), e.getMessage());
        } catch (ShardQueryExecutor.ShardClosingException e) {
            return new QueryFailed("unavailable", null, "shard " + entityId + " is closing; retry");
        } catch (io.lumadb.shards.ColdDataUnavailableException e) {
            return new QueryFailed("cold", null, e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            return queryCrashed(entityId, e);
        }
    }

    // ---- writes

    private Behavior<Command> onWrite(Write cmd) {
        if (stopping) {
            return reply(cmd.replyTo(), new Unavailable("shard " + entityId + " is stopping", true));
        }
        adoptSchema(cmd.schemaVersion(), cmd.schema());
        pending.add(cmd);
        return flushIfIdle();
    }

    private Behavior<Command> onAppend(Append cmd) {
        if (stopping) {
            return reply(cmd.replyTo(), new Unavailable("shard " + entityId + " is stopping", true));
        }
        String problem = store.appendProblem(cmd.kind(), cmd.batch());
        if (problem != null) {
            return reply(cmd.replyTo(), new QueryFailed("invalid", null, problem));
        }
        pending.add(cmd);
        return flushIfIdle();
    }

    /**
     * Takes {@code json} as the collection's schema if {@code version} is newer than the one this
     * shard has. The catalog accepted it, so it compiles; one that no longer does (a newer
     * LumaDB refusing what an older one accepted) is logged and not enforced rather than
     * refusing every write.
     */
    private void adoptSchema(long version, String json) {
        if (version <= schemaVersion) {
            return;
        }
        schemaVersion = version;
        try {
            schema = json == null ? null : CollectionSchema.parse(json);
        } catch (IllegalArgumentException e) {
            context.getLog().error("Shard {} cannot compile its collection's schema: {}", entityId, e.getMessage());
            schema = null;
        }
    }

    /** The writer orders it with the write batches (it stashes commands while persisting). */
    private Behavior<Command> onCool(Cool cmd) {
        if (stopping) {
            return reply(cmd.replyTo(), new Unavailable("shard " + entityId + " is stopping", true));
        }
        writer.tell(new ShardWriter.PersistCool(cmd.entries(), cmd.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onBatchDone() {
        inFlight = List.of();
        writerFailures = 0;
        return flushIfIdle();
    }

    private Behavior<Command> flushIfIdle() {
        if (!inFlight.isEmpty()) {
            return Behaviors.same();
        }
        if (pending.isEmpty()) {
            return stopping ? Behaviors.stopped() : Behaviors.same();
        }
        java.util.Optional<StorageCondition.Unwritable> unwritable = storage.current();
        if (unwritable.isPresent()) {
            // The journal cannot make them durable: refuse them before they reach it (so the writer
            // does not fail and restart over and over). Nothing of them is written, as the reason
            // says; it is not marked untouched because a sender would only resend it into the same
            // refusal until its ask timeout, while a full disk lasts until an operator frees space.
            Unavailable refused = new Unavailable(
                    "storage unavailable (" + unwritable.get().kind() + "): "
                            + unwritable.get().reason() + "; nothing was written, retry later",
                    false);
            pending.forEach(w -> replyTo(w).ifPresent(r -> r.tell(refused)));
            pending.clear();
            return stopping ? Behaviors.stopped() : Behaviors.same();
        }
        if (pending.peek() instanceof Append first) {
            // Appends of one kind, in arrival order, up to the bytes one event may carry.
            List<Append> batch = new ArrayList<>();
            long bytes = 0;
            while (pending.peek() instanceof Append next
                    && next.kind().equals(first.kind())
                    && (batch.isEmpty() || bytes + next.batch().length <= MAX_APPEND_EVENT_BYTES)) {
                pending.poll();
                bytes += next.batch().length;
                batch.add(next);
            }
            inFlight = batch;
            writer.tell(new ShardWriter.PersistAppends(first.kind(), batch, context.getSelf()));
            return Behaviors.same();
        }
        List<Write> batch = new ArrayList<>();
        int writes = 0;
        while (pending.peek() instanceof Write next
                && (batch.isEmpty() || writes + next.writes().size() <= settings.maxBatchWrites())) {
            pending.poll();
            writes += next.writes().size();
            batch.add(next);
        }
        inFlight = batch;
        writer.tell(new ShardWriter.PersistBatch(batch, schema, context.getSelf()));
        return Behaviors.same();
    }

    private Behavior<Command> onPassivate() {
        stopping = true;
        local.unregister(entityId, store);
        return flushIfIdle();
    }

    private Behavior<Command> onDrop(Drop cmd) {
        dropRequests.add(cmd.replyTo());
        stopping = true;
        local.unregister(entityId, store);
        return flushIfIdle();
    }

    /**
     * The writer stops when the journal fails (a write or recovery). Whether the batch in flight
     * was written is unknown; a new writer, started after a backoff, recovers from the journal.
     * Meanwhile reads go on from the store, which holds every acknowledged write.
     */
    private Behavior<Command> onDropWhileRestarting(Drop cmd) {
        dropRequests.add(cmd.replyTo());
        return Behaviors.stopped();
    }

    private Behavior<Command> onWriterStopped() {
        writerFailures++;
        java.util.Optional<StorageCondition.Unwritable> unwritable = storage.current();
        String why = unwritable
                .map(u -> " (storage unavailable, " + u.kind() + ": " + u.reason() + ")")
                .orElse("");
        Unavailable unknown = new Unavailable(
                "shard " + entityId + " lost its journal writer" + why + "; the outcome of the write is unknown",
                false);
        Unavailable untouched = new Unavailable("shard " + entityId + " lost its journal writer; retry", true);
        inFlight.forEach(w -> replyTo(w).ifPresent(r -> r.tell(unknown)));
        pending.forEach(w -> replyTo(w).ifPresent(r -> r.tell(untouched)));
        inFlight = List.of();
        pending.clear();
        stash.forEach(cmd -> replyTo(cmd).ifPresent(r -> r.tell(untouched)));
        stash.clear();
        if (stopping) {
            return Behaviors.stopped();
        }
        Duration backoff = Duration.ofMillis(Math.min(5_000, 100L << Math.min(writerFailures - 1, 6)));
        if (unwritable.isPresent()) {
            // The storage's own log says why, once for the node rather than once per shard.
            context.getLog()
                    .debug("Shard {} restarts its writer in {} ms (storage unavailable)", entityId, backoff.toMillis());
        } else {
            context.getLog()
                    .warn(
                            "Shard {} restarts its writer in {} ms (failure {})",
                            entityId,
                            backoff.toMillis(),
                            writerFailures);
        }
        timers.startSingleTimer(RestartWriter.INSTANCE, backoff);
        return restarting();
    }

    private Behavior<Command> restarting() {
        return servingReads()
                .onMessage(Write.class, cmd -> reply(cmd.replyTo(), refusedWhileRestarting()))
                .onMessage(Append.class, cmd -> reply(cmd.replyTo(), refusedWhileRestarting()))
                .onMessage(Cool.class, cmd -> reply(cmd.replyTo(), refusedWhileRestarting()))
                .onMessageEquals(RestartWriter.INSTANCE, this::startWriter)
                .onMessage(Drop.class, this::onDropWhileRestarting)
                .onMessageEquals(Passivate.INSTANCE, Behaviors::stopped)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Unavailable refusedWhileRestarting() {
        String why = storage.current()
                .map(u -> " (storage unavailable, " + u.kind() + ": " + u.reason() + ")")
                .orElse("");
        return new Unavailable(
                "shard " + entityId + " is recovering from a journal failure" + why + "; nothing was written, retry",
                true);
    }

    /** Children (the writer) have stopped by now, so nobody else uses the store. */
    private Behavior<Command> onPostStop(PostStop signal) {
        local.unregister(entityId, store);
        store.close();
        if (!dropRequests.isEmpty()) {
            stores.drop(entityId);
            dropRequests.forEach(r -> r.tell(Dropped.INSTANCE));
        }
        return Behaviors.same();
    }

    private static java.util.Optional<ActorRef<Reply>> replyTo(Command cmd) {
        return switch (cmd) {
            case Write w -> java.util.Optional.of(w.replyTo());
            case Append a -> java.util.Optional.of(a.replyTo());
            case Get g -> java.util.Optional.of(g.replyTo());
            case GetConfirmed g -> java.util.Optional.of(g.replyTo());
            case ListDocuments l -> java.util.Optional.of(l.replyTo());
            case GetMeta m -> java.util.Optional.of(m.replyTo());
            case Query q -> java.util.Optional.of(q.replyTo());
            case GetIndexes g -> java.util.Optional.of(g.replyTo());
            case Extension x -> java.util.Optional.of(x.replyTo());
            case Drop d -> java.util.Optional.of(d.replyTo());
            case Cool c -> java.util.Optional.of(c.replyTo());
            default -> java.util.Optional.empty();
        };
    }
}
