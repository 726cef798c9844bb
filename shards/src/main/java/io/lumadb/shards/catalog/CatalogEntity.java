package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The single writer of the catalog: databases, collections, their shard counts and secondary
 * indexes. One
 * sharded, event-sourced entity for the whole cluster; everybody else reads snapshots of it.
 */
public final class CatalogEntity
        extends EventSourcedBehaviorWithEnforcedReplies<CatalogEntity.Command, CatalogEntity.Event, CatalogSnapshot> {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "lumadb-catalog");

    /** The one entity id of the catalog. */
    public static final String ENTITY_ID = "catalog";

    // ---- commands

    /** What the catalog is asked to do. */
    public sealed interface Command extends CborSerializable {}

    /** Creates a database; {@link Outcome#EXISTS} if it exists. */
    public record CreateDatabase(String name, ActorRef<Result> replyTo) implements Command {}

    /** Drops a database and all its collections. */
    public record DropDatabase(String name, ActorRef<Result> replyTo) implements Command {}

    /**
     * Creates a collection, with a declared schema unless {@code schema} is null (the caller has
     * checked it), of time series when {@code timeSeries} (its options, checked by the caller) is
     * not null; if it exists the reply is {@link Outcome#EXISTS} with the existing one.
     */
    public record CreateCollection(
            String database,
            String name,
            int shards,
            boolean preImages,
            String schema,
            String timeSeries,
            ActorRef<Result> replyTo)
            implements Command {}

    /**
     * Declares a collection's schema (the caller has checked it), or with null removes it: {@link
     * Outcome#CREATED} when declared, {@link Outcome#DROPPED} when removed, {@link Outcome#EXISTS}
     * when it is already so.
     */
    public record SetSchema(String database, String collection, String schema, ActorRef<Result> replyTo)
            implements Command {}

    /** Drops a collection; its shards are dropped after the reply. */
    public record DropCollection(String database, String name, ActorRef<Result> replyTo) implements Command {}

    /**
     * Defines a secondary index, or a search index when {@code search} is given; {@link
     * Outcome#EXISTS} if one with this name and the same definition exists, {@link
     * Outcome#INDEX_CONFLICT} if one with this name is defined otherwise.
     */
    public record CreateIndex(
            String database,
            String collection,
            String name,
            List<IndexDefinition.Field> fields,
            SearchSpec search,
            int maxIndexes,
            ActorRef<Result> replyTo)
            implements Command {
        public CreateIndex {
            fields = List.copyOf(fields);
        }
    }

    /** Removes a secondary index; shards delete its entries when they learn of it. */
    public record DropIndex(String database, String collection, String name, ActorRef<Result> replyTo)
            implements Command {}

    /** Asks for the whole catalog as of now. */
    public record GetSnapshot(ActorRef<CatalogSnapshot> replyTo) implements Command {}

    // ---- replies

    /** How a catalog change ended. */
    public enum Outcome {
        CREATED,
        EXISTS,
        DROPPED,
        DATABASE_NOT_FOUND,
        COLLECTION_NOT_FOUND,
        INDEX_NOT_FOUND,
        INDEX_CONFLICT,
        TOO_MANY_INDEXES
    }

    /**
     * The reply to every change.
     *
     * @param collection the collection created or found, where the command was about one
     * @param dropped the collections that a drop removed (their shards must be dropped too)
     * @param snapshot the catalog after the command
     */
    public record Result(
            Outcome outcome, CollectionInfo collection, List<CollectionInfo> dropped, CatalogSnapshot snapshot)
            implements CborSerializable {
        public Result {
            dropped = List.copyOf(dropped);
        }
    }

    // ---- events

    /** What happened to the catalog. */
    public sealed interface Event extends CborSerializable {}

    /** A database was created. */
    public record DatabaseCreated(String name, long atMillis) implements Event {}

    /** A database and its collections were dropped. */
    public record DatabaseDropped(String name) implements Event {}

    /**
     * A collection was created; its incarnation is the catalog version after this event. {@code
     * preImages} is absent (false) in events written before the setting existed, {@code schema}
     * (null) in those written before schemas existed, {@code timeSeries} (null) in those written
     * before time-series collections existed.
     */
    public record CollectionCreated(
            String database,
            String name,
            int shards,
            long atMillis,
            boolean preImages,
            String schema,
            String timeSeries)
            implements Event {}

    /** A collection's schema was declared, replaced or (null) removed. */
    public record SchemaSet(String database, String collection, String schema) implements Event {}

    /** A collection was dropped. */
    public record CollectionDropped(String database, String name) implements Event {}

    /**
     * A secondary index (or, with {@code search}, a search index) was defined; its id is the
     * catalog version after this event. Events written before search indexes existed have no
     * {@code search}.
     */
    public record IndexCreated(
            String database, String collection, String name, List<IndexDefinition.Field> fields, SearchSpec search)
            implements Event {
        public IndexCreated {
            fields = List.copyOf(fields);
        }
    }

    /** A secondary index was removed. */
    public record IndexDropped(String database, String collection, String name) implements Event {}

    // ---- creation

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create()));
    }

    public static EntityRef<Command> ref(ActorSystem<?> system) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, ENTITY_ID);
    }

    public static Behavior<Command> create() {
        return new CatalogEntity();
    }

    private CatalogEntity() {
        super(PersistenceId.of("catalog", ENTITY_ID));
    }

    @Override
    public CatalogSnapshot emptyState() {
        return CatalogSnapshot.EMPTY;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }

    // ---- command handler

    @Override
    public CommandHandlerWithReply<Command, Event, CatalogSnapshot> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(CreateDatabase.class, this::onCreateDatabase)
                .onCommand(DropDatabase.class, this::onDropDatabase)
                .onCommand(CreateCollection.class, this::onCreateCollection)
                .onCommand(DropCollection.class, this::onDropCollection)
                .onCommand(CreateIndex.class, this::onCreateIndex)
                .onCommand(DropIndex.class, this::onDropIndex)
                .onCommand(SetSchema.class, this::onSetSchema)
                .onCommand(GetSnapshot.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .build();
    }

    private ReplyEffect<Event, CatalogSnapshot> onCreateDatabase(CatalogSnapshot state, CreateDatabase cmd) {
        if (state.database(cmd.name()).isPresent()) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.EXISTS, null, List.of(), state));
        }
        return Effect()
                .persist(new DatabaseCreated(cmd.name(), System.currentTimeMillis()))
                .thenReply(cmd.replyTo(), next -> new Result(Outcome.CREATED, null, List.of(), next));
    }

    private ReplyEffect<Event, CatalogSnapshot> onDropDatabase(CatalogSnapshot state, DropDatabase cmd) {
        return state.database(cmd.name())
                .map(db -> Effect()
                        .persist(new DatabaseDropped(cmd.name()))
                        .thenReply(
                                cmd.replyTo(),
                                next -> new Result(
                                        Outcome.DROPPED,
                                        null,
                                        List.copyOf(db.collections().values()),
                                        next)))
                .orElseGet(() ->
                        Effect().reply(cmd.replyTo(), new Result(Outcome.DATABASE_NOT_FOUND, null, List.of(), state)));
    }

    private ReplyEffect<Event, CatalogSnapshot> onCreateCollection(CatalogSnapshot state, CreateCollection cmd) {
        if (state.database(cmd.database()).isEmpty()) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.DATABASE_NOT_FOUND, null, List.of(), state));
        }
        var existing = state.collection(cmd.database(), cmd.name());
        if (existing.isPresent()) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.EXISTS, existing.get(), List.of(), state));
        }
        return Effect()
                .persist(new CollectionCreated(
                        cmd.database(),
                        cmd.name(),
                        cmd.shards(),
                        System.currentTimeMillis(),
                        cmd.preImages(),
                        cmd.schema(),
                        cmd.timeSeries()))
                .thenReply(
                        cmd.replyTo(),
                        next -> new Result(
                                Outcome.CREATED,
                                next.collection(cmd.database(), cmd.name()).orElseThrow(),
                                List.of(),
                                next));
    }

    private ReplyEffect<Event, CatalogSnapshot> onDropCollection(CatalogSnapshot state, DropCollection cmd) {
        if (state.database(cmd.database()).isEmpty()) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.DATABASE_NOT_FOUND, null, List.of(), state));
        }
        return state.collection(cmd.database(), cmd.name())
                .map(c -> Effect()
                        .persist(new CollectionDropped(cmd.database(), cmd.name()))
                        .thenReply(cmd.replyTo(), next -> new Result(Outcome.DROPPED, c, List.of(c), next)))
                .orElseGet(() -> Effect()
                        .reply(cmd.replyTo(), new Result(Outcome.COLLECTION_NOT_FOUND, null, List.of(), state)));
    }

    private ReplyEffect<Event, CatalogSnapshot> onCreateIndex(CatalogSnapshot state, CreateIndex cmd) {
        var collection = state.collection(cmd.database(), cmd.collection());
        if (collection.isEmpty()) {
            return notFound(state, cmd.database(), cmd.replyTo());
        }
        CollectionInfo info = collection.get();
        var existing = info.index(cmd.name());
        if (existing.isPresent()) {
            Outcome outcome =
                    existing.get().sameAs(cmd.fields(), cmd.search()) ? Outcome.EXISTS : Outcome.INDEX_CONFLICT;
            return Effect().reply(cmd.replyTo(), new Result(outcome, info, List.of(), state));
        }
        if (info.indexes().size() >= cmd.maxIndexes()) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.TOO_MANY_INDEXES, info, List.of(), state));
        }
        return Effect()
                .persist(new IndexCreated(cmd.database(), cmd.collection(), cmd.name(), cmd.fields(), cmd.search()))
                .thenReply(cmd.replyTo(), next -> changed(Outcome.CREATED, next, cmd.database(), cmd.collection()));
    }

    private ReplyEffect<Event, CatalogSnapshot> onDropIndex(CatalogSnapshot state, DropIndex cmd) {
        var collection = state.collection(cmd.database(), cmd.collection());
        if (collection.isEmpty()) {
            return notFound(state, cmd.database(), cmd.replyTo());
        }
        if (collection.get().index(cmd.name()).isEmpty()) {
            return Effect()
                    .reply(cmd.replyTo(), new Result(Outcome.INDEX_NOT_FOUND, collection.get(), List.of(), state));
        }
        return Effect()
                .persist(new IndexDropped(cmd.database(), cmd.collection(), cmd.name()))
                .thenReply(cmd.replyTo(), next -> changed(Outcome.DROPPED, next, cmd.database(), cmd.collection()));
    }

    private ReplyEffect<Event, CatalogSnapshot> onSetSchema(CatalogSnapshot state, SetSchema cmd) {
        var collection = state.collection(cmd.database(), cmd.collection());
        if (collection.isEmpty()) {
            return notFound(state, cmd.database(), cmd.replyTo());
        }
        if (java.util.Objects.equals(collection.get().schema(), cmd.schema())) {
            return Effect().reply(cmd.replyTo(), new Result(Outcome.EXISTS, collection.get(), List.of(), state));
        }
        Outcome outcome = cmd.schema() == null ? Outcome.DROPPED : Outcome.CREATED;
        return Effect()
                .persist(new SchemaSet(cmd.database(), cmd.collection(), cmd.schema()))
                .thenReply(cmd.replyTo(), next -> changed(outcome, next, cmd.database(), cmd.collection()));
    }

    private ReplyEffect<Event, CatalogSnapshot> notFound(
            CatalogSnapshot state, String database, ActorRef<Result> replyTo) {
        Outcome outcome =
                state.database(database).isEmpty() ? Outcome.DATABASE_NOT_FOUND : Outcome.COLLECTION_NOT_FOUND;
        return Effect().reply(replyTo, new Result(outcome, null, List.of(), state));
    }

    private static Result changed(Outcome outcome, CatalogSnapshot next, String database, String collection) {
        return new Result(outcome, next.collection(database, collection).orElseThrow(), List.of(), next);
    }

    // ---- event handler

    @Override
    public EventHandler<CatalogSnapshot, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(
                        DatabaseCreated.class,
                        (state, e) -> state.withDatabase(new DatabaseInfo(e.name(), e.atMillis(), Map.of())))
                .onEvent(DatabaseDropped.class, (state, e) -> state.withoutDatabase(e.name()))
                .onEvent(CollectionCreated.class, CatalogEntity::onCollectionCreated)
                .onEvent(IndexCreated.class, CatalogEntity::onIndexCreated)
                .onEvent(IndexDropped.class, CatalogEntity::onIndexDropped)
                .onEvent(SchemaSet.class, CatalogEntity::onSchemaSet)
                .onEvent(
                        CollectionDropped.class,
                        (state, e) -> state.withDatabase(
                                state.databases().get(e.database()).without(e.name())))
                .build();
    }

    private static CatalogSnapshot onCollectionCreated(CatalogSnapshot state, CollectionCreated e) {
        // The incarnation is the catalog version at creation: unique and never reused.
        var info = new CollectionInfo(
                e.database(),
                e.name(),
                e.shards(),
                state.version() + 1,
                e.atMillis(),
                List.of(),
                state.version() + 1,
                e.preImages(),
                e.schema(),
                e.schema() == null ? 0 : state.version() + 1,
                e.timeSeries());
        return state.withDatabase(state.databases().get(e.database()).with(info));
    }

    private static CatalogSnapshot onIndexCreated(CatalogSnapshot state, IndexCreated e) {
        // Like incarnations, index ids are catalog versions: unique and never reused.
        long version = state.version() + 1;
        CollectionInfo info = state.collection(e.database(), e.collection()).orElseThrow();
        var index = new IndexDefinition(e.name(), version, e.fields(), e.search());
        return state.withDatabase(state.databases().get(e.database()).with(info.withIndex(index, version)));
    }

    private static CatalogSnapshot onSchemaSet(CatalogSnapshot state, SchemaSet e) {
        CollectionInfo info = state.collection(e.database(), e.collection()).orElseThrow();
        return state.withDatabase(
                state.databases().get(e.database()).with(info.withSchema(e.schema(), state.version() + 1)));
    }

    private static CatalogSnapshot onIndexDropped(CatalogSnapshot state, IndexDropped e) {
        CollectionInfo info = state.collection(e.database(), e.collection()).orElseThrow();
        return state.withDatabase(
                state.databases().get(e.database()).with(info.withoutIndex(e.name(), state.version() + 1)));
    }
}
