package io.lumadb.shards.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A collection's kind crosses nodes and lands in the catalog's journal and snapshots through
 * Pekko's Jackson CBOR serialization, as do a time-series shard's appends: they must come back as
 * they were. (A bean-style {@code isTimeSeries()} accessor once made Jackson write a boolean under
 * the options' name, so every collection read back from a catalog snapshot held time series.)
 */
class CollectionKindSerializationTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void collectionsKeepTheirKindInCatalogSnapshotsAndEvents() {
        CollectionInfo documents = new CollectionInfo("db", "docs", 3, 5, 100);
        CollectionInfo series = new CollectionInfo(
                "db", "cpu", 4, 6, 200, List.of(), 6, false, null, 0, "{\"precision\":\"ns\",\"tags\":[]}");
        CatalogSnapshot snapshot = new CatalogSnapshot(
                7, Map.of("db", new DatabaseInfo("db", 1, Map.of("docs", documents, "cpu", series))));
        CatalogSnapshot back = serialization.verifySerialization(snapshot, true);
        assertFalse(back.collection("db", "docs").orElseThrow().holdsTimeSeries());
        assertTrue(back.collection("db", "cpu").orElseThrow().holdsTimeSeries());
        assertEquals(
                series.timeSeries(), back.collection("db", "cpu").orElseThrow().timeSeries());
        for (String options : new String[] {null, series.timeSeries()}) {
            var created = new CatalogEntity.CollectionCreated("db", "c", 2, 1, false, null, options);
            assertEquals(created, serialization.verifySerialization(created, true));
        }
    }

    @Test
    void appendsComeBackByteForByte() {
        ShardWriter.AppendsWritten event = new ShardWriter.AppendsWritten(
                "timeseries", List.of(new byte[] {0x54, 0x31, 1, -1, 0}, new byte[0], new byte[] {42}));
        ShardWriter.AppendsWritten back = serialization.verifySerialization(event, false);
        assertEquals("timeseries", back.kind());
        assertEquals(3, back.batches().size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(event.batches().get(i), back.batches().get(i));
        }
    }
}
