package io.lumadb.node;

import io.lumadb.testkit.TestHttp;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A writer running beside a test: puts {@code {"n": 0..99}} into documents {@code d0..d<ids-1>}
 * at random, deleting one in {@code deleteOneIn}, until stopped and at least {@code minWrites}.
 */
final class RandomWriter {

    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final CompletableFuture<Integer> done;

    private RandomWriter(TestHttp http, String collection, long seed, int ids, int deleteOneIn, int minWrites) {
        done = CompletableFuture.supplyAsync(() -> {
            Random random = new Random(seed);
            int writes = 0;
            while (writing.get() || writes < minWrites) {
                String id = "d" + random.nextInt(ids);
                if (random.nextInt(deleteOneIn) == 0) {
                    http.delete(collection + "/" + id);
                } else {
                    http.putDocument(collection, id, "{\"n\":" + random.nextInt(100) + "}");
                }
                writes++;
            }
            return writes;
        });
    }

    static RandomWriter start(TestHttp http, String collection, long seed, int ids, int deleteOneIn, int minWrites) {
        return new RandomWriter(http, collection, seed, ids, deleteOneIn, minWrites);
    }

    /** Stops writing (after {@code minWrites}) and returns how many writes were made. */
    int stop() throws Exception {
        writing.set(false);
        return done.get();
    }
}
