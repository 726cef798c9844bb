package io.lumadb.shards;

import static io.lumadb.shards.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the node's storage cannot make writes durable, shards refuse writes before they reach
 * the journal (nothing is written, the answer names the condition) and keep serving reads; once
 * the condition clears, writes go through again without a restart.
 */
@Timeout(60)
class StorageConditionTest {

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;
    private Shards shards;

    @BeforeEach
    void start() throws Exception {
        kit = TestCluster.start(Map.of("lumadb.shards.ask-timeout", "5s"));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        await(shards.catalog().createDatabase("db"));
        await(shards.catalog().createCollection("db", "c", 1));
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        rocks.close();
    }

    private WriteOutcome put(String id) throws Exception {
        return await(shards.documents()
                .write("db", "c", DocumentWrite.put(id, "{}".getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY)));
    }

    private StoredDocument get(String id) throws Exception {
        return await(shards.documents().get("db", "c", id)).orElse(null);
    }

    @Test
    void writesAreRefusedUntouchedWhileTheStorageIsUnwritableAndGoThroughAfter() throws Exception {
        long before = put("before").version();
        String persistenceId = "shard|"
                + shards.catalog().cached().collection("db", "c").orElseThrow().shardEntityId(0);
        PersistenceTestKit journal = PersistenceTestKit.create(kit.system());
        journal.clearAll();

        StorageCondition condition = StorageCondition.get(kit.system());
        condition.set(Optional.of(
                new StorageCondition.Unwritable("no-space", "no space left in /data (0.0 MiB free)", Instant.now())));
        Exception refused = assertThrows(Exception.class, () -> put("during"));
        assertInstanceOf(ShardUnavailableException.class, refused);
        assertTrue(refused.getMessage().contains("storage unavailable (no-space)"), refused.getMessage());
        assertTrue(refused.getMessage().contains("nothing was written"), refused.getMessage());
        journal.expectNothingPersisted(persistenceId);
        // Reads go on.
        assertEquals(before, get("before").version());
        assertNull(get("during"));

        condition.set(Optional.empty());
        assertEquals(WriteOutcome.Status.CREATED, put("after").status());
        assertNull(get("during"), "a refused write must not take effect later");
        assertEquals(before, get("before").version());
    }
}
