package io.lumadb.shards.shard;

import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.store.ShardStore;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced half of a shard: persists one {@link DocumentsWritten} event per batch of
 * writes, applies it to the shard's {@link ShardStore} (documents and applied sequence number in
 * one atomic write) and only then replies. Recovery replays only the events the store has not
 * applied yet, starting from the newest snapshot the store has already passed.
 */
final class ShardWriter
        extends EventSourcedBehaviorWithEnforcedReplies<ShardWriter.Command, ShardWriter.Event, ShardWriter.State> {

    // ---- commands

    sealed interface Command {}

    /** Executes {@code writes} as one event; answers each write's requester, then {@code replyTo}. */
    record PersistBatch(List<ShardEntity.Write> writes, ActorRef<ShardEntity.Command> replyTo) implements Command {
        PersistBatch {
            writes = List.copyOf(writes);
        }
    }

    // ---- events

    /** What a shard's journal holds. */
    public sealed interface Event extends CborSerializable {}

    /** A batch of document changes, committed together. */
    public record DocumentsWritten(List<DocumentChange> changes) implements Event {
        public DocumentsWritten {
            changes = List.copyOf(changes);
        }
    }

    // ---- state

    /** The sequence number of the last event; mirrors the journal's, since shard events are never deleted. */
    public record State(long seq) implements CborSerializable {}

    // ---- creation

    /**
     * A writer for shard {@code entityId} over its {@code store}.
     *
     * @param recovered told once each recovery completes (see {@link LocalShards.RecoveryListener})
     */
    static Behavior<Command> create(
            String entityId,
            ShardStore store,
            long maxDocumentBytes,
            RetentionCriteria retention,
            LocalShards.RecoveryListener recovered,
            ActorRef<ShardEntity.Command> parent) {
        return Behaviors.setup(
                ctx -> new ShardWriter(ctx, entityId, store, maxDocumentBytes, retention, recovered, parent));
    }

    private final ActorContext<Command> context;
    private final String entityId;
    private final ShardStore store;
    private final long maxDocumentBytes;
    private final RetentionCriteria retention;
    private final LocalShards.RecoveryListener recovered;
    private final ActorRef<ShardEntity.Command> parent;
    private final long appliedAtStart;
    private final long startNanos = System.nanoTime();
    private boolean recovering = true;
    private int replayed;

    private ShardWriter(
            ActorContext<Command> context,
            String entityId,
            ShardStore store,
            long maxDocumentBytes,
            RetentionCriteria retention,
            LocalShards.RecoveryListener recovered,
            ActorRef<ShardEntity.Command> parent) {
        super(PersistenceId.of("shard", entityId));
        this.context = context;
        this.entityId = entityId;
        this.store = store;
        this.maxDocumentBytes = maxDocumentBytes;
        this.retention = retention;
        this.recovered = recovered;
        this.parent = parent;
        this.appliedAtStart = store.meta().appliedSeq();
    }

    @Override
    public State emptyState() {
        return new State(0);
    }

    /** Start from the newest snapshot the store has already applied, so replay covers the rest. */
    @Override
    public Recovery recovery() {
        return Recovery.withSnapshotSelectionCriteria(
                appliedAtStart == 0
                        ? SnapshotSelectionCriteria.none()
                        : SnapshotSelectionCriteria.latest().withMaxSequenceNr(appliedAtStart));
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // Two snapshots; events are deleted only if retention is configured (ShardsSettings).
        return retention;
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
                .build();
    }

    private void onRecoveryCompleted(State state) {
        recovering = false;
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        context.getLog()
                .info(
                        "Shard {} recovered at event {} in {} ms ({} events applied from the journal)",
                        store.name(),
                        state.seq(),
                        millis,
                        replayed);
        try {
            recovered.recovered(entityId, millis, replayed, false);
        } catch (RuntimeException e) {
            context.getLog().warn("Shard {}: a recovery listener failed", store.name(), e);
        }
        parent.tell(new ShardEntity.WriterReady(state.seq()));
    }

    // ---- command handler

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(PersistBatch.class, this::onPersistBatch)
                .build();
    }

    private ReplyEffect<Event, State> onPersistBatch(State state, PersistBatch cmd) {
        int writes = cmd.writes().stream().mapToInt(w -> w.writes().size()).sum();
        WriteEvaluator evaluator = new WriteEvaluator(
                store::get, store::indexProblem, store.meta().lastVersion(), maxDocumentBytes, writes);
        List<List<WriteOutcome>> outcomes = new ArrayList<>(cmd.writes().size());
        for (ShardEntity.Write write : cmd.writes()) {
            List<WriteOutcome> results = new ArrayList<>(write.writes().size());
            for (DocumentWrite w : write.writes()) {
                results.add(evaluator.evaluate(w));
            }
            outcomes.add(results);
        }
        List<DocumentChange> changes = List.copyOf(evaluator.changes());
        if (changes.isEmpty()) {
            replyAll(cmd, outcomes);
            return Effect().reply(cmd.replyTo(), ShardEntity.BatchDone.INSTANCE);
        }
        return Effect()
                .persist(new DocumentsWritten(changes))
                .thenRun(next -> applyAndReply(next, changes, cmd, outcomes))
                .thenReply(cmd.replyTo(), next -> ShardEntity.BatchDone.INSTANCE);
    }

    private void applyAndReply(
            State next, List<DocumentChange> changes, PersistBatch cmd, List<List<WriteOutcome>> outcomes) {
        store.apply(next.seq(), changes);
        replyAll(cmd, outcomes);
    }

    private static void replyAll(PersistBatch cmd, List<List<WriteOutcome>> outcomes) {
        for (int i = 0; i < outcomes.size(); i++) {
            ShardEntity.Write write = cmd.writes().get(i);
            write.replyTo().tell(new ShardEntity.Written(outcomes.get(i)));
        }
    }

    // ---- event handler

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(DocumentsWritten.class, this::onDocumentsWritten)
                .build();
    }

    /**
     * Pure while running (the store is written in the persist callback, after the journal
     * confirmed); during recovery, applies events the store has not seen yet, which makes
     * recovery idempotent.
     */
    private State onDocumentsWritten(State state, DocumentsWritten event) {
        State next = new State(state.seq() + 1);
        if (recovering && next.seq() > store.meta().appliedSeq()) {
            store.apply(next.seq(), event.changes());
            replayed++;
        }
        return next;
    }
}
