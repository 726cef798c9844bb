package io.lumadb.tiering;

import io.lumadb.shards.CborSerializable;
import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.fragment.SegmentDescriptor;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The cold tier's cluster singleton and its manifest: the per-collection policies, every
 * segment with its fragments' checksums and places, and samples of the shards' versions over time
 * (how "not written for a given age" is told). It runs one job at a time ({@link Migrations}):
 * applying the policies on a timer, explicit moves, finishing segments that a crash left
 * recorded but not yet pointed to, and scrubs.
 *
 * <p>A migration step is: the shard seals documents into a segment whose fragments are written
 * and verified; the segment is recorded here ({@link SegmentRecorded}); the shard persists the
 * pointers ({@code ShardEntity.Cool}); the segment is marked committed here. A crash between any
 * two leaves every document warm or cold, never neither: a recorded segment that was not
 * committed is pointed to again after recovery (the shard skips documents written since, and
 * those already pointing to it).
 */
public final class TieringCoordinator
        extends EventSourcedBehaviorWithEnforcedReplies<
                TieringCoordinator.Command, TieringCoordinator.Event, TieringCoordinator.State> {

    // ---- commands

    /** What the coordinator is asked; sent from any node through the singleton proxy. */
    public sealed interface Command extends CborSerializable {}

    /** Sets (or, with null, removes) the policy of collection {@code db/collection}. */
    public record SetPolicy(String collection, Policy policy, ActorRef<Reply> replyTo) implements Command {}

    /** The policy and cold segments of collection {@code db/collection}. */
    public record Describe(String collection, ActorRef<Reply> replyTo) implements Command {}

    /** Moves the collection's documents (a filter's matches, with one) to the cold tier now; answered when done. */
    public record Move(String collection, String filter, ActorRef<Reply> replyTo) implements Command {}

    /** The descriptor of a segment, for a read. */
    public record GetSegment(String segmentId, ActorRef<Reply> replyTo) implements Command {}

    /** Verifies every fragment now, repairing what it can; answered when done. */
    public record Scrub(ActorRef<Reply> replyTo) implements Command {}

    /** The totals of the whole tier. */
    public record GetTotals(ActorRef<Reply> replyTo) implements Command {}

    /** A shard's store was dropped: its segments go. */
    public record ShardDropped(String shard) implements Command {}

    /** Records a sealed segment (from a job). */
    record Record(String collection, SegmentDescriptor descriptor, ActorRef<Reply> replyTo) implements Command {}

    /** Marks a recorded segment committed: the shard points to it (from a job). */
    record Commit(String segmentId, int documents, ActorRef<Reply> replyTo) implements Command {}

    /** A scrub's outcome for one segment (from a job). */
    record Scrubbed(SegmentDescriptor descriptor, String damage, ActorRef<Reply> replyTo) implements Command {}

    /** Forgets segments whose shard is gone (from a job, after their fragments were deleted). */
    record Forget(List<String> segmentIds, ActorRef<Reply> replyTo) implements Command {}

    /** Samples of shards' last versions (from a job). */
    record Sampled(Map<String, Long> lastVersions, long atMillis, ActorRef<Reply> replyTo) implements Command {}

    private enum Tick implements Command {
        INSTANCE
    }

    private enum ScrubTick implements Command {
        INSTANCE
    }

    private record JobDone(Job job, Reply outcome) implements Command {}

    // ---- replies

    /** What the coordinator answers. */
    public sealed interface Reply extends CborSerializable {}

    /** The manifest change asked for is persisted. */
    public enum Done implements Reply {
        INSTANCE
    }

    /** What the manifest knows of a collection: its policy (null: none) and its committed segments. */
    public record Described(Policy policy, Totals totals, List<String> damaged) implements Reply {}

    /** How a move went. */
    public record Moved(long documents, int segments, long segmentBytes) implements Reply {}

    /** The descriptor of a segment the manifest records. */
    public record SegmentFound(SegmentDescriptor descriptor) implements Reply {}

    /** What a scrub found and did: fragments repaired, segments damaged, orphan fragments deleted. */
    public record ScrubDone(int segments, int repairedFragments, List<String> damaged, int orphansDeleted)
            implements Reply {}

    /** The request could not be done; the message says why. */
    public record Failed(String message) implements Reply {}

    /** Committed segments, the documents pointed to when they were committed, their bytes, and damaged segments. */
    public record Totals(int segments, long documents, long segmentBytes, long storedBytes, int damaged)
            implements Reply {}

    // ---- events

    /** What the manifest's journal holds. */
    public sealed interface Event extends CborSerializable {}

    /** A collection's policy was set (null: removed). */
    public record PolicySet(String collection, Policy policy) implements Event {}

    /** A segment's fragments are written and verified; its shard does not point to it yet. */
    public record SegmentRecorded(String collection, SegmentDescriptor descriptor) implements Event {}

    /** The shard points {@code documents} documents to the segment. */
    public record SegmentCommitted(String segmentId, int documents) implements Event {}

    /** A scrub's outcome: the descriptor (fragments placed anew after repairs) and the damage (null: none). */
    public record SegmentScrubbed(SegmentDescriptor descriptor, String damage) implements Event {}

    /** Segments whose fragments were deleted (their shard is gone). */
    public record SegmentsForgotten(List<String> segmentIds) implements Event {
        public SegmentsForgotten {
            segmentIds = List.copyOf(segmentIds);
        }
    }

    /** An explicit move was asked for: it runs until done, also after the coordinator moved to another node. */
    public record MoveRequested(String collection, String filter) implements Event {}

    /** An explicit move is done. */
    public record MoveFinished(String collection) implements Event {}

    /** Shards' last versions at a time, for idle ages. */
    public record VersionsSampled(Map<String, Long> lastVersions, long atMillis) implements Event {
        public VersionsSampled {
            lastVersions = Map.copyOf(lastVersions);
        }
    }

    // ---- state

    /** A segment in the manifest; {@code damage} says what a scrub found missing, null when sound. */
    public record Segment(
            String collection, SegmentDescriptor descriptor, boolean committed, int documents, String damage)
            implements CborSerializable {}

    /** A shard's last version at a time. */
    public record Sample(long atMillis, long lastVersion) implements CborSerializable {}

    /** Mutated only by the event handler. */
    public record State(
            TreeMap<String, Policy> policies,
            TreeMap<String, Segment> segments,
            TreeMap<String, List<Sample>> samples,
            TreeMap<String, String> moves)
            implements CborSerializable {
        public State {
            moves = moves == null ? new TreeMap<>() : new TreeMap<>(moves);
            policies = policies == null ? new TreeMap<>() : new TreeMap<>(policies);
            segments = segments == null ? new TreeMap<>() : new TreeMap<>(segments);
            samples = samples == null ? new TreeMap<>() : new TreeMap<>(samples);
        }
    }

    /** Samples kept per shard: enough to tell ages between the sample interval and many times it. */
    static final int SAMPLES_KEPT = 64;

    // ---- jobs

    /** Work the coordinator runs one at a time (local to it, never sent or persisted). */
    sealed interface Job {}

    record MoveJob(String collection, String filter, ActorRef<Reply> replyTo) implements Job {}

    enum PolicyJob implements Job {
        INSTANCE
    }

    record ScrubJob(ActorRef<Reply> replyTo) implements Job {}

    record DropJob(String shard) implements Job {}

    // ---- creation

    static Behavior<Command> create(Migrations migrations, TieringSettings settings) {
        return Behaviors.setup(
                ctx -> Behaviors.withTimers(timers -> new TieringCoordinator(ctx, timers, migrations, settings)));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Migrations migrations;
    private final TieringSettings settings;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private Job running;

    private TieringCoordinator(
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            Migrations migrations,
            TieringSettings settings) {
        super(PersistenceId.ofUniqueId("lumadb-tiering-manifest"));
        this.context = context;
        this.timers = timers;
        this.migrations = migrations;
        this.settings = settings;
    }

    @Override
    public State emptyState() {
        return new State(null, null, null, null);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(200, 2);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
                .build();
    }

    private void onRecoveryCompleted(State state) {
        long pending =
                state.segments().values().stream().filter(s -> !s.committed()).count();
        context.getLog()
                .info(
                        "Cold tier manifest: {} segments ({} to finish), {} policies; coder {}",
                        state.segments().size(),
                        pending,
                        state.policies().size(),
                        migrations.coderName());
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, settings.checkInterval());
        timers.startTimerWithFixedDelay(ScrubTick.INSTANCE, settings.scrubInterval(), settings.scrubInterval());
    }

    // ---- command handler

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(SetPolicy.class, this::onSetPolicy)
                .onCommand(Describe.class, this::onDescribe)
                .onCommand(Move.class, this::onMove)
                .onCommand(GetSegment.class, this::onGetSegment)
                .onCommand(GetTotals.class, this::onGetTotals)
                .onCommand(Scrub.class, (state, cmd) -> enqueue(state, new ScrubJob(cmd.replyTo())))
                .onCommand(ShardDropped.class, (state, cmd) -> enqueue(state, new DropJob(cmd.shard())))
                .onCommand(Record.class, this::onRecord)
                .onCommand(Commit.class, this::onCommit)
                .onCommand(Scrubbed.class, this::onScrubbed)
                .onCommand(Forget.class, this::onForget)
                .onCommand(Sampled.class, this::onSampled)
                .onCommand(Tick.class, this::onTick)
                .onCommand(ScrubTick.class, (state, tick) -> enqueue(state, new ScrubJob(null)))
                .onCommand(JobDone.class, this::onJobDone)
                .build();
    }

    private ReplyEffect<Event, State> onSetPolicy(State state, SetPolicy cmd) {
        return Effect()
                .persist(new PolicySet(cmd.collection(), cmd.policy()))
                .thenReply(cmd.replyTo(), s -> Done.INSTANCE);
    }

    /** Recorded first, so that a move survives the coordinator's node; then queued. */
    private ReplyEffect<Event, State> onMove(State state, Move cmd) {
        String filter = cmd.filter() == null ? "" : cmd.filter();
        if (filter.equals(state.moves().get(cmd.collection()))) {
            return enqueue(state, new MoveJob(cmd.collection(), cmd.filter(), cmd.replyTo()));
        }
        return Effect()
                .persist(new MoveRequested(cmd.collection(), filter))
                .thenRun(next -> queue(next, new MoveJob(cmd.collection(), cmd.filter(), cmd.replyTo())))
                .thenNoReply();
    }

    private ReplyEffect<Event, State> onDescribe(State state, Describe cmd) {
        List<String> damaged = new ArrayList<>();
        Totals totals = totals(state, s -> s.collection().equals(cmd.collection()), damaged);
        return Effect().reply(cmd.replyTo(), new Described(state.policies().get(cmd.collection()), totals, damaged));
    }

    private ReplyEffect<Event, State> onGetTotals(State state, GetTotals cmd) {
        return Effect().reply(cmd.replyTo(), totals(state, s -> true, new ArrayList<>()));
    }

    /** The totals of the committed segments {@code which} selects; what is wrong with the damaged ones goes to {@code damaged}. */
    private static Totals totals(State state, java.util.function.Predicate<Segment> which, List<String> damaged) {
        int segments = 0;
        long documents = 0;
        long bytes = 0;
        long stored = 0;
        for (Segment s : state.segments().values()) {
            if (!s.committed() || !which.test(s)) {
                continue;
            }
            segments++;
            documents += s.documents();
            bytes += s.descriptor().segmentLength();
            stored += (long) s.descriptor().fragmentSize() * ErasureCoder.TOTAL;
            if (s.damage() != null) {
                damaged.add(s.descriptor().segmentId() + ": " + s.damage());
            }
        }
        return new Totals(segments, documents, bytes, stored, damaged.size());
    }

    private ReplyEffect<Event, State> onGetSegment(State state, GetSegment cmd) {
        Segment s = state.segments().get(cmd.segmentId());
        return Effect()
                .reply(
                        cmd.replyTo(),
                        s == null
                                ? new Failed("segment " + cmd.segmentId() + " is not in the manifest")
                                : new SegmentFound(s.descriptor()));
    }

    private ReplyEffect<Event, State> onRecord(State state, Record cmd) {
        return Effect()
                .persist(new SegmentRecorded(cmd.collection(), cmd.descriptor()))
                .thenReply(cmd.replyTo(), s -> Done.INSTANCE);
    }

    private ReplyEffect<Event, State> onCommit(State state, Commit cmd) {
        if (!state.segments().containsKey(cmd.segmentId())) {
            return Effect().reply(cmd.replyTo(), new Failed("segment " + cmd.segmentId() + " is not recorded"));
        }
        return Effect()
                .persist(new SegmentCommitted(cmd.segmentId(), cmd.documents()))
                .thenReply(cmd.replyTo(), s -> Done.INSTANCE);
    }

    private ReplyEffect<Event, State> onScrubbed(State state, Scrubbed cmd) {
        Segment s = state.segments().get(cmd.descriptor().segmentId());
        if (s == null) {
            return Effect().reply(cmd.replyTo(), Done.INSTANCE);
        }
        if (s.descriptor().equals(cmd.descriptor()) && java.util.Objects.equals(s.damage(), cmd.damage())) {
            return Effect().reply(cmd.replyTo(), Done.INSTANCE);
        }
        if (cmd.damage() != null && s.damage() == null) {
            context.getLog()
                    .error("Cold segment {} is damaged: {}", cmd.descriptor().segmentId(), cmd.damage());
        }
        return Effect()
                .persist(new SegmentScrubbed(cmd.descriptor(), cmd.damage()))
                .thenReply(cmd.replyTo(), x -> Done.INSTANCE);
    }

    private ReplyEffect<Event, State> onForget(State state, Forget cmd) {
        if (cmd.segmentIds().isEmpty()) {
            return Effect().reply(cmd.replyTo(), Done.INSTANCE);
        }
        return Effect().persist(new SegmentsForgotten(cmd.segmentIds())).thenReply(cmd.replyTo(), s -> Done.INSTANCE);
    }

    private ReplyEffect<Event, State> onSampled(State state, Sampled cmd) {
        if (cmd.lastVersions().isEmpty()) {
            return Effect().reply(cmd.replyTo(), Done.INSTANCE);
        }
        return Effect()
                .persist(new VersionsSampled(cmd.lastVersions(), cmd.atMillis()))
                .thenReply(cmd.replyTo(), s -> Done.INSTANCE);
    }

    // ---- jobs

    private ReplyEffect<Event, State> enqueue(State state, Job job) {
        queue(state, job);
        return Effect().noReply();
    }

    /**
     * Applies the policies, and runs again the explicit moves not done yet: those a coordinator
     * on another node was running when it stopped, and those that failed (an empty filter: all).
     */
    private ReplyEffect<Event, State> onTick(State state, Tick tick) {
        state.moves().forEach((collection, filter) -> {
            boolean pending = running instanceof MoveJob m && m.collection().equals(collection)
                    || queue.stream()
                            .anyMatch(j ->
                                    j instanceof MoveJob m && m.collection().equals(collection));
            if (!pending) {
                queue(state, new MoveJob(collection, filter.isEmpty() ? null : filter, null));
            }
        });
        return enqueue(state, PolicyJob.INSTANCE);
    }

    private void queue(State state, Job job) {
        if (job == PolicyJob.INSTANCE && (running == PolicyJob.INSTANCE || queue.contains(job))) {
            return;
        }
        queue.add(job);
        startNext(state);
    }

    private void startNext(State state) {
        if (running != null || queue.isEmpty()) {
            return;
        }
        Job job = queue.poll();
        running = job;
        CompletionStage<Reply> outcome;
        try {
            outcome = migrations.run(job, snapshot(state), context.getSelf());
        } catch (RuntimeException e) {
            outcome = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        context.pipeToSelf(
                outcome,
                (reply, failure) ->
                        new JobDone(job, failure != null ? new Failed(Migrations.describe(failure)) : reply));
    }

    /** What a job needs of the manifest, copied: the job runs outside the actor. */
    private static Migrations.Manifest snapshot(State state) {
        Map<String, List<Sample>> samples = new HashMap<>();
        state.samples().forEach((k, v) -> samples.put(k, List.copyOf(v)));
        return new Migrations.Manifest(
                Map.copyOf(state.policies()), List.copyOf(state.segments().values()), Map.copyOf(samples));
    }

    private ReplyEffect<Event, State> onJobDone(State state, JobDone done) {
        running = null;
        if (done.outcome() instanceof Failed failed) {
            context.getLog().warn("Cold tier: {} failed: {}", Migrations.describe(done.job()), failed.message());
        }
        ActorRef<Reply> replyTo =
                switch (done.job()) {
                    case MoveJob m -> m.replyTo();
                    case ScrubJob s -> s.replyTo();
                    default -> null;
                };
        if (done.job() instanceof MoveJob m
                && !(done.outcome() instanceof Failed)
                && state.moves().containsKey(m.collection())) {
            return Effect()
                    .persist(new MoveFinished(m.collection()))
                    .thenRun(next -> startNext(next))
                    .thenRun(next -> {
                        if (replyTo != null) {
                            replyTo.tell(done.outcome());
                        }
                    })
                    .thenNoReply();
        }
        startNext(state);
        return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, done.outcome());
    }

    // ---- event handler

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(PolicySet.class, TieringCoordinator::onPolicySet)
                .onEvent(SegmentRecorded.class, TieringCoordinator::onSegmentRecorded)
                .onEvent(SegmentCommitted.class, TieringCoordinator::onSegmentCommitted)
                .onEvent(SegmentScrubbed.class, TieringCoordinator::onSegmentScrubbed)
                .onEvent(SegmentsForgotten.class, TieringCoordinator::onSegmentsForgotten)
                .onEvent(VersionsSampled.class, TieringCoordinator::onVersionsSampled)
                .onEvent(MoveRequested.class, (state, e) -> {
                    state.moves().put(e.collection(), e.filter());
                    return state;
                })
                .onEvent(MoveFinished.class, (state, e) -> {
                    state.moves().remove(e.collection());
                    return state;
                })
                .build();
    }

    private static State onPolicySet(State state, PolicySet e) {
        if (e.policy() == null) {
            state.policies().remove(e.collection());
        } else {
            state.policies().put(e.collection(), e.policy());
        }
        return state;
    }

    private static State onSegmentRecorded(State state, SegmentRecorded e) {
        state.segments().put(e.descriptor().segmentId(), new Segment(e.collection(), e.descriptor(), false, 0, null));
        return state;
    }

    private static State onSegmentCommitted(State state, SegmentCommitted e) {
        Segment s = state.segments().get(e.segmentId());
        if (s != null) {
            state.segments()
                    .put(e.segmentId(), new Segment(s.collection(), s.descriptor(), true, e.documents(), s.damage()));
        }
        return state;
    }

    private static State onSegmentScrubbed(State state, SegmentScrubbed e) {
        Segment s = state.segments().get(e.descriptor().segmentId());
        if (s != null) {
            state.segments()
                    .put(
                            e.descriptor().segmentId(),
                            new Segment(s.collection(), e.descriptor(), s.committed(), s.documents(), e.damage()));
        }
        return state;
    }

    private static State onSegmentsForgotten(State state, SegmentsForgotten e) {
        e.segmentIds().forEach(state.segments()::remove);
        return state;
    }

    private static State onVersionsSampled(State state, VersionsSampled e) {
        e.lastVersions().forEach((shard, version) -> {
            List<Sample> samples = state.samples().computeIfAbsent(shard, k -> new ArrayList<>());
            samples.add(new Sample(e.atMillis(), version));
            if (samples.size() > SAMPLES_KEPT) {
                // Thins the oldest half to every other sample, so old ages stay answerable.
                List<Sample> kept = new ArrayList<>();
                int half = samples.size() / 2;
                for (int i = 0; i < samples.size(); i++) {
                    if (i >= half || i % 2 == 0) {
                        kept.add(samples.get(i));
                    }
                }
                state.samples().put(shard, kept);
            }
        });
        return state;
    }
}
