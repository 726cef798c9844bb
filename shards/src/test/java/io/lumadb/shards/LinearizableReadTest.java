package io.lumadb.shards;

import static io.lumadb.shards.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.shard.ShardEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linearizable reads: a shard answers one only after the journal (here Pekko's in-memory test
 * journal, through its read journal) confirms that nobody wrote the shard past this node's copy.
 * Another writer is played by appending an event to the shard's journal directly, as the writer
 * of a node on the other side of a partition would.
 */
@Timeout(60)
class LinearizableReadTest {

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;
    private Shards shards;

    @BeforeEach
    void setUp() throws Exception {
        kit = TestCluster.start(Map.of(
                "lumadb.shards.ask-timeout", "2s",
                "lumadb.shards.confirm-read-journal", "pekko.persistence.testkit.query"));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        await(shards.catalog().createDatabase("db"));
    }

    @AfterEach
    void tearDown() {
        kit.shutdownTestKit();
        rocks.close();
    }

    private long put(String id, String json) throws Exception {
        WriteOutcome w = await(shards.documents()
                .write("db", "c", DocumentWrite.put(id, json.getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY)));
        return w.version();
    }

    @Test
    void aLinearizableReadAnswersFromACopyTheJournalConfirms() throws Exception {
        long v1 = put("k", "{\"v\":1}");
        assertEquals(
                v1,
                await(shards.documents().getLinearizable("db", "c", "k"))
                        .orElseThrow()
                        .version());
        long v2 = put("k", "{\"v\":2}");
        assertEquals(
                v2,
                await(shards.documents().getLinearizable("db", "c", "k"))
                        .orElseThrow()
                        .version());
        assertTrue(
                await(shards.documents().getLinearizable("db", "c", "missing")).isEmpty());
    }

    @Test
    void aLinearizableReadRefusesACopyThatAnotherWriterHasPassed() throws Exception {
        long v1 = put("k", "{\"v\":1}");
        CollectionInfo info = shards.catalog().cached().collection("db", "c").orElseThrow();
        String entityId = info.shardEntityId(Documents.shardOf("k", info.shards()));
        // The shard's writer on another node appends to the journal this copy never applies.
        PersistenceTestKit.create(kit.system())
                .persistForRecovery(ShardEvents.persistenceId(entityId), List.of("written elsewhere"));

        ShardUnavailableException refused = assertThrows(
                ShardUnavailableException.class, () -> await(shards.documents().getLinearizable("db", "c", "k")));
        assertTrue(refused.getMessage().contains("behind the journal"), refused.getMessage());
        // A local read still answers from this copy: the trade-off the linearizable mode removes.
        assertEquals(
                v1, await(shards.documents().get("db", "c", "k")).orElseThrow().version());
    }
}
