package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;
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
 * The single writer of the catalog: databases, collections and their shard counts. One
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

    /** Creates a collection; if it exists the reply is {@link Outcome#EXISTS} with the existing one. */
    public record CreateCollection(String database, String name, int shards, ActorRef<Result> replyTo)
            implements Command {}

    /** Drops a collection; its shards are dropped after the reply. */
    public record DropCollection(String database, String name, ActorRef<Result> replyTo) implements Command {}

    /** Asks for the whole catalog as of now. */
    public record GetSnapshot(ActorRef<CatalogSnapshot> replyTo) implements Command {}

    // ---- replies

    /** How a catalog change ended. */
    public enum Outcome {
        CREATED,
        EXISTS,
        DROPPED,
        DATABASE_NOT_FOUND,
        COLLECTION_NOT_FOUND
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

    /** A collection was created; its incarnation is the catalog version after this event. */
    public record CollectionCreated(String database, String name, int shards, long atMillis) implements Event {}

    /** A collection was dropped. */
    public record CollectionDropped(String database, String name) implements Event {}

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
                .persist(new CollectionCreated(cmd.database(), cmd.name(), cmd.shards(), System.currentTimeMillis()))
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
                .onEvent(
                        CollectionDropped.class,
                        (state, e) -> state.withDatabase(
                                state.databases().get(e.database()).without(e.name())))
                .build();
    }

    private static CatalogSnapshot onCollectionCreated(CatalogSnapshot state, CollectionCreated e) {
        // The incarnation is the catalog version at creation: unique and never reused.
        var info = new CollectionInfo(e.database(), e.name(), e.shards(), state.version() + 1, e.atMillis());
        return state.withDatabase(state.databases().get(e.database()).with(info));
    }
}
