package io.lumadb.shards.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.plan.ShardQueryExecutor;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A query's deadline holds during a scan whose filter runs regular expressions, on a real store. */
class QueryDeadlineTest {

    @TempDir
    Path dir;

    @Test
    void aScanWithARegexFilterStopsAtTheDeadline() throws Exception {
        try (TestRocks rocks = new TestRocks(dir)) {
            ShardStore store = rocks.stores().open("deadline");
            try {
                List<DocumentChange> changes = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    ObjectNode doc = JsonNodeFactory.instance
                            .objectNode()
                            .put("_id", "d" + i)
                            .put("_version", i + 1)
                            .put("s", "a".repeat(100) + i);
                    changes.add(new DocumentChange("d" + i, DocumentChange.Op.CREATED, i + 1, DocumentJson.bytes(doc)));
                }
                store.apply(1, changes);
                QuerySpec spec = QuerySpec.parse(
                        DocumentJson.mapper()
                                .readTree("{\"filter\": {\"s\": {\"$regex\": \"(a|b)*[xy]z\"}}, \"count\": true}"),
                        QueryLimits.DEFAULTS);
                try (ReadView view = store.readView()) {
                    Deadline passed = Deadline.at(System.nanoTime() - 1);
                    assertThrows(
                            QueryTimeoutException.class,
                            () -> ShardQueryExecutor.execute(
                                    0, view, spec, null, passed, Long.MAX_VALUE, QueryLimits.DEFAULTS));
                }
                try (ReadView view = store.readView()) {
                    assertEquals(
                            0,
                            ShardQueryExecutor.execute(
                                            0, view, spec, null, Deadline.none(), Long.MAX_VALUE, QueryLimits.DEFAULTS)
                                    .count());
                }
            } finally {
                store.close();
            }
        }
    }
}
