package io.lumadb.shards.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lumadb.shards.store.IndexState;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Search definitions cross nodes and land in journals and snapshots through Pekko's Jackson CBOR
 * serialization: they must come back whole, also from records that have a shorter convenience
 * constructor beside their canonical one (a serializer that picked the short one would drop the
 * search part, and a shard on another node would take a search index for a secondary one).
 */
class SearchDefinitionSerializationTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void searchDefinitionsAndTheirStatesSurviveSerialization() {
        IndexDefinition vector = IndexDefinition.search(
                "emb",
                7,
                SearchSpec.vector("emb", 768, SearchSpec.Similarity.COSINE, 16, 100, SearchSpec.Quantization.INT8));
        IndexDefinition text =
                IndexDefinition.search("words", 8, SearchSpec.text(List.of("title", "body"), "english", true));
        IndexDefinition secondary = new IndexDefinition("by_n", 9, List.of(new IndexDefinition.Field("n", true)));
        for (IndexDefinition d : List.of(vector, text, secondary)) {
            assertEquals(d, serialization.verifySerialization(d, true));
        }
        IndexState state = new IndexState(
                vector, IndexState.Phase.READY, 5, false, null, new IndexState.SearchProgress(4, 3, 2, 5));
        assertEquals(state, serialization.verifySerialization(state, true));
        DocumentChange change = new DocumentChange("d", DocumentChange.Op.UPDATED, 3, new byte[] {1}, new byte[] {2});
        DocumentChange back = serialization.verifySerialization(change, false);
        assertEquals(java.util.Arrays.toString(change.before()), java.util.Arrays.toString(back.before()));
        WriteOutcome refused =
                new WriteOutcome("d", WriteOutcome.Status.UNINDEXABLE, 0, null, "path 'emb' has 2 numbers");
        assertEquals(
                refused.problem(),
                serialization.verifySerialization(refused, false).problem());
    }
}
