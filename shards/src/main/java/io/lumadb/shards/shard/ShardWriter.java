package io.lumadb.shards.shard;

import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.ShardStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
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
 *
 * <p>With {@code snapshot-documents} on, every snapshot also carries an image of the shard (its
 * documents and last version at the snapshot's event, and the contents of the modules layered
 * over its store, such as its time series), and recovery starts from the newest
 * snapshot: a store behind it (empty or stale, as on a node the shard just moved to) is first
 * replaced by the image, then the journal tail is replayed on top. So recovery never needs the
 * events before the newest snapshot, which journal retention may have deleted.
 */
final class ShardWriter
        extends EventSourcedBehaviorWithEnforcedReplies<ShardWriter.Command, ShardWriter.Event, ShardWriter.State> {

    // ---- commands

    sealed interface Command {}

    /**
     * Executes {@code writes} as one event, each checked against {@code schema} (null: none);
     * answers each write's requester, then {@code replyTo}.
     */
    record PersistBatch(
            List<ShardEntity.Write> writes,
            io.lumadb.shards.model.CollectionSchema schema,
            ActorRef<ShardEntity.Command> replyTo)
            implements Command {
        PersistBatch {
            writes = List.copyOf(writes);
        }
    }

    /** Points {@code entries} to the cold tier (see {@link DocumentsCooled}); answers {@code replyTo}. */
    record PersistCool(List<ColdTier.Entry> entries, ActorRef<ShardEntity.Reply> replyTo) implements Command {
        PersistCool {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Appends {@code appends} (all of {@code kind}) as one {@link AppendsWritten} event; answers
     * each append's requester, then {@code replyTo}.
     */
    record PersistAppends(String kind, List<ShardEntity.Append> appends, ActorRef<ShardEntity.Command> replyTo)
            implements Command {
        PersistAppends {
            appends = List.copyOf(appends);
        }
    }

    // ---- events

    /** What a shard's journal holds. */
    public sealed interface Event extends CborSerializable {}

    /**
     * A batch of document changes, committed together, and the requests it answered: a request
     * sent again (its answer was lost, or it seemed to be) gets the recorded outcomes instead of
     * being applied twice, also by a writer that recovered the shard elsewhere. Events written
     * before requests were recorded have none.
     */
    public record DocumentsWritten(List<DocumentChange> changes, List<Request> requests) implements Event {
        public DocumentsWritten {
            changes = List.copyOf(changes);
            requests = requests == null ? List.of() : List.copyOf(requests);
        }
    }

    /**
     * Documents whose bodies now live in the cold tier: the store keeps their ids, versions and
     * index entries and replaces each body by the pointer, if the document is still at the
     * entry's version. No document changes, so the change stream sees no change in it.
     */
    public record DocumentsCooled(List<ColdTier.Entry> entries) implements Event {
        public DocumentsCooled {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Appends for the module layered over the shard's store that takes {@code kind} ({@link
     * ShardStore#append}), in that module's bytes, committed together: a time-series shard's
     * point batches. No document changes, so the change stream sees no change in it; modules that
     * follow these appends read them with {@link ShardEvents#appends}.
     */
    public record AppendsWritten(String kind, List<byte[]> batches) implements Event {
        public AppendsWritten {
            batches = List.copyOf(batches);
        }
    }

    /** A write request a shard has answered: its id, when (epoch millis), and its outcomes. */
    public record Request(String id, long atMillis, List<WriteOutcome> outcomes) implements CborSerializable {
        public Request {
            outcomes = List.copyOf(outcomes);
        }
    }

    // ---- state

    /**
     * The sequence number of the last event, and, in the state of an event that is snapshotted
     * while {@code snapshot-documents} is on, the shard's image as of that event; otherwise (and
     * in snapshots written before images existed) {@code image} is null. The state after the
     * next event drops the image again.
     */
    public record State(long seq, ShardImage image) implements CborSerializable {}

    /**
     * The contents of a shard as of one event: every document, the highest version assigned, and
     * the layered modules' contents. Pekko keeps the last state until the next event, so an idle shard would hold a full copy
     * of itself after each snapshot; the writer {@link #release}s the contents once the
     * snapshot is stored (or installed, in recovery).
     */
    public record ShardImage(
            long lastVersion,
            List<StoredDocument> documents,
            List<Request> requests,
            List<ShardStore.LayerImage> layers,
            AppendsWritten appends)
            implements CborSerializable {
        /**
         * @param layers the contents of the modules layered over the store (time series), as of
         *     the event before; empty in images written before layers existed
         * @param appends the event's own appends, which {@code layers} do not hold yet; null when
         *     the event appended nothing
         */
        public ShardImage {
            documents = new ArrayList<>(documents);
            requests = requests == null ? List.of() : List.copyOf(requests);
            layers = layers == null ? new ArrayList<>() : new ArrayList<>(layers);
        }

        void release() {
            documents.clear();
            layers.clear();
        }
    }

    // ---- creation

    /**
     * A writer for shard {@code entityId} over its {@code store}.
     *
     * @param recovered told once each recovery completes (see {@link LocalShards.RecoveryListener})
     */
    static Behavior<Command> create(
            String entityId,
            ShardStore store,
            ShardsSettings settings,
            LocalShards.RecoveryListener recovered,
            ActorRef<ShardEntity.Command> parent) {
        return Behaviors.setup(ctx -> new ShardWriter(ctx, entityId, store, settings, recovered, parent));
    }

    /** Documents read from the store per step while an image is made. */
    private static final int IMAGE_PAGE = 1024;
    /**
     * Answered requests remembered for de-duplication: a resend comes within the sender's ask
     * timeout (seconds), so a minute, and at most this many, is plenty.
     */
    private static final int RECENT_REQUESTS = 10_000;

    private static final long RECENT_MILLIS = 60_000;

    private final ActorContext<Command> context;
    private final String entityId;
    private final ShardStore store;
    private final long maxDocumentBytes;
    private final RetentionCriteria retention;
    private final int snapshotEvery;
    private final boolean snapshotDocuments;
    private final LocalShards.RecoveryListener recovered;
    private final ActorRef<ShardEntity.Command> parent;
    private final long appliedAtStart;
    private final long startNanos = System.nanoTime();
    private boolean recovering = true;
    private boolean caughtUpWithSnapshot;
    private boolean fromImage;
    private int replayed;
    private final LinkedHashMap<String, Request> recent = new LinkedHashMap<>();

    private ShardWriter(
            ActorContext<Command> context,
            String entityId,
            ShardStore store,
            ShardsSettings settings,
            LocalShards.RecoveryListener recovered,
            ActorRef<ShardEntity.Command> parent) {
        super(PersistenceId.of("shard", entityId));
        this.context = context;
        this.entityId = entityId;
        this.store = store;
        this.maxDocumentBytes = settings.maxDocumentBytes();
        this.retention = settings.journalRetention();
        this.snapshotEvery = settings.snapshotEvery();
        this.snapshotDocuments = settings.snapshotDocuments();
        this.recovered = recovered;
        this.parent = parent;
        this.appliedAtStart = store.meta().appliedSeq();
    }

    @Override
    public State emptyState() {
        return new State(0, null);
    }

    /**
     * With images, start from the newest snapshot: its image brings a store that is behind it up
     * to it. Without, start from the newest snapshot the store has already applied, so replay
     * covers the rest.
     */
    @Override
    public Recovery recovery() {
        if (snapshotDocuments) {
            return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.latest());
        }
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
                .onSignal(SnapshotCompleted.class, (state, done) -> releaseImage(state))
                .onSignal(SnapshotFailed.class, (state, failed) -> releaseImage(state))
                .build();
    }

    /** The snapshot store has written (or given up on) the image: the state need not keep it. */
    private static void releaseImage(State state) {
        if (state.image() != null) {
            state.image().release();
        }
    }

    private void onRecoveryCompleted(State state) {
        catchUpWithSnapshot(state);
        releaseImage(state);
        recovering = false;
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        context.getLog()
                .info(
                        "Shard {} recovered at event {} in {} ms ({} events applied from the journal{})",
                        store.name(),
                        state.seq(),
                        millis,
                        replayed,
                        fromImage ? ", after installing the snapshot image" : "");
        try {
            recovered.recovered(entityId, millis, replayed, fromImage);
        } catch (RuntimeException e) {
            context.getLog().warn("Shard {}: a recovery listener failed", store.name(), e);
        }
        parent.tell(new ShardEntity.WriterReady(state.seq()));
    }

    /**
     * Brings the store up to the snapshot recovery started from, once, before any event is
     * replayed on top of it: a store at or past the snapshot keeps its contents (replay skips
     * what it has applied); one behind it gets the snapshot's image.
     */
    private void catchUpWithSnapshot(State snapshot) {
        if (caughtUpWithSnapshot) {
            return;
        }
        caughtUpWithSnapshot = true;
        if (snapshot.image() != null) {
            snapshot.image().requests().forEach(this::remember);
        }
        long applied = store.meta().appliedSeq();
        if (snapshot.seq() <= applied) {
            return;
        }
        if (snapshot.image() == null) {
            // Only with images is a snapshot past the store selected; one without (taken while
            // snapshot-documents was off) cannot bring the store up to it, and replaying on top of
            // the stale store would lose the events in between.
            throw new IllegalStateException("shard " + entityId + ": the newest snapshot (event " + snapshot.seq()
                    + ") has no image and the store has applied only event " + applied
                    + "; recover it once with lumadb.shards.snapshot-documents off");
        }
        ShardImage image = snapshot.image();
        // The layers first: install of the documents advances the applied event, after which a
        // crash would not install this image again.
        store.installLayers(
                snapshot.seq(),
                image.layers(),
                image.appends() == null ? null : image.appends().kind(),
                image.appends() == null ? List.of() : image.appends().batches());
        store.install(snapshot.seq(), image.lastVersion(), image.documents());
        fromImage = true;
    }

    // ---- command handler

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(PersistBatch.class, this::onPersistBatch)
                .onCommand(PersistCool.class, this::onPersistCool)
                .onCommand(PersistAppends.class, this::onPersistAppends)
                .build();
    }

    /**
     * Evaluates the batch's writes in order; a request answered before (or earlier in this
     * batch) gets its recorded outcomes and is not evaluated again.
     */
    private ReplyEffect<Event, State> onPersistBatch(State state, PersistBatch cmd) {
        int writes = cmd.writes().stream().mapToInt(w -> w.writes().size()).sum();
        WriteEvaluator evaluator = new WriteEvaluator(
                store::get, store::indexProblem, cmd.schema(), store.meta().lastVersion(), maxDocumentBytes, writes);
        List<List<WriteOutcome>> outcomes = new ArrayList<>(cmd.writes().size());
        Map<String, Integer> inBatch = new HashMap<>();
        List<Request> answered = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (ShardEntity.Write write : cmd.writes()) {
            String id = write.requestId();
            Request before = id == null ? null : recent.get(id);
            Integer earlier = id == null ? null : inBatch.putIfAbsent(id, outcomes.size());
            if (before != null || earlier != null) {
                outcomes.add(before != null ? before.outcomes() : outcomes.get(earlier));
                continue;
            }
            List<WriteOutcome> results = new ArrayList<>(write.writes().size());
            try {
                for (DocumentWrite w : write.writes()) {
                    results.add(evaluator.evaluate(w));
                }
            } catch (io.lumadb.shards.ColdDataUnavailableException e) {
                // A cold document a write needs cannot be read: nothing of the batch is written.
                ShardEntity.ColdUnavailable refused = new ShardEntity.ColdUnavailable(e.getMessage());
                cmd.writes().forEach(w -> w.replyTo().tell(refused));
                return Effect().reply(cmd.replyTo(), ShardEntity.BatchDone.INSTANCE);
            }
            outcomes.add(results);
            if (id != null) {
                answered.add(new Request(id, now, results));
            }
        }
        List<DocumentChange> changes = List.copyOf(evaluator.changes());
        if (changes.isEmpty()) {
            // Nothing took effect, so a resend may be evaluated afresh.
            replyAll(cmd, outcomes);
            return Effect().reply(cmd.replyTo(), ShardEntity.BatchDone.INSTANCE);
        }
        return Effect()
                .persist(new DocumentsWritten(changes, answered))
                .thenRun(next -> applyAndReply(next, changes, cmd, outcomes))
                .thenReply(cmd.replyTo(), next -> ShardEntity.BatchDone.INSTANCE);
    }

    private ReplyEffect<Event, State> onPersistCool(State state, PersistCool cmd) {
        if (cmd.entries().isEmpty()) {
            return Effect()
                    .reply(cmd.replyTo(), new ShardEntity.Cooled(0, store.meta().appliedSeq()));
        }
        int[] cooled = {0};
        return Effect()
                .persist(new DocumentsCooled(cmd.entries()))
                .thenRun(next -> cooled[0] = store.cool(next.seq(), cmd.entries()))
                .thenReply(cmd.replyTo(), next -> new ShardEntity.Cooled(cooled[0], next.seq()));
    }

    /** Persists the appends as one event, then has the store's module apply them and answers each. */
    private ReplyEffect<Event, State> onPersistAppends(State state, PersistAppends cmd) {
        List<byte[]> batches =
                cmd.appends().stream().map(ShardEntity.Append::batch).toList();
        return Effect()
                .persist(new AppendsWritten(cmd.kind(), batches))
                .thenRun(next -> {
                    List<byte[]> answers = store.append(next.seq(), cmd.kind(), batches);
                    for (int i = 0; i < cmd.appends().size(); i++) {
                        cmd.appends().get(i).replyTo().tell(new ShardEntity.Appended(answers.get(i)));
                    }
                })
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
                .onEvent(DocumentsCooled.class, this::onDocumentsCooled)
                .onEvent(AppendsWritten.class, this::onAppendsWritten)
                .build();
    }

    /**
     * Does not write the store while running (it is written in the persist callback, after the
     * journal confirmed), but reads it for the image of an event that will be snapshotted;
     * during recovery, applies events the store has not seen yet, which makes recovery
     * idempotent.
     */
    private State onDocumentsWritten(State state, DocumentsWritten event) {
        long seq = state.seq() + 1;
        event.requests().forEach(this::remember);
        if (recovering) {
            catchUpWithSnapshot(state);
            if (seq > store.meta().appliedSeq()) {
                store.apply(seq, event.changes());
                replayed++;
            }
            return new State(seq, null);
        }
        // The same condition as the retention's snapshotEvery, so exactly the snapshots get images.
        boolean snapshotted = snapshotDocuments && seq % snapshotEvery == 0;
        return new State(seq, snapshotted ? image(seq, event.changes(), null) : null);
    }

    /** Like {@link #onDocumentsWritten}: the store is written in the persist callback, or here in recovery. */
    private State onDocumentsCooled(State state, DocumentsCooled event) {
        long seq = state.seq() + 1;
        if (recovering) {
            catchUpWithSnapshot(state);
            if (seq > store.meta().appliedSeq()) {
                store.cool(seq, event.entries());
                replayed++;
            }
            return new State(seq, null);
        }
        boolean snapshotted = snapshotDocuments && seq % snapshotEvery == 0;
        return new State(seq, snapshotted ? image(seq, List.of(), null) : null);
    }

    /** Like {@link #onDocumentsWritten}: the store is written in the persist callback, or here in recovery. */
    private State onAppendsWritten(State state, AppendsWritten event) {
        long seq = state.seq() + 1;
        if (recovering) {
            catchUpWithSnapshot(state);
            if (seq > store.meta().appliedSeq()) {
                store.append(seq, event.kind(), event.batches());
                replayed++;
            }
            return new State(seq, null);
        }
        boolean snapshotted = snapshotDocuments && seq % snapshotEvery == 0;
        return new State(seq, snapshotted ? image(seq, List.of(), event) : null);
    }

    /** Remembers an answered request, forgetting those too old or too many. */
    private void remember(Request request) {
        recent.put(request.id(), request);
        long oldest = System.currentTimeMillis() - RECENT_MILLIS;
        var it = recent.values().iterator();
        while (it.hasNext()) {
            Request eldest = it.next();
            if (recent.size() <= RECENT_REQUESTS && eldest.atMillis() >= oldest) {
                break;
            }
            it.remove();
        }
    }

    /**
     * The shard as of event {@code seq}: the store (still at the previous event) with its document
     * {@code changes} or its {@code appends} (null: none).
     */
    private ShardImage image(long seq, List<DocumentChange> changes, AppendsWritten appends) {
        if (store.meta().appliedSeq() != seq - 1) {
            throw new IllegalStateException("shard " + entityId + ": image of event " + seq + " over a store at event "
                    + store.meta().appliedSeq());
        }
        Map<String, StoredDocument> documents = new LinkedHashMap<>();
        long lastVersion = store.meta().lastVersion();
        String after = null;
        // As stored: a cold document is carried as its pointer, so images do not bring cold
        // bodies back into the snapshot store.
        for (List<StoredDocument> page; !(page = store.scan(after, IMAGE_PAGE)).isEmpty(); ) {
            page.forEach(d -> documents.put(d.id(), d));
            after = page.getLast().id();
        }
        for (DocumentChange change : changes) {
            if (change.op() == DocumentChange.Op.DELETED) {
                documents.remove(change.id());
            } else {
                documents.put(change.id(), new StoredDocument(change.id(), change.version(), change.document()));
            }
            lastVersion = Math.max(lastVersion, change.version());
        }
        return new ShardImage(
                lastVersion,
                List.copyOf(documents.values()),
                List.copyOf(recent.values()),
                store.layerImages(),
                appends);
    }
}
