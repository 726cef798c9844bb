package io.lumadb.vector;

import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.shard.ShardEvents;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.javadsl.Sink;
import scala.concurrent.ExecutionContextExecutor;

/**
 * What the search indexes of one node share: settings, the search dispatcher, the journal
 * reader for catch-ups, the directory layout ({@code <directory>/<shard>/<index id>}), and the
 * timers that refresh (every {@code refresh-interval}) and commit (every {@code
 * commit-interval}) every open index.
 */
public final class SearchNode {

    /** Receives the changes of one journal event during a catch-up. */
    @FunctionalInterface
    interface EventSink {
        void accept(long seq, List<DocumentChange> changes);
    }

    private final ActorSystem<?> system;
    private final SearchSettings settings;
    private final ShardsSettings shards;
    private final ExecutionContextExecutor executor;
    private final Set<ShardIndex> open = ConcurrentHashMap.newKeySet();
    private volatile CurrentEventsByPersistenceIdQuery journal;

    private SearchNode(ActorSystem<?> system, SearchSettings settings) {
        this.system = system;
        this.settings = settings;
        this.shards = ShardsSettings.from(system.settings().config());
        this.executor = system.dispatchers().lookup(DispatcherSelector.fromConfig(SearchSettings.DISPATCHER));
    }

    /** Starts the node's search layer: its timers run until the actor system terminates. */
    public static SearchNode start(ActorSystem<?> system, SearchSettings settings) {
        SearchNode node = new SearchNode(system, settings);
        system.scheduler()
                .scheduleWithFixedDelay(
                        settings.refreshInterval(),
                        settings.refreshInterval(),
                        () -> node.open.forEach(ShardIndex::refreshIfBehind),
                        node.executor);
        system.scheduler()
                .scheduleWithFixedDelay(
                        settings.commitInterval(),
                        settings.commitInterval(),
                        () -> node.open.forEach(ShardIndex::commitIfChanged),
                        node.executor);
        return node;
    }

    SearchSettings settings() {
        return settings;
    }

    ShardsSettings shardsSettings() {
        return shards;
    }

    ExecutionContextExecutor executor() {
        return executor;
    }

    /** Where the shard {@code storeName} keeps its search indexes. */
    Path shardDirectory(String storeName) {
        return settings.directory().resolve(URLEncoder.encode(storeName, StandardCharsets.UTF_8));
    }

    Path directory(String storeName, long indexId) {
        return shardDirectory(storeName).resolve(Long.toString(indexId));
    }

    void register(ShardIndex index) {
        open.add(index);
    }

    void unregister(ShardIndex index) {
        open.remove(index);
    }

    /**
     * Feeds the journal's events {@code after+1..to} of {@code persistenceId} to {@code sink} in
     * order and completes with the last sequence number it fed, stopping at the first gap (events
     * deleted by retention), so a result below {@code to} means the journal cannot bring the
     * index up to {@code to}.
     */
    CompletionStage<Long> replay(String persistenceId, long after, long to, EventSink sink) {
        long[] last = {after};
        return journal()
                .currentEventsByPersistenceId(persistenceId, after + 1, to)
                .takeWhile(envelope -> envelope.sequenceNr() == last[0] + 1)
                .runWith(
                        Sink.foreach((EventEnvelope envelope) -> {
                            sink.accept(envelope.sequenceNr(), ShardEvents.changes(envelope.event()));
                            last[0] = envelope.sequenceNr();
                        }),
                        system)
                .thenApply(done -> last[0]);
    }

    private CurrentEventsByPersistenceIdQuery journal() {
        if (journal == null) {
            ReadJournal read =
                    PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, settings.readJournal());
            if (!(read instanceof CurrentEventsByPersistenceIdQuery current)) {
                throw new IllegalStateException(
                        "read journal " + settings.readJournal() + " cannot read events by persistence id");
            }
            journal = current;
        }
        return journal;
    }
}
