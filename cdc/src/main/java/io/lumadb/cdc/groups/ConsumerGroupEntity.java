package io.lumadb.cdc.groups;

import io.lumadb.shards.CborSerializable;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One consumer group of one collection (incarnation): its committed position, per shard, kept
 * as events in the journal like every other state of LumaDB. A commit names the shards it
 * covers, so members that split a collection's shards commit independently.
 */
final class ConsumerGroupEntity
        extends EventSourcedBehavior<
                ConsumerGroupEntity.Command, ConsumerGroupEntity.Committed, ConsumerGroupEntity.State> {

    static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ConsumerGroup");

    sealed interface Command extends CborSerializable {}

    /** Sets the positions of {@code shards} to those in {@code seqs}/{@code skips}; answers the new state. */
    record Commit(int shardCount, int[] shards, long[] seqs, int[] skips, ActorRef<State> replyTo) implements Command {}

    record Get(ActorRef<State> replyTo) implements Command {}

    /** The event: the positions of some shards. */
    record Committed(int shardCount, int[] shards, long[] seqs, int[] skips) implements CborSerializable {}

    /** The committed position; {@code seqs == null} before the first commit. */
    record State(long[] seqs, int[] skips, long commits) implements CborSerializable {
        static final State EMPTY = new State(null, null, 0);

        State apply(Committed c) {
            long[] s = seqs == null ? filled(c.shardCount()) : seqs.clone();
            int[] k = skips == null ? new int[c.shardCount()] : skips.clone();
            for (int i = 0; i < c.shards().length; i++) {
                s[c.shards()[i]] = c.seqs()[i];
                k[c.shards()[i]] = c.skips()[i];
            }
            return new State(s, k, commits + 1);
        }

        private static long[] filled(int n) {
            long[] s = new long[n];
            Arrays.fill(s, -1); // a shard no member has committed yet: from its beginning
            return s;
        }
    }

    static Behavior<Command> create(String entityId) {
        return new ConsumerGroupEntity(entityId);
    }

    private ConsumerGroupEntity(String entityId) {
        super(PersistenceId.of(TYPE_KEY.name(), entityId));
    }

    @Override
    public State emptyState() {
        return State.EMPTY;
    }

    @Override
    public CommandHandler<Command, Committed, State> commandHandler() {
        return newCommandHandlerBuilder()
                .forAnyState()
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
                .onCommand(Commit.class, (state, c) -> Effect()
                        .persist(new Committed(c.shardCount(), c.shards(), c.seqs(), c.skips()))
                        .thenReply(c.replyTo(), s -> s))
                .build();
    }

    @Override
    public EventHandler<State, Committed> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // Commits are frequent and only the latest matters: snapshots, and old events deleted.
        return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
    }
}
