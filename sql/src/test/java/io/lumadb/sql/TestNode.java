package io.lumadb.sql;

import io.lumadb.shards.Shards;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.testkit.TestClusters;
import io.lumadb.testkit.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/**
 * The data layer of one node for SQL tests: cluster sharding on loopback, real RocksDB stores in a
 * temporary directory, and a SQL engine over them. {@link #close} removes everything.
 */
final class TestNode implements AutoCloseable {

    final Shards shards;
    final SqlEngine engine;
    private final Path dir;
    private final ActorTestKit kit;
    private final TestRocks rocks;

    TestNode(SqlSettings settings) throws Exception {
        this(settings, backend -> backend);
    }

    /** A node whose engine reaches the shards through {@code around} (which may interfere, as a concurrent client does). */
    TestNode(SqlSettings settings, java.util.function.UnaryOperator<SqlBackend> around) throws Exception {
        dir = Files.createTempDirectory("sql-test");
        // Shard messages that stay on one node are not serializable by design (as in the shards tests).
        kit = TestClusters.singleNode(
                Map.of("lumadb.shards.auto-create", true, "pekko.actor.serialize-messages", "off"));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        engine = new SqlEngine(around.apply(SqlBackend.of(shards)), settings);
    }

    /** Writes (creates or replaces) document {@code id} of {@code collection} in {@code database}. */
    void put(String database, String collection, String id, String json) throws Exception {
        await(shards.documents()
                .write(
                        database,
                        collection,
                        DocumentWrite.put(id, json.getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY)));
    }

    /** The stage's value within a minute; a failure is rethrown as its cause. */
    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    @Override
    public void close() throws java.io.IOException {
        engine.close();
        kit.shutdownTestKit();
        rocks.close();
        TestFiles.deleteRecursively(dir);
    }
}
