package io.lumadb.client;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A Pekko Projections {@link SourceProvider} over a collection's change stream. The offset is the
 * resume token of the last change a projection handled ({@link ChangeEnvelope#token()}), a string
 * that every Projections offset store keeps as it is; a projection (re)started with a stored
 * offset continues right after it, one without starts at the provider's initial position.
 *
 * <p>With an offset store committed together with the handler's effects (for example {@code
 * JdbcProjection.exactlyOnce}), each change takes effect exactly once, across restarts of the
 * projection and of the server. The stream itself never skips: lost history fails the projection
 * with {@link HistoryLostException}, which its restart policy then reports again on every restart.
 */
public final class ChangeSourceProvider extends SourceProvider<String, ChangeEnvelope> {

    private final LumaDbClient client;
    private final String database;
    private final String collection;
    private final StartPosition initial;
    private final ChangeStreamSettings settings;

    ChangeSourceProvider(
            LumaDbClient client,
            String database,
            String collection,
            StartPosition initial,
            ChangeStreamSettings settings) {
        if (initial == null || settings == null) {
            throw new IllegalArgumentException("initial and settings must not be null");
        }
        this.client = client;
        this.database = database;
        this.collection = collection;
        this.initial = initial;
        this.settings = settings;
    }

    @Override
    public CompletionStage<Source<ChangeEnvelope, NotUsed>> source(Supplier<CompletionStage<Optional<String>>> offset) {
        return offset.get()
                .thenApply(stored -> client.changes(
                        database, collection, stored.map(StartPosition::after).orElse(initial), settings));
    }

    @Override
    public String extractOffset(ChangeEnvelope envelope) {
        return envelope.token();
    }

    /** The commit time of the change on its shard, which Projections uses for lag metrics. */
    @Override
    public long extractCreationTime(ChangeEnvelope envelope) {
        return envelope.committedAtMillis();
    }

    @Override
    public String toString() {
        return "ChangeSourceProvider[" + client.baseUrl() + " " + database + "/" + collection + ", initial "
                + initial.queryValue() + "]";
    }
}
