package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.model.InvalidNameException;
import io.lumadb.shards.query.QueryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Failures of any layer become the problem a client can act on; nothing unknown leaks as detail. */
class ProblemsTest {

    private static String classify(Throwable failure) {
        ApiException e = Problems.classify(failure);
        return e.status + " " + e.type;
    }

    @Test
    void mapsEachFailureToItsProblem() {
        assertEquals("404 collection-not-found", classify(new NotFoundException("collection", "db/c")));
        assertEquals("400 invalid-name", classify(new InvalidNameException("_id", "..", "reserved")));
        assertEquals("400 invalid-query", classify(new QueryException("/filter", "bad")));
        assertEquals("400 invalid-request", classify(new IllegalArgumentException("bad")));
        assertEquals("408 request-timeout", classify(new java.util.concurrent.TimeoutException()));
        assertEquals("500 internal", classify(new IllegalStateException("a bug")));
        assertEquals(
                "413 chunk-too-large",
                Problems.malformedBody("HTTP chunk of 9 bytes").status + " "
                        + Problems.malformedBody("HTTP chunk of 9 bytes").type);
    }

    @Test
    void looksThroughTheWrappersOfAsyncFailures() {
        Throwable wrapped = new CompletionException(new ExecutionException(new NotFoundException("database", "shop")));
        assertEquals("404 database-not-found", classify(wrapped));
    }

    @Test
    void anUnknownFailureDoesNotLeakItsMessage() {
        ApiException e = Problems.classify(new IllegalStateException("secret internals"));
        assertEquals("an unexpected error occurred; see the server log", e.getMessage());
    }

    @Test
    void shardUnavailableIs503() {
        assertEquals("503 shard-unavailable", classify(new ShardUnavailableException("moving", null)));
    }
}
