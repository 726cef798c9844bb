package io.lumadb.timeseries.downsample;

import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.timeseries.shard.TimeSeriesShardStore;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.projection.HandlerRecoveryStrategy;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.RunningProjection;
import org.apache.pekko.projection.StatusObserver;
import org.apache.pekko.projection.internal.ActorHandlerInit;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;
import scala.jdk.javaapi.FutureConverters;

/**
 * The continuous downsampling of one time-series shard, an exactly-once Pekko Projection of the
 * shard's journal events ({@link ShardEventsProvider}) run by {@code ProjectionBehavior}.
 *
 * <p>Exactly once needs the offset committed with the handler's effect. Pekko Projections keeps
 * offsets in JDBC, Cassandra or R2DBC databases; a shard's rolled-up windows live in the node's
 * RocksDB, so this projection is its own offset store: the store records the event's sequence
 * number in the same atomic write as the windows the event closed ({@link
 * TimeSeriesStore#downsample}), reads it back as the offset to resume after, and skips an event
 * it has downsampled. A restart of the projection, of the node or a move of the shard resumes
 * from there.
 *
 * <p>An event is downsampled only once the shard's store has applied it, since a window is rolled
 * up from the stored points: the handler waits for that. A failure restarts the stream with
 * backoff (from the stored offset).
 */
public final class DownsamplingProjection implements Projection<EventEnvelope> {

    private static final Logger log = LoggerFactory.getLogger(DownsamplingProjection.class);

    /** How long the handler waits between two looks at whether the store applied an event. */
    private static final Duration NOT_APPLIED_PAUSE = Duration.ofMillis(10);

    private final ProjectionId id;
    private final TimeSeriesShardStore store;
    private final SourceProvider<Long, EventEnvelope> events;
    private final RestartSettings restart;
    private final StatusObserver<EventEnvelope> observer;
    private final Executor executor;

    /**
     * @param executor where events are downsampled: the store's reads and writes, off the stream's
     *     dispatcher threads
     */
    public DownsamplingProjection(
            ProjectionId id,
            TimeSeriesShardStore store,
            SourceProvider<Long, EventEnvelope> events,
            Executor executor) {
        this(
                id,
                store,
                events,
                RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2),
                new QuietObserver(),
                executor);
    }

    private DownsamplingProjection(
            ProjectionId id,
            TimeSeriesShardStore store,
            SourceProvider<Long, EventEnvelope> events,
            RestartSettings restart,
            StatusObserver<EventEnvelope> observer,
            Executor executor) {
        this.id = id;
        this.store = store;
        this.events = events;
        this.restart = restart;
        this.observer = observer;
        this.executor = executor;
    }

    @Override
    public ProjectionId projectionId() {
        return id;
    }

    @Override
    public Projection<EventEnvelope> withRestartBackoff(
            FiniteDuration minBackoff, FiniteDuration maxBackoff, double randomFactor) {
        return withRestartBackoff(
                Duration.ofNanos(minBackoff.toNanos()), Duration.ofNanos(maxBackoff.toNanos()), randomFactor);
    }

    @Override
    public Projection<EventEnvelope> withRestartBackoff(
            FiniteDuration minBackoff, FiniteDuration maxBackoff, double randomFactor, int maxRestarts) {
        return withRestartBackoff(
                Duration.ofNanos(minBackoff.toNanos()),
                Duration.ofNanos(maxBackoff.toNanos()),
                randomFactor,
                maxRestarts);
    }

    @Override
    public Projection<EventEnvelope> withRestartBackoff(Duration minBackoff, Duration maxBackoff, double randomFactor) {
        return new DownsamplingProjection(
                id, store, events, RestartSettings.create(minBackoff, maxBackoff, randomFactor), observer, executor);
    }

    @Override
    public Projection<EventEnvelope> withRestartBackoff(
            Duration minBackoff, Duration maxBackoff, double randomFactor, int maxRestarts) {
        return new DownsamplingProjection(
                id,
                store,
                events,
                RestartSettings.create(minBackoff, maxBackoff, randomFactor).withMaxRestarts(maxRestarts, minBackoff),
                observer,
                executor);
    }

    @Override
    public StatusObserver<EventEnvelope> statusObserver() {
        return observer;
    }

    @Override
    public Projection<EventEnvelope> withStatusObserver(StatusObserver<EventEnvelope> observer) {
        return new DownsamplingProjection(id, store, events, restart, observer, executor);
    }

    @Override
    public org.apache.pekko.stream.scaladsl.Source<Done, Future<Done>> mappedSource(ActorSystem<?> system) {
        return once().mapMaterializedValue(
                        n -> FutureConverters.asScala(CompletableFuture.completedFuture(Done.getInstance())))
                .asScala();
    }

    @Override
    public <T> Option<ActorHandlerInit<T>> actorHandlerInit() {
        return Option.empty();
    }

    @Override
    public RunningProjection run(ActorSystem<?> system) {
        observer.started(id);
        var running = RestartSource.onFailuresWithBackoff(restart, () -> once())
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.ignore(), Keep.both())
                .run(system);
        UniqueKillSwitch kill = running.first();
        CompletionStage<Done> done = running.second();
        return () -> {
            kill.shutdown();
            return FutureConverters.asScala(done.whenComplete((d, e) -> observer.stopped(id)));
        };
    }

    /** One run: the events after the stored offset, each downsampled in order. */
    private Source<Done, NotUsed> once() {
        return Source.completionStageSource(
                        events.source(() -> CompletableFuture.completedFuture(Optional.of(store.downsampledSeq()))))
                .mapAsync(1, this::handle)
                .mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private CompletionStage<Done> handle(EventEnvelope envelope) {
        long last = store.downsampledSeq();
        if (envelope.sequenceNr() > last + 1 && last > 0) {
            // Retention (delete-events-on-snapshot) removed events before they were downsampled.
            log.warn(
                    "{}: events {} to {} were deleted from the journal before they were downsampled; windows only"
                            + " they had points in are not rolled up, and answers from rolled-up windows miss them",
                    id.id(),
                    last + 1,
                    envelope.sequenceNr() - 1);
        }
        List<byte[]> batches = ShardEvents.appends(envelope.event(), TimeSeriesShardStore.APPEND_KIND);
        CompletableFuture<Done> done = new CompletableFuture<>();
        executor.execute(() -> attempt(envelope, batches, done));
        return done;
    }

    private void attempt(EventEnvelope envelope, List<byte[]> batches, CompletableFuture<Done> done) {
        try {
            TimeSeriesStore.Downsampled outcome = store.downsample(envelope.sequenceNr(), batches);
            if (outcome == TimeSeriesStore.Downsampled.NOT_APPLIED_YET) {
                CompletableFuture.delayedExecutor(NOT_APPLIED_PAUSE.toMillis(), TimeUnit.MILLISECONDS, executor)
                        .execute(() -> attempt(envelope, batches, done));
                return;
            }
            observer.afterProcess(id, envelope);
            observer.offsetProgress(id, envelope);
            done.complete(Done.getInstance());
        } catch (RuntimeException e) {
            observer.error(id, envelope, e, HandlerRecoveryStrategy.fail());
            done.completeExceptionally(e);
        }
    }

    /** Observes nothing; failures are logged by the stream's restarts. */
    private static final class QuietObserver extends StatusObserver<EventEnvelope> {
        @Override
        public void started(ProjectionId projectionId) {}

        @Override
        public void failed(ProjectionId projectionId, Throwable cause) {}

        @Override
        public void stopped(ProjectionId projectionId) {}

        @Override
        public void beforeProcess(ProjectionId projectionId, EventEnvelope envelope) {}

        @Override
        public void afterProcess(ProjectionId projectionId, EventEnvelope envelope) {}

        @Override
        public void offsetProgress(ProjectionId projectionId, EventEnvelope envelope) {}

        @Override
        public void error(
                ProjectionId projectionId,
                EventEnvelope envelope,
                Throwable cause,
                HandlerRecoveryStrategy recoveryStrategy) {}
    }
}
