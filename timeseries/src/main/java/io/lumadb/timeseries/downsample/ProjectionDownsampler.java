package io.lumadb.timeseries.downsample;

import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.timeseries.shard.TimeSeriesShardStore;
import io.lumadb.timeseries.shard.TimeSeriesStores;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;

/**
 * Runs each time-series shard's {@link DownsamplingProjection} on the node that holds the shard:
 * a {@link ProjectionBehavior} actor, started when the shard's store opens with downsampling rules
 * and stopped when it closes (the shard stopped or moved; it resumes where the shard starts next).
 */
public final class ProjectionDownsampler implements TimeSeriesStores.Downsampler {

    /** The projection name of every shard's downsampling; the key is the shard's entity id. */
    public static final String PROJECTION_NAME = "lumadb-downsampling";

    /** Threads that run the node's projections' handlers. */
    private static final int THREADS = 2;

    private final ActorSystem<?> system;
    private final String readJournalId;
    private final AtomicLong started = new AtomicLong();
    private final ExecutorService executor;
    private volatile EventsByPersistenceIdQuery journal;

    /** Downsamples on threads of its own (the stores' reads and writes block), stopped with {@code system}. */
    public ProjectionDownsampler(ActorSystem<?> system, String readJournalId) {
        this.system = system;
        this.readJournalId = readJournalId;
        this.executor = Executors.newFixedThreadPool(
                THREADS,
                Thread.ofPlatform()
                        .name("lumadb-ts-downsampling-", 0)
                        .daemon(true)
                        .factory());
        system.getWhenTerminated().thenRun(executor::shutdownNow);
    }

    @Override
    public Runnable start(TimeSeriesShardStore store) {
        ProjectionId id = ProjectionId.of(PROJECTION_NAME, store.name());
        DownsamplingProjection projection = new DownsamplingProjection(
                id, store, new ShardEventsProvider(journal(), ShardEvents.persistenceId(store.name())), executor);
        // A shard that stops and starts again may meet its previous actor still stopping: names differ.
        String name = "downsampling-" + URLEncoder.encode(store.name(), StandardCharsets.UTF_8) + "-"
                + started.incrementAndGet();
        ActorRef<ProjectionBehavior.Command> actor =
                system.systemActorOf(ProjectionBehavior.create(projection), name, Props.empty());
        return () -> actor.tell(ProjectionBehavior.stopMessage());
    }

    private EventsByPersistenceIdQuery journal() {
        if (journal == null) {
            ReadJournal read = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
            if (!(read instanceof EventsByPersistenceIdQuery live)) {
                throw new IllegalStateException(
                        "read journal " + readJournalId + " cannot follow events by persistence id");
            }
            journal = live;
        }
        return journal;
    }
}
